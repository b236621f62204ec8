// @ts-check
/**
 * The matrix card: W and Wᵀ, the weight legend, the tensors x, y, g and
 * Wᵀ·g, and the hover links between them. Hovering row i of W lights up
 * its receptive field in x and its output in y. Hovering row j of Wᵀ
 * lights up the outputs that read x[j] in g, and ∂l/∂x[j] in Wᵀ·g.
 */

import { decodeFloats, maxAbs } from "./arrays.js";
import { MAX_WEIGHT_COLORS, weightColors } from "./colors.js";
import { describeHover } from "./hover-text.js";
import { renderLegend } from "./legend.js";
import {
  buildCellGrid,
  entriesOf,
  kernelSize,
  poolFactor,
  readMatrix,
} from "./matrix-data.js";
import {
  cellLabels,
  clearMatrix,
  hoveredCell,
  outlineMatrix,
  renderMatrix,
} from "./matrix-plot.js";
import {
  highlightTensor,
  renderTensor,
  stackChannels,
  stackedIndex,
} from "./tensor-plot.js";

/** @typedef {import("./api.js").ConvMatrixResponse} ConvMatrixResponse */
/** @typedef {import("./matrix-data.js").SparseMatrix} SparseMatrix */
/** @typedef {import("./matrix-plot.js").MatrixFigure} MatrixFigure */
/** @typedef {import("./tensor-plot.js").StackedTensor} StackedTensor */

/**
 * Grids larger than this many cells per side are pooled into blocks that
 * show their largest |value|, so a figure has at most 800 × 800 cells.
 */
export const MAX_GRID_SIDE = 800;

/**
 * W and Wᵀ sit side by side unless one side of W is more than this many
 * times the other. Then each gets the full width.
 */
const MAX_SIDE_BY_SIDE_ASPECT = 2.5;

const integer = new Intl.NumberFormat("en");

/**
 * @typedef {object} RenderResult
 * @property {number} drawMs Time to build the grids and draw W and Wᵀ.
 * @property {"weight" | "value"} colorBy The coloring used, "value" when
 *   the kernel has too many weights for distinct colors.
 * @property {string[] | null} colors Color of each kernel weight.
 * @property {boolean} stale Whether a newer render started meanwhile, in
 *   which case the page shows the newer one.
 */

/**
 * @typedef {object} Figures The drawn state that hover handlers read.
 * @property {ConvMatrixResponse} response
 * @property {SparseMatrix} matrix
 * @property {MatrixFigure} forward
 * @property {MatrixFigure} transpose
 * @property {number[]} kernelShape
 * @property {Int32Array} uses Non-zeros that copy each kernel weight.
 * @property {Record<"x" | "y" | "g" | "grad", StackedTensor>} tensors
 */

/**
 * Returns the flat indices where each channel after the first starts.
 *
 * @param {number} channels
 * @param {number} perChannel
 */
function channelBreaks(channels, perChannel) {
  return Array.from({ length: channels - 1 }, (_, c) => (c + 1) * perChannel);
}

/**
 * Waits for the browser to paint the current frame.
 *
 * @returns {Promise<void>}
 */
