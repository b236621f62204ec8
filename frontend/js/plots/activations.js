// @ts-check
/**
 * Plotly views of one layer's activations: one map enlarged as a heatmap,
 * one channel of a residual block as branch + skip = sum, and vectors
 * (fully connected layers, the flattened encoder output, the softmax) as
 * bars or strips. The grids of small maps are canvases (map-grid.js).
 */

import {
  BOUNDARY_COLOR,
  DIGITS,
  PLOT_CONFIG,
  PLOT_FONT,
  VALUE_BAR_COLOR,
} from "../config.js";

/** The global that /vendor/plotly.min.js defines. */
const Plotly = /** @type {any} */ (window).Plotly;

/** @typedef {import("../colormap.js").ColorRange} ColorRange */

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
 * Returns a range Plotly can draw. A flat map (low = high) gets -1..1 on a
 * signed scale and value..value + 1 otherwise, which paints it in the same
 * color as the canvas does.
 *
 * @param {ColorRange} range
 */
function drawableRange(range) {
  if (range.high > range.low) {
    return range;
  }
  return range.signed
    ? { low: -1, high: 1, signed: true }
    : { low: range.low, high: range.low + 1, signed: false };
}

/**
 * Renders one map as a Plotly heatmap with row 0 at the top, square cells
 * and the array's own row and column in the hover label.
 *
 * @param {HTMLElement} div
 * @param {object} payload
 * @param {number[][]} payload.z Rows of values.
 * @param {ColorRange} payload.range
 * @param {(string | number)[][]} payload.colorscale
 * @param {string} payload.valueName Name of the value in the hover label.
 * @returns {Promise<HTMLElement>}
 */
