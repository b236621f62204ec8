// @ts-check
/**
 * Grids of small multiples drawn into <canvas> elements: one tile per
 * channel, with one color bar. One Plotly heatmap per map is too slow to
 * follow the pen: updating 128 of 8×8 took about 2.6 s in headless
 * Chromium on a 2-core AMD EPYC machine, against a 120 ms debounce. Each
 * map is instead painted pixel by pixel with the color stops the Plotly
 * heatmaps use, and scaled up by CSS with nearest-neighbour sampling.
 */

import { paintColorBar, paintMap } from "../colormap.js";
import { element } from "../dom.js";

/** @typedef {import("../colormap.js").ColorRange} ColorRange */

const valueFormat = new Intl.NumberFormat("en", {
  maximumSignificantDigits: 3,
});

/**
 * @typedef {object} MapGridPayload
 * @property {number} rows Rows of each map.
 * @property {number} columns Columns of each map.
 * @property {number[]} order Channels in display order.
 * @property {(channel: number) => ArrayLike<number>} values Row-major values
 *   of a channel.
 * @property {(channel: number) => ColorRange} range
 * @property {Uint8ClampedArray} lookup Color lookup table.
 * @property {(channel: number) => string} describe Tooltip of a tile; its
 *   caption is the channel index.
 * @property {number | null} selected The channel shown enlarged.
 * @property {string} testId `data-testid` of each tile.
 * @property {((channel: number) => void) | null} onSelect Click handler, or
 *   null for tiles that cannot be enlarged.
 */

/**
 * Click handler of each grid's tiles. Tiles outlive a render, so they look
 * up the handler of the latest one.
 *
 * @type {WeakMap<HTMLElement, (channel: number) => void>}
 */
const selectHandlers = new WeakMap();

/**
 * Renders one tile per channel into `container`: a button holding a canvas
 * with one pixel per value and a caption. Tiles are reused when the count
 * stays the same, so live updates while drawing only repaint.
 *
 * @param {HTMLElement} container
 * @param {MapGridPayload} payload
 */
export function renderMapGrid(container, payload) {
  const { rows, columns, order } = payload;
  if (container.children.length !== order.length) {
    container.replaceChildren();
    for (let position = 0; position < order.length; position++) {
      const tile = element("button", "map-tile");
      tile.setAttribute("type", "button");
      tile.append(
        document.createElement("canvas"),
        element("span", "map-tile__label"),
      );
      tile.addEventListener("click", () => {
        selectHandlers.get(container)?.(Number(tile.dataset.channel));
      });
      container.append(tile);
    }
  }
  if (payload.onSelect) {
    selectHandlers.set(container, payload.onSelect);
  } else {
    selectHandlers.delete(container);
  }
  container.dataset.count = String(order.length);

  order.forEach((channel, position) => {
    const tile = /** @type {HTMLButtonElement} */ (
      container.children[position]
    );
    const canvas = /** @type {HTMLCanvasElement} */ (tile.firstElementChild);
    const label = /** @type {HTMLElement} */ (tile.lastElementChild);
    tile.dataset.testid = payload.testId;
    tile.dataset.channel = String(channel);
    tile.disabled = payload.onSelect === null;
    tile.setAttribute("aria-pressed", String(channel === payload.selected));
    label.textContent = String(channel);
    tile.title = payload.describe(channel);
    canvas.style.aspectRatio = `${columns} / ${rows}`;
    paintMap(
      canvas,
      payload.values(channel),
      rows,
      columns,
      payload.range(channel),
      payload.lookup,
    );
  });
}

/**
 * Formats a value for labels, with 3 significant digits.
 *
 * @param {number} value
 */
export function formatValue(value) {
  return valueFormat.format(value);
}

/**
 * Renders a color bar with its value labels. With a shared range the labels
 * are values. With one range per map they name each map's own extremes.
 *
 * @param {HTMLElement} container
 * @param {object} payload
 * @param {Uint8ClampedArray} payload.lookup
 * @param {ColorRange | null} payload.range Shared range, or null when each
 *   map has its own.
 * @param {boolean} payload.signed Whether the scale is centered at 0.
 * @param {string} payload.title
 */
export function renderColorBar(container, { lookup, range, signed, title }) {
  const canvas = document.createElement("canvas");
  paintColorBar(canvas, lookup);
  const labels = element("div", "color-bar__labels");
  /** @type {string[]} */
  let texts;
  if (range) {
    texts = signed
      ? [formatValue(range.low), "0", formatValue(range.high)]
      : [formatValue(range.low), formatValue(range.high)];
  } else {
    texts = signed
      ? ["−max |value| of the map", "0", "+max |value|"]
      : ["min of the map", "max of the map"];
  }
  labels.append(...texts.map((text) => element("span", "", text)));
  container.replaceChildren(
    element("div", "color-bar__title", title),
    canvas,
    labels,
  );
}
