// @ts-check
/**
 * Wiring of the conv-matrix page: the URL hash state, the form, the
 * requests to POST /api/v1/conv-matrix (a newer one replaces an older one)
 * and the views of each response.
 */

import { fetchSample, listModels } from "../api.js";
import { computeConvMatrix } from "./api.js";
import { MAX_WEIGHT_COLORS } from "./colors.js";
import { renderChecks, renderCounts } from "./checks.js";
import { ConvControls, byId } from "./controls.js";
import { DigitPad } from "./digit-pad.js";
import { MAX_EDITABLE_WEIGHTS, renderKernels } from "./kernel-view.js";
import { LayerChannels } from "./layer-channels.js";
import { kernelSize } from "./matrix-data.js";
import { MatrixView } from "./matrix-view.js";
import { decodeFloats } from "./arrays.js";
import { buildRequest, formatHash, parseHash } from "./state.js";

/** @typedef {import("./state.js").ConvState} ConvState */
/** @typedef {import("./state.js").DigitInput} DigitInput */
/** @typedef {import("./api.js").ConvMatrixResponse} ConvMatrixResponse */

/**
 * Delay in ms between an edit and its request, so that typing "12" sends
 * one request, not two.
 */
const REQUEST_DELAY_MS = 150;

/** Delay in ms after the last resize event before the figures redraw. */
const RESIZE_DELAY_MS = 200;

const status = byId("conv-status");
const results = byId("conv-results");
const staleNote = byId("stale-note");
const view = new MatrixView({
  matrices: byId("matrices"),
  matrix: byId("matrix-plot"),
  transpose: byId("transpose-plot"),
  matrixCaption: byId("matrix-caption"),
  transposeCaption: byId("transpose-caption"),
  matrixNote: byId("matrix-note"),
  legend: byId("weight-legend"),
  readout: byId("hover-readout"),
  x: byId("x-plot"),
  y: byId("y-plot"),
  g: byId("g-plot"),
  grad: byId("grad-plot"),
});

/** @type {ConvState} */
let state = parseHash(window.location.hash);
/** @type {ConvMatrixResponse | null} The response on screen. */
let onScreen = null;
/** JSON of the last request sent, so that unchanged requests are skipped. */
let lastRequestKey = "";
/** Number of the newest request. Responses to older ones are dropped. */
let requestNumber = 0;
/** @type {AbortController | null} */
let inFlight = null;
/** @type {number | undefined} */
let requestTimer;
/** @type {string | null} PNG data URL of the drawing. */
let drawing = null;
/** @type {import("../api.js").Sample | null} */
let sample = null;
/**
 * Status line of the latest request or action, shown unless the form has
 * an invalid value.
 *
 * @type {{ message: string, kind: "info" | "error" }}
 */
let requestStatus = { message: "", kind: "info" };
/** @type {string[]} Messages of the invalid number inputs. */
let formProblems = [];

const controls = new ConvControls(applyPatch, {
  onSample: () => {
    loadSample().catch(showError);
  },
  onClearDrawing: () => {
    pad.clear();
    drawing = null;
    if (state.digit === "drawing") {
      applyPatch({ digit: "random" });
    }
  },
  onProblems: (problems) => {
    formProblems = problems;
    showStatus();
  },
});
const channels = new LayerChannels(controls, () => state);
const pad = new DigitPad(
  /** @type {HTMLCanvasElement} */ (byId("digit-canvas")),
  (png) => {
    drawing = png;
    lastRequestKey = "";
    applyPatch({ digit: "drawing" });
  },
);

/**
 * Records the status of the latest request or action, and shows it.
 *
 * @param {string} message
 * @param {"info" | "error"} [kind]
 */
function setStatus(message, kind = "info") {
  requestStatus = { message, kind };
  showStatus();
}

/**
 * Shows the status line, and marks the results on screen as out of date
 * while they do not match the form. That happens when the form has an
 * invalid value, which is not sent, or when the latest request failed.
 */
function showStatus() {
  const invalid = formProblems.length > 0;
  status.textContent = invalid
    ? "Not sent: a value in the form is invalid."
    : requestStatus.message;
  status.dataset.kind = invalid ? "error" : requestStatus.kind;

  let reason = "";
  if (invalid) {
    reason = "The form has an invalid value, so it was not sent.";
  } else if (requestStatus.kind === "error") {
    reason = `The current settings failed: ${requestStatus.message}`;
  }
  const stale = onScreen !== null && reason !== "";
  results.dataset.stale = String(stale);
  staleNote.hidden = !stale;
  staleNote.textContent = stale
    ? `These results are for earlier settings. ${reason}`
    : "";
}

/**
 * Shows an error's message (the server's `msg` for API errors).
 *
 * @param {unknown} error
 */
function showError(error) {
  setStatus(error instanceof Error ? error.message : String(error), "error");
}

/**
 * Changes some state fields, writes the hash and schedules what they need:
 * a new coloring redraws the response on screen, anything else a request.
 *
 * @param {Partial<ConvState>} patch
 */
function applyPatch(patch) {
  const previous = state;
  state = { ...state, ...patch };
  const hash = formatHash(state);
  if (hash !== window.location.hash) {
    window.history.replaceState(null, "", hash);
  }
  controls.show(state);
  if (state.colorBy !== previous.colorBy && onScreen) {
    showResponse(onScreen).catch(showError);
  }
  updateLayerChannels(previous);
  scheduleRequest();
}

