// @ts-check
/**
 * Plotly views of a prediction: the prepared 28×28 input as a heatmap and
 * one probability bar chart per model. Each function renders a whole view
 * from its payload with Plotly.react, so calling it again updates the plot.
 */

import {
  DIGITS,
  INPUT_COLORSCALE,
  INPUT_SIDE,
  OTHER_BAR_COLOR,
  PLOT_CONFIG,
  PLOT_FONT,
  PREDICTED_BAR_COLOR,
} from "../config.js";

/** The global that /vendor/plotly.min.js defines. */
const Plotly = /** @type {any} */ (window).Plotly;

/**
 * Returns the indices 0..count-1, used as axis coordinates so that hover
 * labels show the array's own row and column.
 *
 * @param {number} count
 */
function indices(count) {
  return Array.from({ length: count }, (_, index) => index);
}

/**
 * Renders the model input as a greyscale heatmap with row 0 at the top and
 * square pixels. Without an input it shows an all-black 28×28 image.
 *
 * @param {HTMLElement} div
 * @param {{ input: number[][] } | null} payload
 * @returns {Promise<HTMLElement>}
 */
export function renderInputHeatmap(div, payload) {
  const z = payload
    ? payload.input
    : indices(INPUT_SIDE).map(() => new Array(INPUT_SIDE).fill(0));
  const rows = z.length;
  const columns = rows > 0 ? z[0].length : 0;

  const trace = {
    type: "heatmap",
    z,
    x: indices(columns),
    y: indices(rows),
    zmin: 0,
    zmax: 1,
    colorscale: INPUT_COLORSCALE,
    showscale: false,
    hovertemplate:
      "row %{y}, column %{x}<br>value %{z:.3f}<extra></extra>",
  };
  const layout = {
    font: PLOT_FONT,
    margin: { l: 28, r: 8, t: 8, b: 28 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    xaxis: {
      constrain: "domain",
      showgrid: false,
      zeroline: false,
      ticks: "",
      dtick: 7,
    },
    // Plotly puts y = 0 at the bottom by default, which would show the
    // image upside down compared with the canvas.
    yaxis: {
      autorange: "reversed",
      scaleanchor: "x",
      scaleratio: 1,
      constrain: "domain",
      showgrid: false,
      zeroline: false,
      ticks: "",
      dtick: 7,
    },
  };
  return Plotly.react(div, [trace], layout, PLOT_CONFIG);
}

/**
 * Renders one model's class probabilities as bars p(0)…p(9), with the
 * predicted digit highlighted. Without a prediction all bars are zero.
 *
 * @param {HTMLElement} div
 * @param {import("../api.js").ModelPrediction | null} payload
 * @returns {Promise<HTMLElement>}
 */
export function renderProbabilities(div, payload) {
  const probabilities = payload
    ? payload.probabilities
    : new Array(DIGITS.length).fill(0);
  const colors = DIGITS.map((_, digit) =>
    payload && digit === payload.prediction
      ? PREDICTED_BAR_COLOR
      : OTHER_BAR_COLOR,
  );

  const trace = {
    type: "bar",
    x: DIGITS,
    y: probabilities,
    marker: { color: colors },
    hovertemplate: "p(%{x}) = %{y:.4f}<extra></extra>",
  };
  const layout = {
    font: PLOT_FONT,
    height: 170,
    margin: { l: 36, r: 4, t: 12, b: 24 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    bargap: 0.18,
    xaxis: { type: "category", fixedrange: true, ticks: "" },
    yaxis: {
      range: [0, 1],
      fixedrange: true,
      tickformat: ".0%",
      dtick: 0.5,
      gridcolor: "#e2e8f0",
      zeroline: false,
    },
  };
  return Plotly.react(div, [trace], layout, PLOT_CONFIG);
}
