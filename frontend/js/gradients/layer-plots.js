// @ts-check
/**
 * Per-layer gradient norms of a served model for one digit: ‖∂l/∂a‖ of
 * every layer's output and ‖∂l/∂W‖ of every layer with weights, in forward
 * order on a log y axis. Charts of several models share one axis so that
 * they can be compared.
 */

import { PLOT_CONFIG, PLOT_FONT } from "../config.js";
import { formatValue } from "./format.js";
import {
  buildLogAxis,
  floorMarkerTraces,
  logAxisLayout,
  markerSize,
  positiveFinite,
  splitForLogAxis,
} from "./log-axis.js";

/** The global that /vendor/plotly.min.js defines. */
const Plotly = /** @type {any} */ (window).Plotly;

/** @typedef {import("./gradients-api.js").GradientResponse} GradientResponse */
/** @typedef {import("./gradients-api.js").LayerGradient} LayerGradient */
/** @typedef {import("./log-axis.js").LogAxis} LogAxis */

/** Colours of the three quantities. */
const QUANTITY_COLORS = {
  activation: "#0f766e",
  weight: "#7c3aed",
  batchnorm: "#c4b5fd",
};

/** Layer kinds whose names label the x axis. Hover names the others. */
const TICK_KINDS = new Set(["conv", "linear"]);

/**
 * @typedef {object} LayerSeries
 * @property {string} name Legend name.
 * @property {string} color
 * @property {"lines+markers" | "markers"} mode
 * @property {LayerGradient[]} rows The layers that have this quantity.
 * @property {(number | null)[]} values NaN where the gradient was not
 *   finite, null where the quantity does not exist for the layer.
 */

/**
 * Returns the series of a response: ‖∂l/∂a‖ of every layer, ‖∂l/∂W‖ of the
 * conv and linear layers, and ‖∂l/∂γ‖ of the BatchNorm layers. The last are
 * kept apart because a scale vector's gradient is on another scale (about
 * ten times smaller than a conv's in the served models). A null norm is NaN
 * when the layer flags a non-finite gradient. It stays null, a gap, when the
 * quantity does not exist, and the layer's note gives the reason.
 *
 * @param {GradientResponse} response
 * @returns {LayerSeries[]}
 */
function layerSeries(response) {
  /** @param {LayerGradient} row @param {number | null} value */
  const valueOf = (row, value) => value ?? (row.non_finite ? NaN : null);
  const weighted = response.layers.filter((row) => row.weight_norm !== null);
  const batchnorm = weighted.filter((row) => row.kind === "batchnorm");
  const others = weighted.filter((row) => row.kind !== "batchnorm");
  /** @type {LayerSeries[]} */
  const series = [
    {
      name: "‖∂l/∂a‖ (layer output)",
      color: QUANTITY_COLORS.activation,
      mode: "lines+markers",
      rows: response.layers,
      values: response.layers.map((row) =>
        valueOf(row, row.activation_grad_norm),
      ),
    },
    {
      name: "‖∂l/∂W‖ (conv, linear)",
      color: QUANTITY_COLORS.weight,
      mode: "lines+markers",
      rows: others,
      values: others.map((row) => valueOf(row, row.weight_grad_norm)),
    },
    {
      name: "‖∂l/∂γ‖ (BatchNorm scale)",
      color: QUANTITY_COLORS.batchnorm,
      mode: "markers",
      rows: batchnorm,
      values: batchnorm.map((row) => valueOf(row, row.weight_grad_norm)),
    },
  ];
  return series.filter((entry) => entry.rows.length > 0);
}

/**
 * Builds one log axis for the charts of several responses, from all their
 * positive finite norms.
 *
 * @param {GradientResponse[]} responses
 * @returns {LogAxis}
 */
export function buildSharedAxis(responses) {
  const splits = responses
    .flatMap(layerSeries)
    .map((series) => splitForLogAxis(series.values));
  return buildLogAxis(
    splits.flatMap((split) => positiveFinite(split.plotted)),
    {
      zeros: splits.some((split) => split.zeros.length > 0),
      nonFinite: splits.some((split) => split.nonFinite.length > 0),
    },
  );
}

/**
 * Returns "layer: note" for each layer with a note, such as a layer whose
 * output does not reach the loss.
 *
 * @param {GradientResponse} response
 * @returns {string[]}
 */
export function layerNotes(response) {
  return response.layers
    .filter((row) => row.note)
    .map((row) => `${row.name}: ${row.note}`);
}

/**
 * Renders one model's per-layer gradient norms on the given log axis. The
 * x axis lists every layer in forward order, so that layers without weights
 * keep their place. Its labels name the conv and linear layers.
 *
 * @param {HTMLElement} div
 * @param {GradientResponse} response
 * @param {LogAxis} axis From buildSharedAxis.
 * @returns {Promise<HTMLElement>}
 */
export function renderLayerGradients(div, response, axis) {
  const names = response.layers.map((row) => row.name);
  const traces = layerSeries(response).flatMap((series, index) => {
    const split = splitForLogAxis(series.values);
    const x = series.rows.map((row) => row.name);
    const line = {
      type: "scatter",
      mode: series.mode,
      name: series.name,
      legendgroup: series.name,
      x,
      y: split.plotted,
      customdata: series.rows.map((row, index) => [
        row.kind,
        formatValue(series.values[index]),
      ]),
      line: { color: series.color, width: 2 },
      marker: { color: series.color, size: 5 },
      hovertemplate:
        `%{x} (%{customdata[0]})<br>${series.name}: ` +
        "%{customdata[1]}<extra></extra>",
    };
    const markers = floorMarkerTraces({
      split,
      x,
      floor: axis.floor,
      name: series.name,
      color: series.color,
      labels: x,
      size: markerSize(index),
    });
    return [line, ...markers];
  });

  const { yaxis, shapes } = logAxisLayout(axis, "gradient norm");
  const layout = {
    font: PLOT_FONT,
    // A fixed bottom margin, room for the longest layer name, keeps the
    // plot areas of the models' charts the same height.
    margin: { l: 64, r: 8, t: 8, b: 140 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
    xaxis: {
      type: "category",
      categoryorder: "array",
      categoryarray: names,
      tickmode: "array",
      tickvals: response.layers
        .filter((row) => TICK_KINDS.has(row.kind))
        .map((row) => row.name),
      tickangle: -90,
      automargin: false,
      tickfont: { size: 10 },
      gridcolor: "#f1f5f9",
    },
    yaxis,
    shapes,
    hovermode: "closest",
  };
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}
