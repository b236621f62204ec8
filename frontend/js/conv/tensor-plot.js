// @ts-check
/**
 * Small heatmaps of the tensors around W: x, y = W·x, g and Wᵀ·g. Each
 * is drawn with one tile per channel. Highlighted cells are layout shapes
 * because Plotly redraws only the shapes when they change. Restyling a
 * highlight trace instead recomputed the plot, which took 20–30 ms per
 * plot against 5–20 ms for the shapes (headless chromium, loaded 2-core
 * machine).
 */

import {
  INPUT_COLORSCALE,
  PLOT_CONFIG,
  PLOT_FONT,
  SIGNED_COLORSCALE,
} from "../config.js";
import { maxAbs, minValue, rowViews } from "./arrays.js";
import { HIGHLIGHT_FILL, ZERO_BACKGROUND } from "./colors.js";

/** The global that /vendor/plotly.min.js defines. */
const Plotly = /** @type {any} */ (window).Plotly;

/** Maximum side of a cell in CSS pixels. */
const MAX_CELL_PX = 36;

/** Maximum height of a figure in CSS pixels, before its cells shrink. */
const MAX_FIGURE_HEIGHT = 300;

/** Cells at least this many CSS pixels wide show their value. */
const MIN_LABELLED_CELL_PX = 26;

const MARGIN = { l: 8, r: 8, t: 8, b: 8 };

const labelFormat = new Intl.NumberFormat("en", {
  maximumSignificantDigits: 3,
});

/**
 * @typedef {object} StackedTensor A (C, H, W) tensor laid out as tiles,
 *   one per channel, with an empty row and column between tiles. 1-D
 *   tensors (H = 1) stack their channels in one column, one row each.
 * @property {number} channels
 * @property {number} height Rows of one channel (1 in 1-D).
 * @property {number} width Columns of one channel.
 * @property {number} tilesAcross Tiles per row of tiles.
 * @property {number} rows Rows of the layout, gaps included.
 * @property {number} columns Columns of the layout, gaps included.
 * @property {Float32Array} z Row-major layout values, NaN in the gaps.
 * @property {Float32Array} values The tensor as sent, in C order.
 */

/**
 * Lays out the channels of a (C, L) or (C, H, W) tensor as tiles, about
 * as many across as down.
 *
 * @param {Float32Array} values
 * @param {number[]} shape
 * @returns {StackedTensor}
 */
export function stackChannels(values, shape) {
  const channels = shape[0];
  const height = shape.length === 3 ? shape[1] : 1;
  const width = shape[shape.length - 1];
  const tilesAcross = height === 1 ? 1 : Math.ceil(Math.sqrt(channels));
  const tilesDown = Math.ceil(channels / tilesAcross);
  const rows = tilesDown * (height + 1) - 1;
  const columns = tilesAcross * (width + 1) - 1;
  /** @type {StackedTensor} */
  const stack = {
    channels,
    height,
    width,
    tilesAcross,
    rows,
    columns,
    z: new Float32Array(rows * columns).fill(NaN),
    values,
  };
  for (let channel = 0; channel < channels; channel++) {
    for (let row = 0; row < height; row++) {
      const start = (channel * height + row) * width;
      stack.z.set(
        values.subarray(start, start + width),
        stackedIndex(stack, channel, row, 0),
      );
    }
  }
  return stack;
}

/**
 * Returns the index in `stack.z` of a tensor position.
 *
 * @param {StackedTensor} stack
 * @param {number} channel
 * @param {number} row
 * @param {number} column
 */
export function stackedIndex(stack, channel, row, column) {
  const tileRow = Math.floor(channel / stack.tilesAcross);
  const tileColumn = channel % stack.tilesAcross;
  const layoutRow = tileRow * (stack.height + 1) + row;
  const layoutColumn = tileColumn * (stack.width + 1) + column;
  return layoutRow * stack.columns + layoutColumn;
}

/**
 * @typedef {object} TensorFigure
 * @property {StackedTensor} stack
 * @property {boolean} signed Signed color scale centred at 0, else the
 *   black-to-white input scale from 0 to the maximum.
 */

