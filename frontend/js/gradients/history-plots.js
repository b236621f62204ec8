// @ts-check
/**
 * Charts of the training history in the model cards: the mean weight
 * gradient norm of each layer per epoch as a heatmap with a log colour
 * scale, and the training loss and test accuracy per epoch of several
 * models.
 */

import { ACTIVATION_COLORSCALE, PLOT_CONFIG, PLOT_FONT } from "../config.js";
import { formatPowerOfTen, formatValue } from "./format.js";
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

/** @typedef {import("./gradients-api.js").ModelCard} ModelCard */

/**
 * @typedef {object} ColorRange
 * @property {number} zmin log10 of the smallest positive norm.
 * @property {number} zmax log10 of the largest norm.
 */

/**
 * Returns the layers of a card's history in forward order: the order of
 * `card.layers`, then any history layer that list lacks.
 *
 * @param {ModelCard} card
 * @returns {string[]}
 */
function historyLayers(card) {
  const inHistory = new Set(
    card.history.flatMap((epoch) => Object.keys(epoch.grad_norms)),
  );
  const ordered = card.layers
    .map((layer) => layer.name)
    .filter((name) => inHistory.has(name));
  const rest = [...inHistory].filter((name) => !ordered.includes(name));
  return [...ordered, ...rest];
}

/**
 * Returns one colour range, in log10 units, for the heatmaps of all cards.
 *
 * @param {ModelCard[]} cards
 * @returns {ColorRange}
 */
export function buildColorRange(cards) {
  const values = positiveFinite(
    cards.flatMap((card) =>
      card.history.flatMap((epoch) => Object.values(epoch.grad_norms)),
    ),
  );
  if (values.length === 0) {
    return { zmin: -1, zmax: 1 };
  }
  let smallest = Infinity;
  let largest = 0;
  for (const value of values) {
    smallest = Math.min(smallest, value);
    largest = Math.max(largest, value);
  }
  const zmin = Math.log10(smallest);
  return { zmin, zmax: Math.max(Math.log10(largest), zmin + 0.1) };
}

/**
 * Renders a layer × epoch heatmap of mean ‖∂l/∂W‖ with a log colour scale,
 * the first layer on top. A zero, missing or non-finite norm has no colour
 * on a log scale, so its cell stays empty and shows the grey background.
 * Its hover text shows the value.
 *
 * @param {HTMLElement} div
 * @param {ModelCard} card
 * @param {ColorRange} range From buildColorRange, shared by the heatmaps.
 * @returns {Promise<HTMLElement>}
 */