export function renderMapHeatmap(div, { z, range, colorscale, valueName }) {
  const rows = z.length;
  const columns = rows > 0 ? z[0].length : 0;
  const drawable = drawableRange(range);
  const trace = {
    type: "heatmap",
    z,
    x: indices(columns),
    y: indices(rows),
    zmin: drawable.low,
    zmax: drawable.high,
    colorscale,
    colorbar: { thickness: 10, outlinewidth: 0, len: 0.9 },
    hovertemplate:
      `row %{y}, column %{x}<br>${valueName} %{z:.4f}` + "<extra></extra>",
  };
  const layout = {
    font: PLOT_FONT,
    margin: { l: 30, r: 8, t: 8, b: 28 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    xaxis: { constrain: "domain", showgrid: false, zeroline: false },
    // Plotly puts y = 0 at the bottom by default. A reversed axis puts row 0
    // on top, as in the input image.
    yaxis: {
      autorange: "reversed",
      scaleanchor: "x",
      scaleratio: 1,
      constrain: "domain",
      showgrid: false,
      zeroline: false,
    },
  };
  return Plotly.react(div, [trace], layout, PLOT_CONFIG);
}

/**
 * Renders the maps of one channel of a residual block side by side on one
 * color scale centered at 0: branch F(x), skip x, their sum and the block
 * output ReLU(sum). Without a skip only the branch and the output are shown.
 *
 * @param {HTMLElement} div
 * @param {object} payload
 * @param {{ title: string, z: number[][] }[]} payload.panels
 * @param {ColorRange} payload.range
 * @param {(string | number)[][]} payload.colorscale
 * @returns {Promise<HTMLElement>}
 */
export function renderBlockChannel(div, { panels, range, colorscale }) {
  const drawable = drawableRange(range);
  const gap = 0.04;
  const width = (1 - gap * (panels.length - 1)) / panels.length;
  /** @type {Record<string, any>} */
  const layout = {
    font: PLOT_FONT,
    margin: { l: 24, r: 8, t: 28, b: 24 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    coloraxis: {
      colorscale,
      cmin: drawable.low,
      cmax: drawable.high,
      colorbar: { thickness: 10, outlinewidth: 0, len: 0.9 },
    },
    annotations: [],
  };
  const traces = panels.map((panel, index) => {
    const suffix = index === 0 ? "" : String(index + 1);
    const start = index * (width + gap);
    layout[`xaxis${suffix}`] = {
      domain: [start, start + width],
      constrain: "domain",
      showgrid: false,
      zeroline: false,
    };
    layout[`yaxis${suffix}`] = {
      autorange: "reversed",
      scaleanchor: `x${suffix}`,
      scaleratio: 1,
      constrain: "domain",
      showgrid: false,
      zeroline: false,
      showticklabels: index === 0,
    };
    layout.annotations.push({
      text: panel.title,
      x: start + width / 2,
      y: 1.02,
      xref: "paper",
      yref: "paper",
      xanchor: "center",
      yanchor: "bottom",
      showarrow: false,
    });
    const rows = panel.z.length;
    return {
      type: "heatmap",
      z: panel.z,
      x: indices(rows > 0 ? panel.z[0].length : 0),
      y: indices(rows),
      coloraxis: "coloraxis",
      xaxis: `x${suffix}`,
      yaxis: `y${suffix}`,
      hovertemplate:
        `${panel.title}<br>row %{y}, column %{x}<br>value %{z:.4f}` +
        "<extra></extra>",
    };
  });
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

/**
 * @typedef {object} VectorSeries
 * @property {string} title Axis title, such as "z = W·a + b".
 * @property {ArrayLike<number>} values
 */

/**
 * Renders vectors as bar charts stacked one above the other, one per
 * series, against the unit index. The softmax gets the digit labels
 * p(0)…p(9) and a 0..1 axis.
 *
 * @param {HTMLElement} div
 * @param {object} payload
 * @param {VectorSeries[]} payload.series
 * @param {boolean} payload.probabilities True for the softmax output.
 * @param {string} [payload.indexName] What an index is: "unit" for fully
 *   connected layers, "channel" for one value per channel.
 * @returns {Promise<HTMLElement>}
 */
export function renderVector(
  div,
  { series, probabilities, indexName = "unit" },
) {
  const height = 60 + 170 * series.length;
  const gap = 0.12;
  const size = (1 - gap * (series.length - 1)) / series.length;
  /** @type {Record<string, any>} */
  const layout = {
    font: PLOT_FONT,
    height,
    margin: { l: 56, r: 8, t: 12, b: 36 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    bargap: probabilities ? 0.2 : 0,
    showlegend: false,
  };
  const traces = series.map((entry, index) => {
    const suffix = index === 0 ? "" : String(index + 1);
    const top = 1 - index * (size + gap);
    const count = entry.values.length;
    const x = probabilities
      ? DIGITS.map((digit) => `p(${digit})`)
      : indices(count);
    layout[`yaxis${suffix}`] = {
      domain: [top - size, top],
      title: { text: entry.title },
      gridcolor: "#e2e8f0",
      zerolinecolor: "#94a3b8",
      ...(probabilities ? { range: [0, 1], tickformat: ".0%" } : {}),
    };
    layout[`xaxis${suffix}`] = {
      anchor: `y${suffix}`,
      type: probabilities ? "category" : "linear",
      title:
        index === series.length - 1 && !probabilities
          ? { text: indexName }
          : undefined,
      showgrid: false,
      zeroline: false,
    };
    return {
      type: "bar",
      x,
      y: Array.from(entry.values),
      xaxis: `x${suffix}`,
      yaxis: `y${suffix}`,
      marker: { color: VALUE_BAR_COLOR },
      hovertemplate: probabilities
        ? "%{x} = %{y:.4f}<extra></extra>"
        : `${indexName} %{x}: %{y:.4f}<extra></extra>`,
    };
  });
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

/**
 * Renders a vector that flattens (C, H, W) maps, such as the cnn's
 * 2048 = 128×4×4, grouped by channel. Column c contains channel c's H·W
 * values read row by row (flat index c·H·W + h·W + w). Gaps between the
 * columns mark the channel boundaries.
 *
 * @param {HTMLElement} div
 * @param {object} payload
 * @param {ArrayLike<number>} payload.values The flat vector.
 * @param {number[]} payload.mapShape (C, H, W) of the layer it flattens.
 * @param {ColorRange} payload.range
 * @param {(string | number)[][]} payload.colorscale
 * @returns {Promise<HTMLElement>}
 */
export function renderFlattenedChannels(
  div,
  { values, mapShape, range, colorscale },
) {
  const [channels, height, width] = mapShape;
  const positions = height * width;
  const z = indices(positions).map((position) =>
    indices(channels).map((channel) => values[channel * positions + position]),
  );
  const customdata = indices(positions).map((position) =>
    indices(channels).map((channel) => [
      channel * positions + position,
      Math.floor(position / width),
      position % width,
    ]),
  );
  const drawable = drawableRange(range);
  const trace = {
    type: "heatmap",
    z,
    customdata,
    x: indices(channels),
    y: indices(positions),
    zmin: drawable.low,
    zmax: drawable.high,
    colorscale,
    xgap: 1,
    colorbar: { thickness: 10, outlinewidth: 0, len: 0.9 },
    hovertemplate:
      "flat index %{customdata[0]}<br>channel %{x}, row %{customdata[1]}, " +
      "column %{customdata[2]}<br>value %{z:.4f}<extra></extra>",
  };
  const layout = {
    font: PLOT_FONT,
    height: 300,
    margin: { l: 56, r: 8, t: 8, b: 44 },
    paper_bgcolor: "rgba(0,0,0,0)",
    // The gaps between the columns show this color.
    plot_bgcolor: BOUNDARY_COLOR,
    xaxis: {
      title: { text: `channel (${channels} columns of ${positions} values)` },
      showgrid: false,
      zeroline: false,
      dtick: 16,
    },
    yaxis: {
      title: { text: `position in the ${height}×${width} map` },
      autorange: "reversed",
      showgrid: false,
      zeroline: false,
      dtick: width,
    },
  };
  return Plotly.react(div, [trace], layout, PLOT_CONFIG);
}
