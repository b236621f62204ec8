// @ts-check
/**
 * The key above W: each kernel weight with its color, value and number of
 * copies, or the signed color scale when W is colored by value.
 */

import { SIGNED_COLORSCALE } from "../config.js";
import { decodeFloats } from "./arrays.js";
import { MAX_WEIGHT_COLORS } from "./colors.js";
import { kernelSize, weightName } from "./matrix-data.js";

/** @typedef {import("./api.js").ConvMatrixResponse} ConvMatrixResponse */

const integer = new Intl.NumberFormat("en");
const valueFormat = new Intl.NumberFormat("en", {
  maximumSignificantDigits: 4,
});

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
 * Returns the key of the signed color scale from −range to +range.
 *
 * @param {number} range
 */
function colorKey(range) {
  const key = element("span", "weight-legend__item color-key");
  const bar = element("span", "color-key__bar");
  const stops = SIGNED_COLORSCALE.map(
    ([position, color]) => `${color} ${Number(position) * 100}%`,
  );
  bar.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
  key.append(
    valueFormat.format(-range),
    bar,
    `${valueFormat.format(range)} (0 is white)`,
  );
  return key;
}

/**
 * Lists each kernel weight with its color, value and number of copies.
 * When W is colored by value, it draws the color key and explains why.
 *
 * @param {HTMLElement} legend
 * @param {object} key
 * @param {string[] | null} key.colors Color of each weight, or null when W
 *   is colored by value.
 * @param {ConvMatrixResponse} key.response
 * @param {number} key.range Largest |value| in W, 0 when W was not sent.
 * @param {Int32Array | null} key.uses Copies of each weight in W.
 */
export function renderLegend(legend, { colors, response, range, uses }) {
  const kernelShape = response.kernel.shape;
  legend.replaceChildren();
  if (colors) {
    const kernel = decodeFloats(response.kernel).values;
    colors.forEach((color, index) => {
      const name = weightName(index, kernelShape);
      const item = element("span", "weight-legend__item");
      item.dataset.testid = "weight-legend-item";
      item.title = `${name} appears ${uses?.[index] ?? 0} times in W`;
      const chip = element("span", "weight-legend__chip");
      chip.style.background = color;
      const copies = uses ? `, ${uses[index]} copies` : "";
      item.append(
        chip,
        `${name} = ${valueFormat.format(kernel[index])}${copies}`,
      );
      legend.append(item);
    });
  } else {
    const count = kernelSize(kernelShape);
    if (count > MAX_WEIGHT_COLORS) {
      legend.append(
        element(
          "span",
          "weight-legend__item",
          `The kernel has ${integer.format(count)} weights, too many for ` +
            "one color each, so W is colored by value.",
        ),
      );
    }
    if (range > 0) {
      legend.append(colorKey(range));
    }
  }
  legend.append(
    element(
      "span",
      "weight-legend__item weight-legend__item--zero",
      "structural zero (outside the receptive field)",
    ),
  );
}
