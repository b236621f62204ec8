// @ts-check
/**
 * Page wiring: connects the canvas, the buttons, the URL hash and the API to
 * the views.
 */

import {
  computeActivations,
  fetchSample,
  listModels,
  predictDigit,
} from "./api.js";
import { createModelCards, showPrediction } from "./cards.js";
import { PREDICT_DELAY_MS, STROKE_WIDTH } from "./config.js";
import { DrawingPad, PredictionQueue } from "./draw.js";
import { FilterView } from "./filters-view.js";
import { loadFilters } from "./map-detail.js";
import { FeatureMapView } from "./maps-view.js";
import { Navigation } from "./navigation.js";
import { ParameterView } from "./parameters-view.js";
import { renderInputHeatmap } from "./plots/predictions.js";
import { HashState } from "./state.js";

const IDLE_MESSAGE = "Draw a digit from 0 to 9 in the black square.";

/**
 * Returns the element with this id, or throws if the page lacks it.
 *
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
function byId(id) {
  const node = document.getElementById(id);
  if (!node) {
    throw new Error(`Element #${id} is missing from index.html.`);
  }
  return /** @type {T} */ (node);
}

const canvas = /** @type {HTMLCanvasElement} */ (byId("draw-canvas"));
const clearButton = /** @type {HTMLButtonElement} */ (byId("clear"));
const sampleButton = /** @type {HTMLButtonElement} */ (byId("sample"));
const strokeInput = /** @type {HTMLInputElement} */ (byId("stroke-width"));
const strokeOutput = byId("stroke-width-value");
const status = byId("status");
const heatmap = byId("input-heatmap");
const cardList = byId("model-cards");

/** @type {import("./api.js").ModelInfo[]} */
let models = [];

/** @type {Map<string, import("./cards.js").ModelCard>} */
let cards = new Map();

/**
 * Counter of Clear clicks, so that a sample that arrives after Clear is not
 * shown.
 */
let clearCount = 0;

/**
 * Shows a message in the status line.
 *
 * @param {string} message
 * @param {"info" | "error"} [kind]
 */
function setStatus(message, kind = "info") {
  status.textContent = message;
  status.dataset.kind = kind;
}

/** Removes every prediction and the input heatmap's image. */
function clearPredictions() {
  for (const card of cards.values()) {
    showPrediction(card, null);
  }
  renderInputHeatmap(heatmap, null);
}

/** @param {import("./api.js").PredictResponse} response */
function showResponse(response) {
  for (const [id, card] of cards) {
    showPrediction(card, response.results[id] ?? null);
  }
  renderInputHeatmap(heatmap, response);
  if (status.dataset.kind === "error") {
    setStatus(IDLE_MESSAGE);
  }
}

/**
 * Clears the predictions and shows the error, capitalized because the
 * server's messages start in lower case ("nothing drawn: …").
 *
 * @param {unknown} error
 */
function showError(error) {
  clearPredictions();
  const message = error instanceof Error ? error.message : String(error);
  setStatus(message.charAt(0).toUpperCase() + message.slice(1), "error");
}

/** @type {PredictionQueue<import("./api.js").PredictResponse>} */
const queue = new PredictionQueue({
  delayMs: PREDICT_DELAY_MS,
  onResult: showResponse,
  onError: showError,
});

/** Requests predictions for the canvas as it is when the request is sent. */
function predictCanvas() {
  return predictDigit({ png: pad.toPng(), models: [...cards.keys()] });
}

/**
 * The held-out digit on the canvas, sent as its exact 28×28 values until
 * the user draws over it. It is null for a drawing, which is sent as a PNG.
 *
 * @type {number[][] | null}
 */
let sampleImage = null;

/** Counter of changes to the canvas, part of the feature maps' cache key. */
let inputVersion = 0;

/** Input version, model and layer of the last activations request. */
let mapsRequestKey = "";

const hashState = new HashState(onStateChange);
const navigation = new Navigation(hashState);
const mapsView = new FeatureMapView({ state: hashState, loadFilters });
const filterView = new FilterView({ state: hashState, loadFilters });
const parameterView = new ParameterView({
  chart: byId("parameters-chart"),
  table: /** @type {HTMLTableElement} */ (byId("parameters-table")),
  message: byId("parameters-message"),
});

/** Requests the selected layer's activations for the canvas as it is now. */
function requestActivations() {
  const { model, layer } = mapsView.selection(hashState.get());
  const input = sampleImage ? { image: sampleImage } : { png: pad.toPng() };
  return computeActivations({
    ...input,
    model: model.id,
    layers: [layer.name],
  });
}

