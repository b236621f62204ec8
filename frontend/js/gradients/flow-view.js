// @ts-check
/**
 * The plain-versus-residual experiment: the options form, runs that a newer
 * run or the Cancel button aborts, the status line with the elapsed time,
 * the first-to-last ratios and the two charts.
 */

import { byId, errorMessage, showStatus } from "./dom.js";
import { formatShort, formatSeconds, formatValue } from "./format.js";
import {
  renderDepthChart,
  renderLossChart,
  selectMeasure,
} from "./flow-plots.js";
import { runGradientFlow } from "./gradients-api.js";
import { parseHash, writeHash } from "./state.js";

/** @typedef {import("./gradients-api.js").FlowConfig} FlowConfig */
/** @typedef {import("./gradients-api.js").FlowResponse} FlowResponse */
/** @typedef {import("./state.js").PageState} PageState */

/** Interval of the elapsed-time display while a run is in flight, in ms. */
const TICK_MS = 200;

/**
 * Runs experiments one at a time. Starting a run aborts the one in flight.
 * Its fetch then rejects with an AbortError, which is not reported, and the
 * server stops the run when the client disconnects.
 */
export class FlowRunner {
  /**
   * @param {object} callbacks
   * @param {(config: FlowConfig) => void} callbacks.onStart
   * @param {(result: FlowResponse) => void} callbacks.onResult
   * @param {(error: unknown) => void} callbacks.onError
   */
  constructor({ onStart, onResult, onError }) {
    this.onStart = onStart;
    this.onResult = onResult;
    this.onError = onError;
    /** @type {AbortController | null} Controller of the run in flight. */
    this.controller = null;
  }

  /** True while a run is in flight. */
  get running() {
    return this.controller !== null;
  }

  /**
   * Starts a run, aborting the one in flight.
   *
   * @param {FlowConfig} config
   */
  async run(config) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.onStart(config);
    try {
      const result = await runGradientFlow(config, controller.signal);
      if (this.controller === controller) {
        this.controller = null;
        this.onResult(result);
      }
    } catch (error) {
      if (this.controller === controller && !controller.signal.aborted) {
        this.controller = null;
        this.onError(error);
      }
    }
  }

  /**
   * Aborts the run in flight, if any.
   *
   * @returns {boolean} Whether a run was aborted.
   */
  cancel() {
    const controller = this.controller;
    this.controller = null;
    controller?.abort();
    return controller !== null;
  }
}

/**
 * Reads the options form. The server checks the ranges, and its message
 * names the field, so this only rejects fields that are not numbers.
 *
 * @param {HTMLFormElement} form
 * @returns {FlowConfig}
 */
export function readConfig(form) {
  /** @param {string} id */
  const number = (id) => {
    const input = byId(id, HTMLInputElement);
    const value = input.valueAsNumber;
    if (!Number.isFinite(value)) {
      const label = input.labels?.[0]?.textContent?.trim() || id;
      throw new Error(`${label}: enter a number.`);
    }
    return value;
  };
  const init = byId("init", HTMLSelectElement).value;
  return {
    blocks: number("blocks"),
    width: number("width"),
    batchnorm: byId("batchnorm", HTMLInputElement).checked,
    init: /** @type {FlowConfig["init"]} */ (init),
    steps: number("steps"),
    batch_size: number("batch-size"),
    lr: number("lr"),
    seed: number("seed"),
  };
}

/**
 * Writes a configuration into the options form.
 *
 * @param {FlowConfig} config
 */
function writeConfig(config) {
  byId("blocks", HTMLInputElement).value = String(config.blocks);
  byId("width", HTMLInputElement).value = String(config.width);
  byId("batchnorm", HTMLInputElement).checked = config.batchnorm;
  byId("init", HTMLSelectElement).value = config.init;
  byId("steps", HTMLInputElement).value = String(config.steps);
  byId("batch-size", HTMLInputElement).value = String(config.batch_size);
  byId("lr", HTMLInputElement).value = String(config.lr);
  byId("seed", HTMLInputElement).value = String(config.seed);
}

/**
 * Describes a configuration in words, for the status line and the caption.
 *
 * @param {FlowConfig} config
 * @returns {string}
 */
export function describeConfig(config) {
  const norm = config.batchnorm ? "BatchNorm" : "no BatchNorm";
  const steps = config.steps === 1 ? "1 step" : `${config.steps} steps`;
  return (
    `${config.blocks} blocks (${2 * config.blocks + 1} convs) of width ` +
    `${config.width}, ${norm}, ${config.init} init, ${steps} ` +
    `(batch ${config.batch_size}, lr ${config.lr}, seed ${config.seed})`
  );
}

/**
 * Returns one network's first-to-last ratio as a phrase: "5.0e-24", or why
 * it is undefined.
 *
 * @param {FlowResponse} result
 * @param {"plain" | "residual"} network
 * @param {"init" | "after"} phase
 * @returns {{ ratio: string | null, reason: string }}
 */
function ratioPhrase(result, network, phase) {
  const entry = result.networks[network];
  const showAfter = phase === "after" && entry.after_training !== null;
  const ratio = showAfter
    ? entry.first_to_last_ratio_after
    : entry.first_to_last_ratio_at_init;
  if (ratio !== null) {
    return { ratio: formatShort(ratio), reason: "" };
  }
  const norms = selectMeasure(result, network, phase).weight_grad_norms;
  const first = norms[0];
  const last = norms[norms.length - 1];
  if (first === null || last === null) {
    return { ratio: null, reason: "a gradient there is NaN or infinite" };
  }
  return {
    ratio: null,
    reason: `the last layer's gradient is ${formatValue(last)}`,
  };
}