/**
 * Returns the color settings of a tensor: a signed scale unless every value
 * is at least 0 and `signed` is false.
 *
 * @param {TensorFigure} figure
 */
function colorSettings(figure) {
  const largest = maxAbs(figure.stack.values) || 1;
  if (figure.signed || minValue(figure.stack.values) < 0) {
    return { colorscale: SIGNED_COLORSCALE, zmin: -largest, zmax: largest };
  }
  return { colorscale: INPUT_COLORSCALE, zmin: 0, zmax: largest };
}

/**
 * Returns the value labels of a tensor, one per cell.
 *
 * @param {StackedTensor} stack
 */
function labels(stack) {
  return Array.from({ length: stack.rows }, (_, row) =>
    Array.from({ length: stack.columns }, (_, column) => {
      const value = stack.z[row * stack.columns + column];
      return Number.isNaN(value) ? "" : labelFormat.format(value);
    }),
  );
}

/**
 * Returns the side of a cell in CSS pixels: square cells that fill the
 * div's width, within MAX_CELL_PX and MAX_FIGURE_HEIGHT.
 *
 * @param {HTMLElement} div
 * @param {StackedTensor} stack
 */
function cellSize(div, stack) {
  const width = Math.max(div.clientWidth, 120) - MARGIN.l - MARGIN.r;
  return Math.min(
    MAX_CELL_PX,
    width / stack.columns,
    (MAX_FIGURE_HEIGHT - MARGIN.t - MARGIN.b) / stack.rows,
  );
}

/**
 * Draws a tensor with an empty highlight.
 *
 * @param {HTMLElement} div
 * @param {TensorFigure} figure
 * @returns {Promise<void>}
 */
export async function renderTensor(div, figure) {
  const { stack } = figure;
  const cell = cellSize(div, stack);
  const text = cell >= MIN_LABELLED_CELL_PX ? labels(stack) : null;
  const gap = stack.rows <= 30 && stack.columns <= 30 ? 1 : 0;
  const values = {
    type: "heatmap",
    z: rowViews(stack.z, stack.rows, stack.columns),
    ...colorSettings(figure),
    showscale: false,
    xgap: gap,
    ygap: gap,
    text: text ?? undefined,
    texttemplate: text ? "%{text}" : undefined,
    textfont: { size: 11 },
    hovertemplate: "%{z:.4g}<extra></extra>",
    hoverongaps: false,
  };
  const hidden = {
    visible: false,
    showgrid: false,
    zeroline: false,
    constrain: "domain",
  };
  await Plotly.react(
    div,
    [values],
    {
      height: Math.max(40, Math.round(stack.rows * cell + MARGIN.t + MARGIN.b)),
      margin: MARGIN,
      font: PLOT_FONT,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: ZERO_BACKGROUND,
      xaxis: { ...hidden, range: [-0.5, stack.columns - 0.5] },
      yaxis: { ...hidden, autorange: "reversed", scaleanchor: "x" },
      shapes: [],
      dragmode: false,
    },
    { ...PLOT_CONFIG, scrollZoom: false },
  );
  highlightCounts.set(div, 0);
}

/**
 * Number of cells each drawn tensor highlights, so that clearing an empty
 * highlight costs nothing.
 *
 * @type {WeakMap<HTMLElement, number>}
 */
const highlightCounts = new WeakMap();

/**
 * Paints the given cells of a drawn tensor, replacing the last highlight.
 *
 * @param {HTMLElement} div
 * @param {StackedTensor} stack
 * @param {number[]} cells Indices into `stack.z`.
 * @returns {Promise<void>}
 */
export async function highlightTensor(div, stack, cells) {
  if (cells.length === 0 && highlightCounts.get(div) === 0) {
    return;
  }
  highlightCounts.set(div, cells.length);
  const shapes = cells.map((cell) => {
    const row = Math.floor(cell / stack.columns);
    const column = cell % stack.columns;
    return {
      type: "rect",
      x0: column - 0.5,
      x1: column + 0.5,
      y0: row - 0.5,
      y1: row + 0.5,
      fillcolor: HIGHLIGHT_FILL,
      line: { width: 0 },
      layer: "above",
    };
  });
  await Plotly.relayout(div, { shapes });
}