function nextFrame() {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

/** W, Wᵀ, the tensors around them and their hover links. */
export class MatrixView {
  /**
   * @param {Record<string, HTMLElement>} elements The page elements, keyed
   *   as in the constructor.
   */
  constructor(elements) {
    this.elements = elements;
    /** @type {Figures | null} */
    this.figures = null;
    /** @type {{ from: "forward" | "transpose", event: any } | null} */
    this.pendingHover = null;
    /** Number of the latest render call. */
    this.renderNumber = 0;
    /** Figure and row of the last hover, to skip repeated highlights. */
    this.hoverKey = "";
    /**
     * Divs with hover handlers. Plotly adds `on` to a div when it first
     * draws it, so handlers are attached after the first render.
     *
     * @type {WeakSet<HTMLElement>}
     */
    this.hoverAttached = new WeakSet();
  }

  /**
   * Draws a response. Calling it again with the same response redraws it,
   * with another coloring or after a resize. When a newer call starts
   * before this one ends, this one stops and returns `stale: true`.
   *
   * @param {ConvMatrixResponse} response
   * @param {"weight" | "value"} requestedColorBy
   * @returns {Promise<RenderResult>}
   */
  async render(response, requestedColorBy) {
    const number = ++this.renderNumber;
    const started = performance.now();
    const kernelShape = response.kernel.shape;
    const weightCount = kernelSize(kernelShape);
    const colorBy =
      requestedColorBy === "weight" && weightCount <= MAX_WEIGHT_COLORS
        ? "weight"
        : "value";
    const colors = colorBy === "weight" ? weightColors(weightCount) : null;
    const matrix = readMatrix(response.matrix);
    const tensors = this.decodeTensors(response);
    this.figures = null;
    this.hoverKey = "";
    this.clearReadout();

    this.elements.matrices.hidden = !matrix;
    if (!matrix) {
      for (const div of [this.elements.matrix, this.elements.transpose]) {
        // Plotly.purge also removes the hover handlers.
        clearMatrix(div);
        this.hoverAttached.delete(div);
      }
      this.showNote(
        `W is ${response.matrix.shape.join(" × ")} with ` +
          `${integer.format(response.matrix.nonzeros)} non-zeros; its ` +
          `entries were not sent: ${response.matrix.omitted}.`,
      );
      renderLegend(this.elements.legend, {
        colors: null,
        response,
        range: 0,
        uses: null,
      });
      await this.renderTensors(tensors);
      const drawMs = performance.now() - started;
      return { drawMs, colorBy, colors, stale: number !== this.renderNumber };
    }

    const factor = poolFactor(matrix.rows, matrix.columns, MAX_GRID_SIDE);
    // Side by side, a matrix far from square would be a sliver.
    const aspect = matrix.rows / matrix.columns;
    this.elements.matrices.classList.toggle(
      "conv-matrices--stacked",
      aspect > MAX_SIDE_BY_SIDE_ASPECT || aspect < 1 / MAX_SIDE_BY_SIDE_ASPECT,
    );
    const forwardGrid = buildCellGrid(matrix, {
      transpose: false,
      factor,
      colorBy,
    });
    const transposeGrid = buildCellGrid(matrix, {
      transpose: true,
      factor,
      colorBy,
    });
    const outSize = tensors.y.height * tensors.y.width;
    const inSize = tensors.x.height * tensors.x.width;
    const rowBreaks = channelBreaks(tensors.y.channels, outSize);
    const columnBreaks = channelBreaks(tensors.x.channels, inSize);
    const range = maxAbs(matrix.values);
    /** @type {MatrixFigure} */
    const forward = {
      grid: forwardGrid,
      xTitle: "input j",
      yTitle: "output i",
      colorBy,
      colors: colors ?? [],
      range,
      labels: cellLabels(forwardGrid, matrix.values),
      rowBreaks,
      columnBreaks,
    };
    /** @type {MatrixFigure} */
    const transpose = {
      ...forward,
      grid: transposeGrid,
      xTitle: "output i",
      yTitle: "input j",
      labels: cellLabels(transposeGrid, matrix.values),
      rowBreaks: columnBreaks,
      columnBreaks: rowBreaks,
    };

    await renderMatrix(this.elements.matrix, forward);
    await renderMatrix(this.elements.transpose, transpose);
    await nextFrame();
    const drawMs = performance.now() - started;
    if (number !== this.renderNumber) {
      return { drawMs, colorBy, colors, stale: true };
    }

    const uses = new Int32Array(weightCount);
    for (const index of matrix.weightIndex) {
      uses[index]++;
    }
    this.figures = {
      response,
      matrix,
      forward,
      transpose,
      kernelShape,
      uses,
      tensors,
    };
    this.attachHover();
    this.writeCaptions(matrix, factor, drawMs);
    renderLegend(this.elements.legend, { colors, response, range, uses });
    await this.renderTensors(tensors);
    return { drawMs, colorBy, colors, stale: number !== this.renderNumber };
  }

  /**
   * Decodes x, y, g and Wᵀ·g and stacks their channels.
   *
   * @param {ConvMatrixResponse} response
   */
  decodeTensors(response) {
    /** @param {import("./arrays.js").ConvTypedArray} payload */
    const stack = (payload) => {
      const decoded = decodeFloats(payload);
      return stackChannels(decoded.values, decoded.shape);
    };
    return {
      x: stack(response.x),
      y: stack(response.y_matrix),
      g: stack(response.g),
      grad: stack(response.transpose_g),
    };
  }

  /**
   * Draws the four tensors.
   *
   * @param {Record<"x" | "y" | "g" | "grad", StackedTensor>} tensors
   */
  async renderTensors(tensors) {
    const { elements } = this;
    await Promise.all([
      renderTensor(elements.x, { stack: tensors.x, signed: false }),
      renderTensor(elements.y, { stack: tensors.y, signed: true }),
      renderTensor(elements.g, { stack: tensors.g, signed: true }),
      renderTensor(elements.grad, { stack: tensors.grad, signed: true }),
    ]);
  }

  /**
   * Writes the figure captions and the pooling note.
   *
   * @param {SparseMatrix} matrix
   * @param {number} factor
   * @param {number} drawMs
   */
  writeCaptions(matrix, factor, drawMs) {
    const { rows, columns } = matrix;
    const shape = `${integer.format(rows)} × ${integer.format(columns)}`;
    const transposed = `${integer.format(columns)} × ${integer.format(rows)}`;
    this.elements.matrixCaption.textContent =
      `W, ${shape}: y = W·x. Row i holds the kernel as it is, placed at ` +
      "the inputs output i reads.";
    this.elements.transposeCaption.textContent =
      `Wᵀ, ${transposed}: ∂l/∂x = Wᵀ·g. Its rows read the kernel ` +
      "reversed.";
    this.elements.matrix.dataset.renderMs = drawMs.toFixed(1);
    this.elements.matrix.dataset.poolFactor = String(factor);
    if (factor > 1) {
      const pooledRows = Math.ceil(rows / factor);
      const pooledColumns = Math.ceil(columns / factor);
      this.showNote(
        `Downsampled view: W is ${shape}, shown as ` +
          `${pooledRows} × ${pooledColumns} blocks of ${factor} × ` +
          `${factor} cells. Each block shows its non-zero of largest ` +
          "magnitude, and hovering a block picks its first row.",
      );
    } else {
      this.showNote("");
    }
  }

  /**
   * Shows or hides the note above the matrices.
   *
   * @param {string} text
   */
  showNote(text) {
    this.elements.matrixNote.textContent = text;
    this.elements.matrixNote.hidden = text === "";
  }

  /** Attaches the hover handlers once per figure div. */
  attachHover() {
    for (const from of /** @type {const} */ (["forward", "transpose"])) {
      const div = /** @type {any} */ (
        from === "forward" ? this.elements.matrix : this.elements.transpose
      );
      if (this.hoverAttached.has(div)) {
        continue;
      }
      this.hoverAttached.add(div);
      div.on("plotly_hover", (/** @type {any} */ event) => {
        this.queueHover(from, event);
      });
      div.on("plotly_unhover", () => this.queueHover(from, null));
    }
  }

  /**
   * Handles at most one hover per frame, the latest.
   *
   * @param {"forward" | "transpose"} from
   * @param {any} event Plotly's event data, or null when the pointer left.
   */
  queueHover(from, event) {
    const first = this.pendingHover === null;
    this.pendingHover = { from, event };
    if (first) {
      requestAnimationFrame(() => {
        const pending = this.pendingHover;
        this.pendingHover = null;
        if (pending) {
          this.applyHover(pending.from, pending.event).catch((error) => {
            this.elements.readout.textContent = `Hover failed: ${error}`;
          });
        }
      });
    }
  }

  /**
   * Highlights what the hovered row of W or Wᵀ connects.
   *
   * @param {"forward" | "transpose"} from
   * @param {any} event
   */
  async applyHover(from, event) {
    const figures = this.figures;
    if (!figures) {
      return;
    }
    const figure = from === "forward" ? figures.forward : figures.transpose;
    const cell = event ? hoveredCell(event, figure.grid) : null;
    if (!cell) {
      await this.clearHover();
      return;
    }
    const factor = figure.grid.factor;
    const row = cell.row * factor;
    const column = cell.column * factor;
    const entry =
      figure.grid.pick[cell.row * figure.grid.columns + cell.column];
    this.elements.readout.textContent = describeHover({
      from,
      row,
      column,
      entry,
      matrix: figures.matrix,
      kernelShape: figures.kernelShape,
      uses: figures.uses,
      dims: figures.response.dims,
    });

    const key = `${from}:${row}`;
    if (key === this.hoverKey) {
      return;
    }
    this.hoverKey = key;
    const band = { start: row, end: row + 1 };
    const { elements } = this;
    const { matrix, tensors } = figures;
    if (from === "forward") {
      const field = this.cellsOf(matrix, entriesOf(matrix.byRow, row), "x");
      elements.matrix.dataset.hoverRow = String(row);
      elements.matrix.dataset.receptiveField = String(field.length);
      await Promise.all([
        outlineMatrix(elements.matrix, figures.forward, band, null),
        outlineMatrix(elements.transpose, figures.transpose, null, band),
        highlightTensor(elements.x, tensors.x, field),
        highlightTensor(elements.y, tensors.y, [this.outputCell(matrix, row)]),
        highlightTensor(elements.g, tensors.g, []),
        highlightTensor(elements.grad, tensors.grad, []),
      ]);
    } else {
      const readers = this.cellsOf(
        matrix,
        entriesOf(matrix.byColumn, row),
        "g",
      );
      elements.matrix.dataset.hoverRow = "";
      await Promise.all([
        outlineMatrix(elements.matrix, figures.forward, null, band),
        outlineMatrix(elements.transpose, figures.transpose, band, null),
        highlightTensor(elements.x, tensors.x, []),
        highlightTensor(elements.y, tensors.y, []),
        highlightTensor(elements.g, tensors.g, readers),
        highlightTensor(elements.grad, tensors.grad, [
          this.inputCell(matrix, row, tensors.grad),
        ]),
      ]);
    }
  }

  /**
   * Returns the stacked cells of x (the columns of the entries) or of g
   * (their rows).
   *
   * @param {SparseMatrix} matrix
   * @param {Int32Array} entries
   * @param {"x" | "g"} target
   */
  cellsOf(matrix, entries, target) {
    const figures = /** @type {Figures} */ (this.figures);
    const cells = new Set();
    for (const entry of entries) {
      cells.add(
        target === "x"
          ? this.inputCell(
              matrix,
              matrix.entryColumns[entry],
              figures.tensors.x,
            )
          : this.outputCell(matrix, matrix.entryRows[entry]),
      );
    }
    return Array.from(cells);
  }

  /**
   * Returns the stacked cell of input position `column` in an input-shaped
   * tensor.
   *
   * @param {SparseMatrix} matrix
   * @param {number} column
   * @param {StackedTensor} stack
   */
  inputCell(matrix, column, stack) {
    const p = matrix.columnPositions;
    return stackedIndex(
      stack,
      p[3 * column],
      p[3 * column + 1],
      p[3 * column + 2],
    );
  }

  /**
   * Returns the stacked cell of output position `row` in y or g.
   *
   * @param {SparseMatrix} matrix
   * @param {number} row
   */
  outputCell(matrix, row) {
    const figures = /** @type {Figures} */ (this.figures);
    const p = matrix.rowPositions;
    return stackedIndex(
      figures.tensors.y,
      p[3 * row],
      p[3 * row + 1],
      p[3 * row + 2],
    );
  }

  /** Removes every highlight. */
  async clearHover() {
    const figures = this.figures;
    this.hoverKey = "";
    this.clearReadout();
    if (!figures) {
      return;
    }
    const { elements } = this;
    elements.matrix.dataset.hoverRow = "";
    await Promise.all([
      outlineMatrix(elements.matrix, figures.forward, null, null),
      outlineMatrix(elements.transpose, figures.transpose, null, null),
      highlightTensor(elements.x, figures.tensors.x, []),
      highlightTensor(elements.y, figures.tensors.y, []),
      highlightTensor(elements.g, figures.tensors.g, []),
      highlightTensor(elements.grad, figures.tensors.grad, []),
    ]);
  }

  clearReadout() {
    this.elements.readout.textContent =
      "Hover a row of W to see which inputs it reads (locality) and which " +
      "output it writes; hover a row of Wᵀ to see where an input's " +
      "gradient comes from.";
  }
}
