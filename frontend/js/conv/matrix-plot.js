// @ts-check
/**
 * Heatmaps of W and Wᵀ: one Plotly figure per matrix, drawn from a cell
 * grid (one Float32Array) with row 0 at the top and square cells.
 * Structural zeros are NaN, so the grey background shows through them.
 */

import { PLOT_CONFIG, PLOT_FONT, SIGNED_COLORSCALE } from "../config.js";
import { rowViews } from "./arrays.js";
import {
  CHANNEL_LINE,
  HIGHLIGHT_LINE,
  ZERO_BACKGROUND,
  ZERO_TEXT,
  discreteColorscale,
} from "./colors.js";

/** The global that /vendor/plotly.min.js defines. */
const Plotly = /** @type {any} */ (window).Plotly;

/** @typedef {import("./matrix-data.js").CellGrid} CellGrid */

/** Maximum side of a cell in CSS pixels, so small matrices stay compact. */
const MAX_CELL_PX = 44;

/** Maximum height of a figure in CSS pixels, before its cells shrink. */
const MAX_FIGURE_HEIGHT = 620;

/** Grids up to this many rows and columns get a label in every cell. */
const MAX_LABELLED_SIDE = 24;

/** Margins around the plot area, in CSS pixels. */
const MARGIN = { l: 46, r: 12, t: 8, b: 40 };

/**
 * @typedef {object} MatrixFigure
 * @property {CellGrid} grid
 * @property {string} xTitle
 * @property {string} yTitle
 * @property {"weight" | "value"} colorBy
 * @property {string[]} colors One per kernel weight ("weight" only).
 * @property {number} range Largest |value|, for the signed color scale.
 * @property {string[][] | null} labels Text of each cell, or null.
 * @property {number[]} rowBreaks Matrix rows that start a new channel.
 * @property {number[]} columnBreaks Matrix columns that start a channel.
 */

/**
 * @typedef {object} Band A range of matrix rows or columns, [start, end).
 * @property {number} start
 * @property {number} end
 */

const labelFormat = new Intl.NumberFormat("en", {
  maximumSignificantDigits: 3,
});

/**
 * Returns the cell labels of a grid small enough to read: the value of
 * each non-zero, and an empty label for structural zeros.
 *
 * @param {CellGrid} grid
 * @param {Float32Array} values Values of the non-zeros.
 * @returns {string[][] | null}
 */
export function cellLabels(grid, values) {
  const small =
    grid.factor === 1 &&
    grid.rows <= MAX_LABELLED_SIDE &&
    grid.columns <= MAX_LABELLED_SIDE;
  if (!small) {
    return null;
  }
  return Array.from({ length: grid.rows }, (_, row) =>
    Array.from({ length: grid.columns }, (_, column) => {
      const entry = grid.pick[row * grid.columns + column];
      return entry < 0 ? "" : labelFormat.format(values[entry]);
    }),
  );
}

/**
 * Returns the axis coordinate of the edge before matrix index `index`:
 * grid cell b spans [b·f − f/2, b·f + f/2), so its centre is the first
 * matrix index it covers.
 *
 * @param {number} index
 * @param {number} factor
 */
function edgeBefore(index, factor) {
  return Math.floor(index / factor) * factor - factor / 2;
}

/**
 * Returns the size in CSS pixels of the plot area that gives square cells
 * in the div's width, at least 60 pixels tall.
 *
 * @param {HTMLElement} div
 * @param {CellGrid} grid
 */
function plotSize(div, grid) {
  const width = Math.max(div.clientWidth, 200) - MARGIN.l - MARGIN.r;
  const tallest = MAX_FIGURE_HEIGHT - MARGIN.t - MARGIN.b;
  const cell = Math.min(MAX_CELL_PX, width / grid.columns, tallest / grid.rows);
  return {
    width: grid.columns * cell,
    height: Math.max(60, grid.rows * cell),
  };
}

/**
 * Returns the layout shapes: channel boundaries, plus the highlighted row
 * and column bands.
 *
 * @param {MatrixFigure} figure
 * @param {Band | null} rowBand
 * @param {Band | null} columnBand
 */
function shapes(figure, rowBand, columnBand) {
  const { factor, rows, columns } = figure.grid;
  const left = -factor / 2;
  const right = columns * factor - factor / 2;
  const top = -factor / 2;
  const bottom = rows * factor - factor / 2;
  const boundary = { color: CHANNEL_LINE, width: 1, dash: "dot" };
  const highlight = { color: HIGHLIGHT_LINE, width: 2 };
  /** @type {Record<string, unknown>[]} */
  const result = [
    ...figure.rowBreaks.map((row) => {
      const y = edgeBefore(row, factor);
      return { type: "line", x0: left, x1: right, y0: y, y1: y };
    }),
    ...figure.columnBreaks.map((column) => {
      const x = edgeBefore(column, factor);
      return { type: "line", x0: x, x1: x, y0: top, y1: bottom };
    }),
  ].map((shape) => ({ ...shape, line: boundary, layer: "above" }));

  if (rowBand) {
    const y0 = edgeBefore(rowBand.start, factor);
    const y1 = edgeBefore(rowBand.end - 1, factor) + factor;
    result.push({
      type: "rect",
      x0: left,
      x1: right,
      y0,
      y1,
      line: highlight,
      layer: "above",
    });
  }
  if (columnBand) {
    const x0 = edgeBefore(columnBand.start, factor);
    const x1 = edgeBefore(columnBand.end - 1, factor) + factor;
    result.push({
      type: "rect",
      x0,
      x1,
      y0: top,
      y1: bottom,
      line: highlight,
      layer: "above",
    });
  }
  return result;
}