/** @type {PredictionQueue<import("./api.js").ActivationResponse>} */
const activationQueue = new PredictionQueue({
  delayMs: PREDICT_DELAY_MS,
  onResult: (response) => mapsView.showResponse(response),
  onError: (error) => {
    const message = error instanceof Error ? error.message : String(error);
    const text = message.charAt(0).toUpperCase() + message.slice(1);
    mapsView.showMessage(text, "error");
  },
});

/**
 * Keeps the feature maps in step with the canvas and the selection. Outside
 * the maps view, or when the maps on screen or requested already match, it
 * does nothing. Otherwise it requests them at once or, like the
 * predictions, after the debounce delay.
 *
 * @param {boolean} now
 */
function refreshMaps(now) {
  const state = hashState.get();
  if (state.view !== "maps" || models.length === 0) {
    return;
  }
  const { model, layer } = mapsView.selection(state);
  if (!pad.hasInk) {
    activationQueue.cancel();
    mapsRequestKey = "";
    mapsView.showMessage(
      "Draw a digit, or pick a sample digit, to see the feature maps of " +
        `${layer.name}.`,
    );
    return;
  }
  const key = `${inputVersion}/${model.id}/${layer.name}`;
  if (key === mapsRequestKey) {
    return;
  }
  mapsRequestKey = key;
  if (!mapsView.shows(model.id, layer.name)) {
    mapsView.showMessage(`Computing the maps of ${layer.name}…`);
  }
  if (now) {
    activationQueue.sendNow(requestActivations);
  } else {
    activationQueue.schedule(requestActivations);
  }
}

const pad = new DrawingPad(canvas, {
  strokeWidth: STROKE_WIDTH.initial,
  onChange: () => {
    sampleImage = null;
    inputVersion += 1;
    if (pad.hasInk && cards.size > 0) {
      queue.schedule(predictCanvas);
    }
    refreshMaps(false);
  },
  onStrokeEnd: () => {
    if (pad.hasInk && cards.size > 0) {
      queue.sendNow(predictCanvas);
    }
    inputVersion += 1;
    refreshMaps(true);
  },
});

strokeInput.min = String(STROKE_WIDTH.min);
strokeInput.max = String(STROKE_WIDTH.max);
strokeInput.value = String(STROKE_WIDTH.initial);
strokeOutput.textContent = strokeInput.value;
strokeInput.addEventListener("input", () => {
  pad.strokeWidth = Number(strokeInput.value);
  strokeOutput.textContent = strokeInput.value;
});

clearButton.addEventListener("click", () => {
  clearCount += 1;
  queue.cancel();
  pad.clear();
  sampleImage = null;
  inputVersion += 1;
  clearPredictions();
  setStatus(IDLE_MESSAGE);
  refreshMaps(true);
});

sampleButton.addEventListener("click", async () => {
  queue.cancel();
  sampleButton.disabled = true;
  const clearCountAtRequest = clearCount;
  try {
    const sample = await fetchSample();
    if (clearCount !== clearCountAtRequest) {
      return;
    }
    pad.showImage(sample.image);
    sampleImage = sample.image;
    inputVersion += 1;
    refreshMaps(true);
    const position = `${sample.index + 1} of ${sample.count}`;
    setStatus(`Held-out test digit labelled ${sample.label} (${position}).`);
    queue.sendNow(() =>
      predictDigit({ image: sample.image, models: [...cards.keys()] }),
    );
  } catch (error) {
    showError(error);
  } finally {
    sampleButton.disabled = false;
  }
});

/**
 * Renders the page for a new state, from the hash or from a control.
 *
 * @param {import("./state.js").PageState} state
 */
function onStateChange(state) {
  if (models.length === 0) {
    return;
  }
  navigation.render(state, mapsView.selection(state).model.id);
  if (state.view === "maps") {
    mapsView.render(state);
    refreshMaps(true);
  } else if (state.view === "filters") {
    filterView.render(state);
  } else if (state.view === "parameters") {
    parameterView.render(mapsView.selection(state).model.id);
  }
}

renderInputHeatmap(heatmap, null);
setStatus("Loading models…");
// The buttons stay disabled in the HTML until this script runs, so that a
// click before then is not silently lost.
clearButton.disabled = false;
try {
  models = await listModels();
  cards = createModelCards(cardList, models);
  navigation.setModels(models);
  mapsView.setModels(models);
  filterView.setModels(models);
  sampleButton.disabled = false;
  setStatus(IDLE_MESSAGE);
} catch (error) {
  const detail = error instanceof Error ? error.message : String(error);
  setStatus(`Could not load the model list: ${detail}`, "error");
}
onStateChange(hashState.get());
