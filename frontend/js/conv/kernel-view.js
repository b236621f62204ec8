// @ts-check
/**
 * The kernel beside the kernel rotated by 180°, one pair of small tables
 * per (output, input) channel pair. The kernel's cells are number inputs
 * when the kernel can be edited. Each cell's color chip is the color of its
 * weight in W, so the flip shows as the chips changing places.
 */

import { unravel } from "./matrix-data.js";

/** Channel pairs shown at most. A note counts the rest. */
const MAX_SHOWN_PAIRS = 8;

/** Kernels with more weights than this are shown but cannot be edited. */
export const MAX_EDITABLE_WEIGHTS = 243;

const valueFormat = new Intl.NumberFormat("en", {
  maximumSignificantDigits: 3,
});

/**
 * @typedef {object} KernelView
 * @property {Float32Array} kernel In (out, in, kH, kW) C order.
 * @property {number[]} shape (out, in, k) or (out, in, kH, kW).
 * @property {string[] | null} colors Color of each weight, or null when W
 *   is colored by value.
 * @property {boolean} editable
 */

/**
 * Creates an element with a class and optional text.
 *
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 */
function element(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/**
 * Returns (height, width) of one kernel. A 1-D kernel is one row.
 *
 * @param {number[]} shape
 */
function kernelSide(shape) {
  return shape.length === 4 ? [shape[2], shape[3]] : [1, shape[2]];
}

/**
 * Builds one table of a channel pair's kernel, as it is or flipped.
 *
 * @param {KernelView} view
 * @param {number} pair Index of the (out, in) pair.
 * @param {boolean} flipped
 */
function kernelTable(view, pair, flipped) {
  const [height, width] = kernelSide(view.shape);
  const table = element("table", "kernel-table");
  table.dataset.testid = flipped ? "flipped-kernel" : "kernel";
  for (let row = 0; row < height; row++) {
    const tableRow = document.createElement("tr");
    for (let column = 0; column < width; column++) {
      // Cell (u, v) of the flipped kernel is w[o, c, kH−1−u, kW−1−v].
      const u = flipped ? height - 1 - row : row;
      const v = flipped ? width - 1 - column : column;
      const index = (pair * height + u) * width + v;
      const cell = document.createElement("td");
      const color = view.colors?.[index];
      if (color) {
        cell.style.setProperty("--weight-color", color);
        cell.classList.add("kernel-table__cell--colored");
      }
      cell.title = `w[${unravel(index, view.shape).join(", ")}]`;
      if (view.editable && !flipped) {
        const input = document.createElement("input");
        input.type = "number";
        input.step = "any";
        input.className = "kernel-table__input";
        input.dataset.index = String(index);
        input.value = String(+view.kernel[index].toPrecision(4));
        input.setAttribute("aria-label", cell.title);
        cell.append(input);
      } else {
        cell.textContent = valueFormat.format(view.kernel[index]);
      }
      tableRow.append(cell);
    }
    table.append(tableRow);
  }
  return table;
}

/**
 * Returns a kernel table with its caption above it.
 *
 * @param {string} caption
 * @param {HTMLElement} table
 */
function captioned(caption, table) {
  const side = element("div", "kernel-pair__side");
  side.append(element("span", "kernel-pair__caption", caption), table);
  return side;
}

/**
 * Renders the kernels into `container`, replacing what was there. A
 * committed edit of a valid number calls `onEdit` with all the weights.
 *
 * @param {HTMLElement} container
 * @param {KernelView} view
 * @param {(kernel: number[]) => void} onEdit
 */
export function renderKernels(container, view, onEdit) {
  const [height, width] = kernelSide(view.shape);
  const pairs = view.shape[0] * view.shape[1];
  // A redraw replaces the inputs, so the focus moves to the new input of
  // the same weight (after Tab from an edited weight, say).
  const focused = document.activeElement;
  const focusedIndex =
    focused instanceof HTMLInputElement && container.contains(focused)
      ? focused.dataset.index
      : undefined;
  container.replaceChildren();
  for (let pair = 0; pair < Math.min(pairs, MAX_SHOWN_PAIRS); pair++) {
    const out = Math.floor(pair / view.shape[1]);
    const input = pair % view.shape[1];
    const group = element("div", "kernel-pair");
    const caption = pairs > 1 ? `out ${out}, in ${input}: ` : "";
    group.append(
      captioned(`${caption}kernel w`, kernelTable(view, pair, false)),
      captioned(`${caption}w rotated 180°`, kernelTable(view, pair, true)),
    );
    container.append(group);
  }
  if (focusedIndex !== undefined) {
    const replacement = container.querySelector(
      `input[data-index="${focusedIndex}"]`,
    );
    if (replacement instanceof HTMLInputElement) {
      replacement.focus();
    }
  }
  if (pairs > MAX_SHOWN_PAIRS) {
    container.append(
      element(
        "p",
        "conv-note",
        `Showing ${MAX_SHOWN_PAIRS} of ${pairs} channel pairs ` +
          `(${height}×${width} each).`,
      ),
    );
  }

  // Only the edited weight changes; the others keep their full precision,
  // which the inputs round for display.
  container.onchange = (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !view.editable) {
      return;
    }
    const value = Number.parseFloat(input.value);
    const valid = Number.isFinite(value);
    input.classList.toggle("kernel-table__input--invalid", !valid);
    if (valid) {
      const kernel = Array.from(view.kernel);
      kernel[Number(input.dataset.index)] = value;
      onEdit(kernel);
    }
  };
}