/**
 * Returns the heatmap trace of a matrix figure.
 *
 * @param {MatrixFigure} figure
 */
function matrixTrace(figure) {
  const { grid } = figure;
  const byWeight = figure.colorBy === "weight";
  const range = figure.range > 0 ? figure.range : 1;
  const gap = grid.rows <= 60 && grid.columns <= 60 ? 1 : 0;
  return {
    type: "heatmap",
    z: rowViews(grid.z, grid.rows, grid.columns),
    x0: 0,
    dx: grid.factor,
    y0: 0,
    dy: grid.factor,
    colorscale: byWeight
      ? discreteColorscale(figure.colors)
      : SIGNED_COLORSCALE,
    zmin: byWeight ? -0.5 : -range,
    zmax: byWeight ? figure.colors.length - 0.5 : range,
    // The page draws the color key in HTML, where it cannot overlap a
    // short figure.
    showscale: false,
    xgap: gap,
    ygap: gap,
    text: figure.labels ?? undefined,
    texttemplate: figure.labels ? "%{text}" : undefined,
    textfont: { size: 11 },
    hoverinfo: "none",
    hoverongaps: true,
  };
}

/**
 * Returns a text trace that writes "0" in the structural zeros of a
 * labelled grid, so a small W reads like the matrix on paper.
 *
 * @param {MatrixFigure} figure
 */
function zeroTrace(figure) {
  const { grid } = figure;
  /** @type {number[]} */
  const x = [];
  /** @type {number[]} */
  const y = [];
  if (figure.labels) {
    grid.pick.forEach((entry, cell) => {
      if (entry < 0) {
        x.push(cell % grid.columns);
        y.push(Math.floor(cell / grid.columns));
      }
    });
  }
  return {
    type: "scatter",
    mode: "text",
    x,
    y,
    text: x.map(() => "0"),
    textfont: { size: 11, color: ZERO_TEXT },
    hoverinfo: "skip",
    showlegend: false,
  };
}

/**
 * Returns the layout of a matrix figure.
 *
 * @param {HTMLElement} div
 * @param {MatrixFigure} figure
 * @param {Band | null} rowBand
 * @param {Band | null} columnBand
 */
function matrixLayout(div, figure, rowBand, columnBand) {
  const { grid } = figure;
  const size = plotSize(div, grid);
  const axis = {
    showgrid: false,
    zeroline: false,
    ticks: "outside",
    ticklen: 3,
    tickformat: "d",
    constrain: "domain",
  };
  // One tick per row and column while they fit, else integer ticks only.
  const rowStep = grid.rows <= 16 ? grid.factor : undefined;
  const columnStep = grid.columns <= 16 ? grid.factor : undefined;
  return {
    height: Math.round(size.height + MARGIN.t + MARGIN.b),
    margin: MARGIN,
    font: PLOT_FONT,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: ZERO_BACKGROUND,
    xaxis: {
      ...axis,
      title: { text: figure.xTitle, standoff: 4 },
      dtick: columnStep,
      nticks: Math.max(2, Math.floor(size.width / 60)),
      range: [-grid.factor / 2, grid.columns * grid.factor - grid.factor / 2],
    },
    yaxis: {
      ...axis,
      title: { text: figure.yTitle, standoff: 4 },
      dtick: rowStep,
      nticks: Math.max(2, Math.floor(size.height / 30)),
      autorange: "reversed",
      scaleanchor: "x",
      scaleratio: 1,
    },
    shapes: shapes(figure, rowBand, columnBand),
    hovermode: "closest",
    dragmode: false,
  };
}

/**
 * Draws (or redraws) a matrix figure.
 *
 * @param {HTMLElement} div
 * @param {MatrixFigure} figure
 * @returns {Promise<void>}
 */
export async function renderMatrix(div, figure) {
  await Plotly.react(
    div,
    [matrixTrace(figure), zeroTrace(figure)],
    matrixLayout(div, figure, null, null),
    { ...PLOT_CONFIG, scrollZoom: false },
  );
}

/**
 * Outlines a band of rows and a band of columns, or clears the outlines.
 * Only the shapes change, so the heatmap is not redrawn.
 *
 * @param {HTMLElement} div
 * @param {MatrixFigure} figure
 * @param {Band | null} rowBand
 * @param {Band | null} columnBand
 * @returns {Promise<void>}
 */
export async function outlineMatrix(div, figure, rowBand, columnBand) {
  await Plotly.relayout(div, { shapes: shapes(figure, rowBand, columnBand) });
}

/**
 * Returns the grid cell under a Plotly hover event, or null.
 *
 * @param {any} event Plotly's hover event data.
 * @param {CellGrid} grid
 * @returns {{ row: number, column: number } | null}
 */
export function hoveredCell(event, grid) {
  const point = event?.points?.[0];
  if (!point || typeof point.x !== "number" || typeof point.y !== "number") {
    return null;
  }
  const row = Math.round(point.y / grid.factor);
  const column = Math.round(point.x / grid.factor);
  if (row < 0 || row >= grid.rows || column < 0 || column >= grid.columns) {
    return null;
  }
  return { row, column };
}

/**
 * Removes a figure and its event handlers.
 *
 * @param {HTMLElement} div
 */
export function clearMatrix(div) {
  Plotly.purge(div);
}