/**
 * Writes the first-to-last ratios, for example "plain: first layer's
 * gradient is 5.0e-24 × the last's; residual: 0.40×".
 *
 * @param {HTMLElement} element
 * @param {FlowResponse} result
 * @param {"init" | "after"} phase
 */
function showRatios(element, result, phase) {
  const trained = result.networks.plain.after_training !== null;
  const when =
    phase === "after" && trained
      ? `After ${result.config.steps} training steps`
      : "At initialisation";
  const plain = ratioPhrase(result, "plain", phase);
  const residual = ratioPhrase(result, "residual", phase);
  const plainText = plain.ratio
    ? `first layer's gradient is ${plain.ratio} × the last's`
    : `the first-to-last ratio is undefined because ${plain.reason}`;
  const residualText = residual.ratio
    ? `${residual.ratio}×`
    : `undefined because ${residual.reason}`;
  element.replaceChildren(
    `${when}, ‖∂l/∂W‖ of the first conv over the last: `,
    strong(`plain: ${plainText}`),
    "; ",
    strong(`residual: ${residualText}`),
    ".",
  );
}

/**
 * @param {string} text
 * @returns {HTMLElement}
 */
function strong(text) {
  const element = document.createElement("strong");
  element.textContent = text;
  return element;
}

/**
 * Wires the experiment section: restores the options from the URL hash and
 * starts a first run with them.
 */
export function setUpFlowView() {
  const form = byId("flow-form", HTMLFormElement);
  const section = byId("flow-section", HTMLElement);
  const status = byId("flow-status", HTMLElement);
  const cancelButton = byId("cancel-experiment", HTMLButtonElement);
  const ratios = byId("flow-ratios", HTMLElement);
  const caption = byId("flow-caption", HTMLElement);
  const depthChart = byId("gradient-chart", HTMLElement);
  const lossChart = byId("loss-chart", HTMLElement);
  const lossNote = byId("loss-note", HTMLElement);
  const phaseInputs = [
    ...form.ownerDocument.querySelectorAll("[name=phase]"),
  ].filter((input) => input instanceof HTMLInputElement);
  const quantitySelect = byId("flow-quantity", HTMLSelectElement);

  /** @type {PageState} */
  const state = parseHash(window.location.hash);
  /** @type {FlowResponse | null} */
  let shownResult = null;
  /** @type {ReturnType<typeof setInterval> | null} */
  let timer = null;

  const stopTimer = () => {
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
    }
    cancelButton.disabled = true;
  };

  const render = async () => {
    if (!shownResult) {
      return;
    }
    // A run without steps has only the measurement at initialisation, but
    // state.phase keeps the choice for the next run that trains.
    const trained = shownResult.networks.plain.after_training !== null;
    const phase = trained ? state.phase : "init";
    for (const input of phaseInputs) {
      input.disabled = !trained;
      input.checked = input.value === phase;
    }
    showRatios(ratios, shownResult, phase);
    caption.textContent = `Shown: ${describeConfig(shownResult.config)}.`;
    await renderDepthChart(depthChart, shownResult, {
      phase,
      quantity: state.quantity,
    });
    const stepped = shownResult.networks.plain.loss_per_step.length > 0;
    lossChart.hidden = !stepped;
    lossNote.hidden = stepped;
    if (stepped) {
      await renderLossChart(lossChart, shownResult);
    }
  };

  /** Re-renders after a chart option changed, reporting a failure. */
  const rerender = () => {
    render().catch((error) => {
      showStatus(status, `Drawing the charts failed: ${error}`, "error");
    });
  };

  const runner = new FlowRunner({
    onStart: (config) => {
      stopTimer();
      const started = performance.now();
      const update = () => {
        const seconds = (performance.now() - started) / 1000;
        showStatus(
          status,
          `Running… ${formatSeconds(seconds)}: ${describeConfig(config)}.`,
          "busy",
        );
      };
      update();
      timer = setInterval(update, TICK_MS);
      cancelButton.disabled = false;
      section.dataset.state = "running";
    },
    onResult: async (result) => {
      stopTimer();
      shownResult = result;
      const source = result.cached
        ? "from the server's cache"
        : `in ${formatSeconds(result.seconds)} on the server`;
      showStatus(
        status,
        `Done ${source}; cost ${result.cost.toFixed(0)} of the ` +
          `${result.budget.toFixed(0)} units a run may use.`,
      );
      try {
        await render();
        section.dataset.state = "ready";
      } catch (error) {
        showStatus(status, `Drawing the charts failed: ${error}`, "error");
        section.dataset.state = "error";
      }
    },
    onError: (error) => {
      stopTimer();
      showStatus(status, errorMessage(error), "error");
      section.dataset.state = "error";
    },
  });

  writeConfig(state.config);
  quantitySelect.value = state.quantity;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    let config;
    try {
      config = readConfig(form);
    } catch (error) {
      showStatus(status, errorMessage(error), "error");
      return;
    }
    state.config = config;
    writeHash(state);
    runner.run(config);
  });
  cancelButton.addEventListener("click", () => {
    if (runner.cancel()) {
      stopTimer();
      showStatus(status, "Cancelled; the server stops the run.");
      section.dataset.state = "cancelled";
    }
  });
  for (const input of phaseInputs) {
    input.addEventListener("change", () => {
      state.phase = input.value === "after" ? "after" : "init";
      writeHash(state);
      rerender();
    });
  }
  quantitySelect.addEventListener("change", () => {
    state.quantity = quantitySelect.value === "blocks" ? "blocks" : "weights";
    writeHash(state);
    rerender();
  });

  runner.run(state.config);
}