/**
 * Lists the channels of a newly chosen layer, or limits the channel
 * choices again after another change of the layer form.
 *
 * @param {ConvState} previous The state before the change.
 */
function updateLayerChannels(previous) {
  if (state.model !== previous.model || state.layer !== previous.layer) {
    channels.load().catch(showError);
  } else if (
    state.source !== previous.source ||
    state.outChannel !== previous.outChannel ||
    state.inChannel !== previous.inChannel
  ) {
    channels.showLimits();
  }
}

/** Sends the state's request after REQUEST_DELAY_MS without edits. */
function scheduleRequest() {
  window.clearTimeout(requestTimer);
  requestTimer = window.setTimeout(() => {
    sendRequest().catch(showError);
  }, REQUEST_DELAY_MS);
}

/**
 * Returns the trained layer's input digit, or null for the server's seeded
 * random input.
 *
 * @returns {Promise<DigitInput>}
 */
async function digitInput() {
  if (state.source !== "layer") {
    return null;
  }
  if (state.digit === "drawing") {
    return drawing ? { png: drawing } : null;
  }
  if (state.digit === "sample" && state.sample) {
    const requested = state.sample;
    if (sample?.label !== requested.label || sample.index !== requested.index) {
      sample = await fetchSample(requested);
      pad.showImage(sample.image);
    }
    return { image: sample.image };
  }
  return null;
}

/** Sends the request of the current state unless it is on screen. */
async function sendRequest() {
  const digit = await digitInput();
  const body = buildRequest(state, digit);
  const key = JSON.stringify(body);
  if (key === lastRequestKey) {
    return;
  }
  lastRequestKey = key;
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const number = ++requestNumber;
  setStatus("Computing W…");
  /** @type {ConvMatrixResponse} */
  let response;
  try {
    response = await computeConvMatrix(body, controller.signal);
  } catch (error) {
    if (number === requestNumber && !controller.signal.aborted) {
      showError(error);
    }
    return;
  }
  if (number !== requestNumber) {
    return;
  }
  const message = await showResponse(response);
  if (message !== null) {
    setStatus(message);
  }
}

/**
 * Draws a response in every view. Returns the status line that describes
 * it, or null when a newer drawing replaced this one.
 *
 * @param {ConvMatrixResponse} response
 * @returns {Promise<string | null>}
 */
async function showResponse(response) {
  onScreen = response;
  const result = await view.render(response, state.colorBy);
  if (result.stale) {
    return null;
  }
  const count = kernelSize(response.kernel.shape);
  controls.showColoring(result.colorBy, count <= MAX_WEIGHT_COLORS);
  const editable = state.source === "custom" && count <= MAX_EDITABLE_WEIGHTS;
  renderKernels(
    byId("kernels"),
    {
      kernel: decodeFloats(response.kernel).values,
      shape: response.kernel.shape,
      colors: result.colors,
      editable,
    },
    (kernel) => applyPatch({ kernel, kernelSeed: null }),
  );
  byId("kernel-note").textContent = editable
    ? "Edit a weight: every copy of it in W changes, since all output " +
      "positions share it."
    : state.source === "layer"
      ? "The trained layer's weights, which cannot be edited here."
      : `The kernel has ${count} weights, too many to edit here.`;
  renderChecks(
    /** @type {HTMLTableSectionElement} */ (byId("checks-body")),
    response.max_errors,
  );
  renderCounts(byId("counts"), response);
  byId("source-note").textContent = describeSource(response);
  byId("flattening-note").textContent = response.flattening;

  const [rows, columns] = response.matrix.shape;
  const drawn = response.matrix.omitted
    ? "its entries were not sent"
    : `drawn in ${Math.round(result.drawMs)} ms`;
  return `W is ${rows} × ${columns}, ${drawn}.`;
}

/**
 * Describes where x and the kernel come from, and the geometry.
 *
 * @param {ConvMatrixResponse} response
 */
function describeSource(response) {
  const [top, bottom, left, right] = response.padding;
  const padding =
    response.dims === 1
      ? `${left} left, ${right} right`
      : `${top} top, ${bottom} bottom, ${left} left, ${right} right`;
  return (
    `Source: ${response.source}. ` +
    `x ${response.in_shape.join("×")} → y ${response.out_shape.join("×")}` +
    `, kernel ${response.kernel_size.join("×")}, stride ` +
    `${response.stride.join("×")}, dilation ${response.dilation.join("×")}` +
    `, padding ${padding}.`
  );
}

/** Fetches a random held-out digit and uses it as the layer's input. */
async function loadSample() {
  setStatus("Fetching a sample digit…");
  sample = await fetchSample();
  pad.showImage(sample.image);
  applyPatch({
    digit: "sample",
    sample: { label: sample.label, index: sample.index },
  });
}

/** Loads the models, then draws the state of the URL. */
async function start() {
  controls.show(state);
  scheduleRequest();
  channels.loadLimits().catch(showError);
  const models = await listModels();
  controls.setModels(models);
  await channels.load();
}

window.addEventListener("hashchange", () => {
  const previous = state;
  state = parseHash(window.location.hash);
  controls.show(state);
  updateLayerChannels(previous);
  scheduleRequest();
});

/** @type {number | undefined} */
let resizeTimer;
window.addEventListener("resize", () => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    if (onScreen) {
      showResponse(onScreen).catch(showError);
    }
  }, RESIZE_DELAY_MS);
});

start().catch(showError);
