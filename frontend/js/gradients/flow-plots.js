// @ts-check
/**
 * Charts of the plain-versus-residual experiment: gradient norm against
 * depth, both networks overlaid on a log axis, and the training loss per
 * step. Pure render functions `(div, payload, options) -> Promise`.
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

/** @typedef {import("./gradients-api.js").FlowResponse} FlowResponse */
/** @typedef {import("./gradients-api.js").FlowMeasure} FlowMeasure */

/**
 * Line colours of the two architectures, also used for the served `plain`
 * and `resnet` models.
 */
export const NETWORK_COLORS = { plain: "#d97706", residual: "#4f46e5" };

/** The experiment's networks in legend order. */
const NETWORKS = /** @type {const} */ (["plain", "residual"]);

/** Maximum number of ticks on an axis of layer indices or training steps. */
const MAX_INTEGER_TICKS = 8;

/**
 * Returns x axis ticks at whole numbers from `first` to `last`, for layer
 * indices and training steps. Plotly's automatic ticks fall on halves (0.5,
 * 1.5) on short ranges, where no layer or step sits. The ticks are the
 * multiples of the smallest of 1, 2, 5, 10, 20, 50, … that gives at most
 * MAX_INTEGER_TICKS of them.
 *
 * @param {number} first
 * @param {number} last
 * @returns {{ tickmode: "array", tickvals: number[] }}
 */
function integerTicks(first, last) {
  const span = last - first;
  let step = 1;
  for (let scale = 1; span / step >= MAX_INTEGER_TICKS; scale *= 10) {
    const factor = [1, 2, 5].find(
      (f) => span / (f * scale) < MAX_INTEGER_TICKS,
    );
    step = (factor ?? 10) * scale;
  }
  const tickvals = [];
  for (let tick = Math.ceil(first / step) * step; tick <= last; tick += step) {
    tickvals.push(tick);
  }
  return { tickmode: "array", tickvals };
}

/**
 * Returns the measurement a chart shows: after training when requested and
 * available, otherwise at initialisation.
 *
 * @param {FlowResponse} result
 * @param {"plain" | "residual"} network
 * @param {"init" | "after"} phase
 * @returns {FlowMeasure}
 */
export function selectMeasure(result, network, phase) {
  const { at_init: atInit, after_training: after } = result.networks[network];
  return phase === "after" && after ? after : atInit;
}

/**
 * Returns the values, hover labels and x axis title of one quantity. The
 * API sends a non-finite norm as null, so null becomes NaN here.
 *
 * @param {FlowMeasure} measure
 * @param {"weights" | "blocks"} quantity
 */
function quantitySeries(measure, quantity) {
  if (quantity === "blocks") {
    const values = measure.block_activation_grad_norms;
    return {
      values: values.map((value) => value ?? NaN),
      labels: values.map((_, index) => `output of blocks.${index}`),
      xTitle: "block, from the input (0)<br>to the output",
      yTitle: "‖∂l/∂a‖ of the block output",
    };
  }
  return {
    values: measure.weight_grad_norms.map((value) => value ?? NaN),
    labels: measure.layers,
    xTitle: "conv layer, from the input<br>(0 = stem) to the output",
    yTitle: "‖∂l/∂W‖ of the conv",
  };
}

/**
 * Renders gradient norm against depth for both networks on a log y axis.
 * Each network is one trace named "plain" or "residual", with one point per
 * layer in forward order. A zero or non-finite value is null on the line
 * and a labelled marker on the axis floor.
 *
 * @param {HTMLElement} div
 * @param {FlowResponse} result
 * @param {{ phase: "init" | "after", quantity: "weights" | "blocks" }}
 *   options
 * @returns {Promise<HTMLElement>}
 */
