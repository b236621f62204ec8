// @ts-check
/**
 * Layers without spatial maps in the feature maps view: fully connected
 * layers (z beside its post-activation), the flattened encoder output
 * grouped by channel, global average pooling and the softmax.
 */

import { describeActivation, flattenedMapShape } from "./layers.js";
import { renderFlattenedChannels, renderVector } from "./plots/activations.js";
import { rangeOf, scaleFor } from "./scales.js";

/** @typedef {import("./typed.js").DecodedArray} DecodedArray */
/** @typedef {import("./typed.js").TypedArrayPayload} TypedArrayPayload */

/**
 * Renders a vector layer into `div`, and explains a flattened vector's
 * layout in `caption`.
 *
 * @param {HTMLElement} div
 * @param {HTMLElement} caption
 * @param {object} payload
 * @param {import("./api.js").LayerInfo[]} payload.layers The model's layers.
 * @param {import("./api.js").LayerActivation} payload.entry
 * @param {(payload: TypedArrayPayload) => DecodedArray} payload.decode
 */
export function renderVectorLayer(div, caption, { layers, entry, decode }) {
  const decoded = decode(entry.values);
  div.dataset.testid = "vector-values";
  div.dataset.count = String(decoded.values.length);
  caption.textContent = "";

  const mapShape =
    entry.kind === "flatten" ? flattenedMapShape(layers, entry.name) : null;
  if (mapShape) {
    const [channels, height, width] = mapShape;
    const size = height * width;
    const scale = scaleFor(decoded, false);
    caption.textContent =
      `The ${decoded.values.length} values are the ${channels} maps of ` +
      `${height}×${width} before this layer, one after another. Column c ` +
      `is channel c: flat indices ${size}·c to ${size}·c + ${size - 1}, ` +
      "its map read row by row. The gaps between the columns mark the " +
      "channel boundaries.";
    return renderFlattenedChannels(div, {
      values: decoded.values,
      mapShape,
      range: rangeOf([decoded], scale.signed, null),
      colorscale: scale.colorscale,
    });
  }
  if (entry.kind === "softmax") {
    return renderVector(div, {
      series: [{ title: "probability", values: decoded.values }],
      probabilities: true,
    });
  }
  if (entry.activation && entry.activation_layer) {
    const formula = describeActivation(
      layers,
      entry.name,
      entry.activation_layer,
    );
    return renderVector(div, {
      series: [
        { title: "z = W·a + b", values: decoded.values },
        { title: formula, values: decode(entry.activation).values },
      ],
      probabilities: false,
    });
  }
  // Global average pooling, and the flattened vector after it, have one
  // value per channel.
  const perChannel = entry.kind === "avgpool" || entry.kind === "flatten";
  return renderVector(div, {
    series: [{ title: entry.kind, values: decoded.values }],
    probabilities: false,
    indexName: perChannel ? "channel" : "unit",
  });
}