export function renderGradientHeatmap(div, card, range) {
  const layers = historyLayers(card);
  const epochs = card.history.map((epoch) => epoch.epoch);
  /** @type {(number | null)[][]} */
  const z = [];
  /** @type {string[][]} */
  const text = [];
  for (const layer of layers) {
    const norms = card.history.map((epoch) => epoch.grad_norms[layer] ?? null);
    z.push(
      norms.map((norm) =>
        norm !== null && Number.isFinite(norm) && norm > 0
          ? Math.log10(norm)
          : null,
      ),
    );
    text.push(
      norms.map((norm) =>
        norm === null ? "null (missing or not finite)" : formatValue(norm),
      ),
    );
  }

  const tickExponents = [];
  for (
    let exponent = Math.ceil(range.zmin);
    exponent <= Math.floor(range.zmax);
    exponent += 1
  ) {
    tickExponents.push(exponent);
  }
  const trace = {
    type: "heatmap",
    x: epochs,
    y: layers,
    z,
    text,
    zmin: range.zmin,
    zmax: range.zmax,
    colorscale: ACTIVATION_COLORSCALE,
    hoverongaps: true,
    xgap: 1,
    ygap: 1,
    colorbar: {
      title: { text: "mean ‖∂l/∂W‖", side: "right" },
      tickmode: "array",
      tickvals: tickExponents,
      ticktext: tickExponents.map(formatPowerOfTen),
      thickness: 12,
    },
    hovertemplate: "%{y}, epoch %{x}<br>mean ‖∂l/∂W‖ %{text}<extra></extra>",
  };
  const layout = {
    font: PLOT_FONT,
    margin: { l: 120, r: 8, t: 8, b: 44 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#cbd5e1",
    xaxis: { title: { text: "epoch" }, dtick: 1, showgrid: false },
    yaxis: {
      autorange: "reversed",
      automargin: true,
      type: "category",
      tickfont: { size: 10 },
      showgrid: false,
    },
  };
  return Plotly.react(div, [trace], layout, PLOT_CONFIG);
}

/**
 * @typedef {object} HistoryLine
 * @property {string} id Model id, the legend name.
 * @property {string} color
 * @property {ModelCard} card
 */

/**
 * Renders the training loss per epoch on a log y axis, with a zero or
 * non-finite loss as a labelled marker on the axis floor.
 *
 * @param {HTMLElement} div
 * @param {HistoryLine[]} models
 * @returns {Promise<HTMLElement>}
 */
export function renderTrainLoss(div, models) {
  const series = models.map((model) => {
    const epochs = model.card.history.map((epoch) => epoch.epoch);
    // The card is JSON, so a loss that was not finite arrives as null.
    const values = model.card.history.map((epoch) => epoch.train_loss ?? NaN);
    return { ...model, epochs, values, split: splitForLogAxis(values) };
  });
  const axis = buildLogAxis(
    series.flatMap((entry) => positiveFinite(entry.split.plotted)),
    {
      zeros: series.some((entry) => entry.split.zeros.length > 0),
      nonFinite: series.some((entry) => entry.split.nonFinite.length > 0),
    },
  );
  const traces = series.flatMap(
    ({ id, color, epochs, values, split }, index) => [
      {
        type: "scatter",
        mode: "lines+markers",
        name: id,
        legendgroup: id,
        x: epochs,
        y: split.plotted,
        customdata: values.map(formatValue),
        line: { color, width: 2 },
        marker: { color, size: 5 },
        hovertemplate:
          `${id}, epoch %{x}<br>` +
          "training loss %{customdata}<extra></extra>",
      },
      ...floorMarkerTraces({
        split,
        x: epochs,
        floor: axis.floor,
        name: id,
        color,
        labels: epochs.map((epoch) => `epoch ${epoch}`),
        size: markerSize(index),
      }),
    ],
  );
  const { yaxis, shapes } = logAxisLayout(axis, "mean training loss");
  const layout = { ...lineLayout(yaxis), shapes };
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

/**
 * Renders the test accuracy per epoch, in percent.
 *
 * @param {HTMLElement} div
 * @param {HistoryLine[]} models
 * @returns {Promise<HTMLElement>}
 */
export function renderTestAccuracy(div, models) {
  const traces = models.map(({ id, color, card }) => ({
    type: "scatter",
    mode: "lines+markers",
    name: id,
    x: card.history.map((epoch) => epoch.epoch),
    y: card.history.map((epoch) => 100 * epoch.test_accuracy),
    line: { color, width: 2 },
    marker: { color, size: 5 },
    hovertemplate:
      `${id}, epoch %{x}<br>` + "test accuracy %{y:.2f}%<extra></extra>",
  }));
  return Plotly.react(
    div,
    traces,
    lineLayout({ title: { text: "test accuracy (%)" }, gridcolor: "#e2e8f0" }),
    PLOT_CONFIG,
  );
}

/**
 * Returns the layout of a chart with epochs on x.
 *
 * @param {object} yaxis
 */
function lineLayout(yaxis) {
  return {
    font: PLOT_FONT,
    margin: { l: 64, r: 8, t: 8, b: 44 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
    xaxis: { title: { text: "epoch" }, dtick: 1, gridcolor: "#f1f5f9" },
    yaxis,
    hovermode: "closest",
  };
}
