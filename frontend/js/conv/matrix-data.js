// @ts-check
/**
 * The convolution matrix W as the API sends it (coordinate form), indexed
 * by row and by column, and turned into the cell grids the heatmaps draw.
 * Pure functions: no DOM and no Plotly.
 */

import { decodeFloats, decodeInts } from "./arrays.js";

/** @typedef {import("./arrays.js").ConvTypedArray} ConvTypedArray */

/**
 * @typedef {object} MatrixPayload
 * @property {number[]} shape [rows, columns].
 * @property {number} nonzeros
 * @property {ConvTypedArray | null} rows
 * @property {ConvTypedArray | null} columns
 * @property {ConvTypedArray | null} values
 * @property {ConvTypedArray | null} weight_index
 * @property {ConvTypedArray | null} column_positions (columns, 3).
 * @property {ConvTypedArray | null} row_positions (rows, 3).
 * @property {string | null} omitted Why the entries were left out.
 */

/**
 * @typedef {object} Grouping Entries grouped by a key, as in compressed
 *   sparse row storage: the entries with key i are
 *   order[start[i]] .. order[start[i + 1] - 1].
 * @property {Int32Array} start Length keys + 1.
 * @property {Int32Array} order Entry indices sorted by key.
 */

/**
 * @typedef {object} SparseMatrix
 * @property {number} rows Output positions (C_out·H_out·W_out).
 * @property {number} columns Input positions (C_in·H·W).
 * @property {Int32Array} entryRows Row of each non-zero.
 * @property {Int32Array} entryColumns Column of each non-zero.
 * @property {Float32Array} values Value of each non-zero.
 * @property {Int32Array} weightIndex Flat index into the kernel
 *   (out, in, kH, kW) of the weight each non-zero copies.
 * @property {Grouping} byRow
 * @property {Grouping} byColumn
 * @property {Int32Array} columnPositions (columns × 3): the input
 *   (channel, row, column) of each column.
 * @property {Int32Array} rowPositions (rows × 3): the output
 *   (channel, row, column) of each row.
 */

/**
 * @typedef {object} CellGrid The cells a heatmap draws. With a pool factor
 *   f above 1, each cell is a block of f × f matrix cells and shows the
 *   non-zero of largest magnitude in it.
 * @property {number} rows
 * @property {number} columns
 * @property {number} factor Matrix cells per grid cell along each axis.
 * @property {Float32Array} z Row-major: a weight index or a value, NaN
 *   where the block holds only structural zeros.
 * @property {Int32Array} pick The non-zero each cell shows, or -1.
 */

/**
 * Groups entry indices by key with a counting sort, O(entries + keys).
 *
 * @param {Int32Array} keys Key of each entry, in 0..count-1.
 * @param {number} count Number of keys.
 * @returns {Grouping}
 */
export function groupByKey(keys, count) {
  const start = new Int32Array(count + 1);
  for (let entry = 0; entry < keys.length; entry++) {
    start[keys[entry] + 1]++;
  }
  for (let key = 0; key < count; key++) {
    start[key + 1] += start[key];
  }
  const next = start.slice(0, count);
  const order = new Int32Array(keys.length);
  for (let entry = 0; entry < keys.length; entry++) {
    order[next[keys[entry]]++] = entry;
  }
  return { start, order };
}

/**
 * Decodes the matrix of a response, or returns null when the server left
 * its entries out (see `omitted`).
 *
 * @param {MatrixPayload} payload
 * @returns {SparseMatrix | null}
 */
export function readMatrix(payload) {
  const { rows, columns, values, weight_index: weights } = payload;
  const columnPositions = payload.column_positions;
  const rowPositions = payload.row_positions;
  if (
    !rows ||
    !columns ||
    !values ||
    !weights ||
    !columnPositions ||
    !rowPositions
  ) {
    return null;
  }
  const [rowCount, columnCount] = payload.shape;
  const entryRows = decodeInts(rows).values;
  const entryColumns = decodeInts(columns).values;
  return {
    rows: rowCount,
    columns: columnCount,
    entryRows,
    entryColumns,
    values: decodeFloats(values).values,
    weightIndex: decodeInts(weights).values,
    byRow: groupByKey(entryRows, rowCount),
    byColumn: groupByKey(entryColumns, columnCount),
    columnPositions: decodeInts(columnPositions).values,
    rowPositions: decodeInts(rowPositions).values,
  };
}

