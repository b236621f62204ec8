// @ts-check
/**
 * The served models on one digit: a drawing canvas and a sample button,
 * and per model a chart of ‖∂l/∂a‖ and ‖∂l/∂W‖ per layer, all charts on one
 * shared log axis.
 */

import { fetchSample, listModels } from "../api.js";
import { STROKE_WIDTH } from "../config.js";
import { DrawingPad, PredictionQueue } from "../draw.js";
import { byId, errorMessage, showStatus } from "./dom.js";
import { formatValue } from "./format.js";
import { computeGradients } from "./gradients-api.js";
import {
  buildSharedAxis,
  layerNotes,
  renderLayerGradients,
} from "./layer-plots.js";

/** The global that /vendor/plotly.min.js defines. */
const Plotly = /** @type {any} */ (window).Plotly;

/** @typedef {import("./gradients-api.js").GradientResponse} GradientResponse */

/** Served models compared side by side, in display order. */
export const DIGIT_MODELS = /** @type {const} */ (["resnet", "plain"]);

/**
 * The digit the gradients are computed for: a canvas PNG, or the 28×28
 * image of a held-out sample, which needs no preprocessing.
 *
 * @typedef {{ png: string } | { image: number[][] }} DigitInput
 */

/**
 * Writes a model's prediction, loss and the notes on its null values.
 *
 * @param {string} modelId
 * @param {GradientResponse} response
 */
function showSummary(modelId, response) {
  const summary = byId(`layer-summary-${modelId}`, HTMLElement);
  const probability = response.probabilities[response.prediction];
  summary.textContent =
    `Predicts ${response.prediction} (p = ${probability.toFixed(3)}); ` +
    `loss ${formatValue(response.loss_value)} against target ` +
    `${response.target}.`;
  const notes = byId(`layer-notes-${modelId}`, HTMLElement);
  notes.replaceChildren(
    ...layerNotes(response).map((note) => {
      const item = document.createElement("li");
      item.textContent = `No value for ${note}.`;
      return item;
    }),
  );
}

/** Empties the charts and summaries, as after Clear. */
function clearResults() {
  for (const modelId of DIGIT_MODELS) {
    Plotly.purge(byId(`layer-chart-${modelId}`, HTMLElement));
    byId(`layer-summary-${modelId}`, HTMLElement).textContent = "";
    byId(`layer-notes-${modelId}`, HTMLElement).replaceChildren();
  }
}

/**
 * Writes each model's name and description from GET /models above its
 * chart.
 *
 * @param {HTMLElement} status
 */
async function showModelTitles(status) {
  try {
    const models = await listModels();
    for (const model of models) {
      if (!DIGIT_MODELS.includes(/** @type {any} */ (model.id))) {
        continue;
      }
      byId(`layer-title-${model.id}`, HTMLElement).textContent =
        `${model.id}: ${model.name}`;
      byId(`layer-description-${model.id}`, HTMLElement).textContent =
        model.description;
    }
  } catch (error) {
    showStatus(status, errorMessage(error), "error");
  }
}

/**
 * Wires the digit section and shows a held-out sample digit to start with.
 */
export function setUpDigitView() {
  const canvas = byId("grad-canvas", HTMLCanvasElement);
  const status = byId("digit-status", HTMLElement);
  const target = byId("grad-target", HTMLSelectElement);

  /** @type {DigitInput | null} */
  let input = null;

  /** @type {PredictionQueue<GradientResponse[]>} */
  const queue = new PredictionQueue({
    delayMs: 0,
    onResult: async (responses) => {
      const axis = buildSharedAxis(responses);
      try {
        await Promise.all(
          responses.map((response) => {
            showSummary(response.model, response);
            const chart = byId(`layer-chart-${response.model}`, HTMLElement);
            return renderLayerGradients(chart, response, axis);
          }),
        );
        const { norm, loss } = responses[0];
        showStatus(status, `‖·‖ is the ${norm}; the loss is the ${loss}.`);
      } catch (error) {
        showStatus(status, `Drawing the charts failed: ${error}`, "error");
      }
    },
    onError: (error) => showStatus(status, errorMessage(error), "error"),
  });

  const request = () => {
    if (!input) {
      return;
    }
    const digit = input;
    const targetValue =
      target.value === "" ? {} : { target: Number(target.value) };
    showStatus(status, "Computing gradients…", "busy");
    queue.sendNow(() =>
      Promise.all(
        DIGIT_MODELS.map((model) =>
          computeGradients({ model, ...digit, ...targetValue }),
        ),
      ),
    );
  };

  const pad = new DrawingPad(canvas, {
    strokeWidth: STROKE_WIDTH.initial,
    onChange: () => {},
    // One request per stroke: two backward passes per pointer move would
    // outrun the server.
    onStrokeEnd: () => {
      input = { png: pad.toPng() };
      request();
    },
  });

  const showSample = async () => {
    showStatus(status, "Fetching a held-out digit…", "busy");
    try {
      const sample = await fetchSample();
      pad.showImage(sample.image);
      input = { image: sample.image };
      request();
    } catch (error) {
      showStatus(status, errorMessage(error), "error");
    }
  };

  byId("grad-clear", HTMLButtonElement).addEventListener("click", () => {
    queue.cancel();
    pad.clear();
    input = null;
    clearResults();
    showStatus(status, "Draw a digit on the canvas.");
  });
  byId("grad-sample", HTMLButtonElement).addEventListener("click", showSample);
  target.addEventListener("change", request);

  showModelTitles(status);
  showSample();
}
