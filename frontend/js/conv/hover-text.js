// @ts-check
/**
 * The sentence under W and Wᵀ that describes the hovered row (locality)
 * and the hovered cell (weight sharing, or a structural zero).
 */

import { entriesOf, positionName, weightName } from "./matrix-data.js";

/** @typedef {import("./matrix-data.js").SparseMatrix} SparseMatrix */

/** Receptive-field cells listed by name. */
const MAX_LISTED_CELLS = 6;

const integer = new Intl.NumberFormat("en");
const valueFormat = new Intl.NumberFormat("en", {
  maximumSignificantDigits: 4,
});

/**
 * @typedef {object} HoveredCell
 * @property {"forward" | "transpose"} from W or Wᵀ.
 * @property {number} row Matrix row of the hovered figure.
 * @property {number} column Matrix column of the hovered figure.
 * @property {number} entry The non-zero drawn in the cell, or -1.
 * @property {SparseMatrix} matrix
 * @property {number[]} kernelShape
 * @property {Int32Array} uses Copies of each kernel weight in W.
 * @property {number} dims 1 or 2.
 */

/**
 * Describes what a hovered row of W (or of Wᵀ) reads, and its cell.
 *
 * @param {HoveredCell} hovered
 */
export function describeHover(hovered) {
  const { from, row, column, entry, matrix, kernelShape, uses, dims } = hovered;
  const outRow = from === "forward" ? row : column;
  const inColumn = from === "forward" ? column : row;
  const output = positionName("y", matrix.rowPositions, outRow, dims);
  const input = positionName("x", matrix.columnPositions, inColumn, dims);

  let cellText;
  if (entry >= 0) {
    const index = matrix.weightIndex[entry];
    cellText =
      `Cell (${row}, ${column}) copies ${weightName(index, kernelShape)}` +
      ` = ${valueFormat.format(matrix.values[entry])}, one of its ` +
      `${integer.format(uses[index])} copies in W (weight sharing).`;
  } else {
    cellText =
      `Cell (${row}, ${column}) is a structural zero: ${input} is ` +
      `outside the receptive field of ${output}.`;
  }

  let rowText;
  if (from === "forward") {
    const entries = entriesOf(matrix.byRow, row);
    const names = Array.from(entries.slice(0, MAX_LISTED_CELLS), (e) =>
      positionName("x", matrix.columnPositions, matrix.entryColumns[e], dims),
    );
    const rest = entries.length - names.length;
    const more = rest > 0 ? ` and ${rest} more` : "";
    rowText =
      `Row ${row} of W computes ${output} from ${entries.length} of ` +
      `${integer.format(matrix.columns)} inputs (locality): ` +
      `${names.join(", ")}${more}.`;
  } else {
    const entries = entriesOf(matrix.byColumn, row);
    const name = positionName("x", matrix.columnPositions, row, dims);
    rowText =
      `Row ${row} of Wᵀ gives ∂l/∂${name}: it sums g over the ` +
      `${entries.length} outputs that read ${name}, with the kernel ` +
      "reversed.";
  }
  return `${rowText} ${cellText}`;
}
