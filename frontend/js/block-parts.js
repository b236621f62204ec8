// @ts-check
/**
 * A residual block's branch, skip and sum grids side by side, so that the
 * `+ a[l]` of the block reads map by map: branch + skip = sum, before the
 * block's final ReLU. All three share one color scale centered at 0.
 */

import { element } from "./dom.js";
import { renderColorBar, renderMapGrid } from "./plots/map-grid.js";
import { SIGNED_SCALE, rangeOf } from "./scales.js";
import { mapValues } from "./typed.js";

/** @typedef {import("./api.js").LayerActivation} LayerActivation */
/** @typedef {import("./api.js").LayerInfo} LayerInfo */
/** @typedef {import("./typed.js").DecodedArray} DecodedArray */
/** @typedef {import("./typed.js").TypedArrayPayload} TypedArrayPayload */

/**
 * @typedef {object} BlockPart
 * @property {"branch" | "skip" | "sum"} key
 * @property {string} title
 * @property {string} note
 * @property {TypedArrayPayload} payload
 */

/**
 * Returns the parts of a block the API sent: the branch, and the skip and
 * the sum when the block has a skip connection.
 *
 * @param {LayerInfo[]} layers The model's layers.
 * @param {LayerActivation} entry A block layer.
 * @returns {BlockPart[]}
 */
export function blockParts(layers, entry) {
  if (!entry.branch) {
    return [];
  }
  /** @type {BlockPart[]} */
  const parts = [
    {
      key: "branch",
      title: "branch F(a[l])",
      note: "conv, BN, ReLU, conv, BN",
      payload: entry.branch,
    },
  ];
  if (!entry.skip || !entry.sum) {
    return parts;
  }
  const projection = layers.some(
    (layer) => layer.name === `${entry.name}.shortcut_conv`,
  );
  parts.push(
    {
      key: "skip",
      title: projection ? "skip W_s·a[l]" : "skip a[l]",
      note: projection
        ? "1×1 conv with stride and BN, to match the new shape"
        : "the block's input, unchanged",
      payload: entry.skip,
    },
    {
      key: "sum",
      title: "sum F(a[l]) + skip",
      note: "before the ReLU; the block output is ReLU(sum)",
      payload: entry.sum,
    },
  );
  return parts;
}

/**
 * Renders the branch, skip and sum grids of a block into `container`, or
 * for a block without skip the branch and a note that nothing is added.
 *
 * @param {HTMLElement} container
 * @param {object} payload
 * @param {BlockPart[]} payload.parts
 * @param {(part: TypedArrayPayload) => DecodedArray} payload.decode
 * @param {"layer" | "map"} payload.scale One range for all, or per channel.
 * @param {number | null} payload.selected The enlarged channel.
 * @param {(channel: number) => void} payload.onSelect
 */
export function renderBlockParts(
  container,
  { parts, decode, scale, selected, onSelect },
) {
  const decoded = parts.map((part) => decode(part.payload));
  const shared = rangeOf(decoded, true, null);
  /** @param {number} channel */
  const range = (channel) =>
    scale === "layer" ? shared : rangeOf(decoded, true, channel);
  const channels = Array.from(
    { length: decoded[0].mapCount },
    (_, index) => index,
  );

  /** @type {HTMLElement[]} */
  const children = [];
  parts.forEach((part, index) => {
    if (index > 0) {
      const operator = index === 1 ? "+" : "=";
      children.push(element("span", "block-parts__operator", operator));
    }
    const column = element("div", "block-parts__part");
    column.dataset.testid = `block-${part.key}`;
    const grid = element("div", "map-grid");
    const maps = decoded[index];
    renderMapGrid(grid, {
      rows: maps.rows,
      columns: maps.columns,
      order: channels,
      values: (channel) => mapValues(maps, channel),
      range,
      lookup: SIGNED_SCALE.lookup,
      describe: (channel) => `${part.title}, channel ${channel}`,
      selected,
      testId: "block-map",
      onSelect,
    });
    column.append(
      element("h4", "block-parts__title", part.title),
      element("p", "block-parts__note", part.note),
      grid,
    );
    children.push(column);
  });

  const hasSkip = parts.length > 1;
  if (!hasSkip) {
    const note = element("div", "block-parts__part");
    note.dataset.testid = "block-no-skip";
    note.append(
      element("h4", "block-parts__title", "no skip connection"),
      element(
        "p",
        "block-parts__note",
        "This network has no skips: nothing is added to the branch, so the " +
          "block output is ReLU(branch). Compare the same block in the " +
          "ResNet.",
      ),
    );
    children.push(note);
  }

  const colorBar = element("div", "color-bar block-parts__color-bar");
  renderColorBar(colorBar, {
    lookup: SIGNED_SCALE.lookup,
    range: scale === "layer" ? shared : null,
    signed: true,
    title: hasSkip
      ? "Branch, skip and sum share this color scale"
      : "Color scale of the branch",
  });
  container.classList.toggle("block-parts--plain", !hasSkip);
  container.dataset.channels = String(channels.length);
  container.replaceChildren(...children, colorBar);
  container.hidden = false;
}