export function renderDepthChart(div, result, { phase, quantity }) {
  const series = NETWORKS.map((network) => ({
    network,
    ...quantitySeries(selectMeasure(result, network, phase), quantity),
  }));
  const splits = series.map((entry) => splitForLogAxis(entry.values));
  const axis = buildLogAxis(
    splits.flatMap((split) => positiveFinite(split.plotted)),
    {
      zeros: splits.some((split) => split.zeros.length > 0),
      nonFinite: splits.some((split) => split.nonFinite.length > 0),
    },
  );

  const lines = series.map((entry, index) => ({
    type: "scatter",
    mode: "lines+markers",
    name: entry.network,
    legendgroup: entry.network,
    x: entry.values.map((_, position) => position),
    y: splits[index].plotted,
    customdata: entry.values.map((value, position) => [
      entry.labels[position],
      formatValue(value),
    ]),
    line: { color: NETWORK_COLORS[entry.network], width: 2 },
    marker: { color: NETWORK_COLORS[entry.network], size: 5 },
    hovertemplate:
      `${entry.network}<br>%{customdata[0]}: ` +
      "%{customdata[1]}<extra></extra>",
  }));
  const markers = series.flatMap((entry, index) =>
    floorMarkerTraces({
      split: splits[index],
      x: entry.values.map((_, position) => position),
      floor: axis.floor,
      name: entry.network,
      color: NETWORK_COLORS[entry.network],
      labels: entry.labels,
      size: markerSize(index),
    }),
  );

  const { yaxis, shapes } = logAxisLayout(axis, series[0].yTitle);
  const layout = {
    font: PLOT_FONT,
    // The x title takes two lines, so that it fits a chart 375 px wide.
    margin: { l: 72, r: 16, t: 8, b: 68 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
    xaxis: {
      title: { text: series[0].xTitle },
      zeroline: false,
      gridcolor: "#f1f5f9",
      ...integerTicks(0, series[0].values.length - 1),
    },
    yaxis,
    shapes,
    hovermode: "closest",
  };
  return Plotly.react(div, [...lines, ...markers], layout, PLOT_CONFIG);
}

/**
 * Renders each network's training loss per Adam step on a log y axis, with
 * zero and non-finite losses on the axis floor.
 *
 * @param {HTMLElement} div
 * @param {FlowResponse} result
 * @returns {Promise<HTMLElement>}
 */
export function renderLossChart(div, result) {
  const series = NETWORKS.map((network) => ({
    network,
    values: result.networks[network].loss_per_step.map((value) => value ?? NaN),
  }));
  const splits = series.map((entry) => splitForLogAxis(entry.values));
  const axis = buildLogAxis(
    splits.flatMap((split) => positiveFinite(split.plotted)),
    {
      zeros: splits.some((split) => split.zeros.length > 0),
      nonFinite: splits.some((split) => split.nonFinite.length > 0),
    },
  );
  const steps = series[0].values.map((_, index) => index + 1);
  const labels = steps.map((step) => `step ${step}`);

  const lines = series.map((entry, index) => ({
    type: "scatter",
    // Markers too, so that a finite loss between NaNs stays visible.
    mode: "lines+markers",
    name: entry.network,
    legendgroup: entry.network,
    x: steps,
    y: splits[index].plotted,
    customdata: entry.values.map(formatValue),
    line: { color: NETWORK_COLORS[entry.network], width: 2 },
    marker: { color: NETWORK_COLORS[entry.network], size: 4 },
    hovertemplate:
      `${entry.network}<br>step %{x}: ` + "loss %{customdata}<extra></extra>",
  }));
  const markers = series.flatMap((entry, index) =>
    floorMarkerTraces({
      split: splits[index],
      x: steps,
      floor: axis.floor,
      name: entry.network,
      color: NETWORK_COLORS[entry.network],
      labels,
      size: markerSize(index),
    }),
  );

  const { yaxis, shapes } = logAxisLayout(axis, "training loss");
  const layout = {
    font: PLOT_FONT,
    margin: { l: 72, r: 16, t: 8, b: 52 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
    xaxis: {
      title: { text: "Adam step" },
      zeroline: false,
      gridcolor: "#f1f5f9",
      ...integerTicks(1, steps.length),
    },
    yaxis,
    shapes,
  };
  return Plotly.react(div, [...lines, ...markers], layout, PLOT_CONFIG);
}
