// @ts-check
/**
 * Color scales and map order for a layer's decoded maps: which scale a
 * layer gets, the range of one map or of all, and "strongest first".
 */

import { colorRange, makeLookup } from "./colormap.js";
import { ACTIVATION_COLORSCALE, SIGNED_COLORSCALE } from "./config.js";
import { mapMeans } from "./typed.js";

/** @typedef {import("./typed.js").DecodedArray} DecodedArray */
/** @typedef {import("./colormap.js").ColorRange} ColorRange */

/**
 * @typedef {object} ColorScale
 * @property {boolean} signed Diverging and centered at 0.
 * @property {(string | number)[][]} colorscale Plotly stops.
 * @property {Uint8ClampedArray} lookup The same stops for canvases.
 */

/** @type {ColorScale} */
export const SIGNED_SCALE = {
  signed: true,
  colorscale: SIGNED_COLORSCALE,
  lookup: makeLookup(SIGNED_COLORSCALE),
};

/** @type {ColorScale} */
export const ACTIVATION_SCALE = {
  signed: false,
  colorscale: ACTIVATION_COLORSCALE,
  lookup: makeLookup(ACTIVATION_COLORSCALE),
};

/**
 * Returns the color scale of some values. Pre-activations, which can be
 * negative by nature, get the diverging scale. So does any other layer
 * where this drawing gives a negative value; the rest get a sequential one.
 *
 * @param {DecodedArray} decoded
 * @param {boolean} preActivation
 */
export function scaleFor(decoded, preActivation) {
  const signed = preActivation || decoded.min.some((value) => value < 0);
  return signed ? SIGNED_SCALE : ACTIVATION_SCALE;
}

/**
 * Returns the range over all maps of some decoded arrays, or over map
 * `channel` of each when it is not null.
 *
 * @param {DecodedArray[]} arrays
 * @param {boolean} signed
 * @param {number | null} channel
 * @returns {ColorRange}
 */
export function rangeOf(arrays, signed, channel) {
  let low = Infinity;
  let high = -Infinity;
  for (const decoded of arrays) {
    const maps = channel === null ? decoded.min.keys() : [channel];
    for (const map of maps) {
      low = Math.min(low, decoded.min[map]);
      high = Math.max(high, decoded.max[map]);
    }
  }
  return colorRange(low, high, signed);
}

/**
 * Returns the channels in display order: by index, or strongest first by
 * each map's maximum or mean, ties by index.
 *
 * @param {DecodedArray} decoded
 * @param {"channel" | "max" | "mean"} sort
 */
export function channelOrder(decoded, sort) {
  const order = Array.from({ length: decoded.mapCount }, (_, index) => index);
  if (sort === "channel") {
    return order;
  }
  const strength = sort === "max" ? decoded.max : mapMeans(decoded);
  return order.sort((a, b) => strength[b] - strength[a] || a - b);
}

/**
 * Returns the range of one filter's weights, symmetric around 0.
 *
 * @param {DecodedArray} weight Shape (out, in, kH, kW).
 * @param {number} filter
 */
export function filterRange(weight, filter) {
  const inChannels = weight.shape[1];
  let largest = 0;
  for (let inChannel = 0; inChannel < inChannels; inChannel++) {
    const map = filter * inChannels + inChannel;
    largest = Math.max(
      largest,
      Math.abs(weight.min[map]),
      Math.abs(weight.max[map]),
    );
  }
  return colorRange(-largest, largest, true);
}