/**
 * Returns the non-zeros of a row (or of a column) as entry indices.
 *
 * @param {Grouping} grouping
 * @param {number} key
 */
export function entriesOf(grouping, key) {
  return grouping.order.subarray(grouping.start[key], grouping.start[key + 1]);
}

/**
 * Returns the smallest pool factor that keeps both sides of the grid at or
 * below `limit` cells. The same factor serves both axes, so cells stay
 * square.
 *
 * @param {number} rows
 * @param {number} columns
 * @param {number} limit
 */
export function poolFactor(rows, columns, limit) {
  return Math.max(1, Math.ceil(rows / limit), Math.ceil(columns / limit));
}

/**
 * Builds the grid of W, or of Wᵀ with `transpose`. Each cell contains the
 * weight index (`colorBy` "weight") or the value of the non-zero it shows.
 *
 * @param {SparseMatrix} matrix
 * @param {object} options
 * @param {boolean} options.transpose
 * @param {number} options.factor Pool factor, 1 for one cell per entry.
 * @param {"weight" | "value"} options.colorBy
 * @returns {CellGrid}
 */
export function buildCellGrid(matrix, { transpose, factor, colorBy }) {
  const sourceRows = transpose ? matrix.columns : matrix.rows;
  const sourceColumns = transpose ? matrix.rows : matrix.columns;
  const rowKeys = transpose ? matrix.entryColumns : matrix.entryRows;
  const columnKeys = transpose ? matrix.entryRows : matrix.entryColumns;
  const rows = Math.ceil(sourceRows / factor);
  const columns = Math.ceil(sourceColumns / factor);
  const pick = new Int32Array(rows * columns).fill(-1);
  const { values } = matrix;

  for (let entry = 0; entry < values.length; entry++) {
    const row = Math.floor(rowKeys[entry] / factor);
    const cell = row * columns + Math.floor(columnKeys[entry] / factor);
    const current = pick[cell];
    if (current < 0 || Math.abs(values[entry]) > Math.abs(values[current])) {
      pick[cell] = entry;
    }
  }

  const source = colorBy === "weight" ? matrix.weightIndex : values;
  const z = new Float32Array(pick.length);
  for (let cell = 0; cell < pick.length; cell++) {
    z[cell] = pick[cell] < 0 ? NaN : source[pick[cell]];
  }
  return { rows, columns, factor, z, pick };
}

/**
 * Returns the number of distinct kernel weights W uses, which is the
 * kernel's size.
 *
 * @param {number[]} kernelShape (out, in, k) or (out, in, kH, kW).
 */
export function kernelSize(kernelShape) {
  return kernelShape.reduce((product, side) => product * side, 1);
}

/**
 * Returns the multi-index of a flat index in C order.
 *
 * @param {number} index
 * @param {number[]} shape
 * @returns {number[]}
 */
export function unravel(index, shape) {
  const result = new Array(shape.length).fill(0);
  let rest = index;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    result[axis] = rest % shape[axis];
    rest = Math.floor(rest / shape[axis]);
  }
  return result;
}

/**
 * Names a kernel weight as w[o, c, u, v], or w[o, c, u] for a 1-D kernel.
 *
 * @param {number} index Flat index in (out, in, kH, kW) C order.
 * @param {number[]} kernelShape
 */
export function weightName(index, kernelShape) {
  return `w[${unravel(index, kernelShape).join(", ")}]`;
}

/**
 * Names a position of x or y as name[c, i, j], or name[c, j] in 1-D.
 *
 * @param {string} name
 * @param {Int32Array} positions (count × 3) as (channel, row, column).
 * @param {number} index
 * @param {number} dims 1 or 2.
 */
export function positionName(name, positions, index, dims) {
  const channel = positions[3 * index];
  const row = positions[3 * index + 1];
  const column = positions[3 * index + 2];
  const parts = dims === 1 ? [channel, column] : [channel, row, column];
  return `${name}[${parts.join(", ")}]`;
}
