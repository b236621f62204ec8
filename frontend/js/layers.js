// @ts-check
/**
 * Facts about layers that the views derive from a model's layer list:
 * which layer a selection means, what a layer computes, and which layer's
 * maps a flattened vector came from.
 */

/** @typedef {import("./api.js").LayerInfo} LayerInfo */
/** @typedef {import("./api.js").ModelInfo} ModelInfo */

/** Kinds of layers that have weights the filters endpoint returns. */
export const WEIGHT_KINDS = ["conv", "linear"];

/**
 * Returns the selected model and layer. An unknown model id falls back to
 * the first model. A layer that `accepts` rejects falls back to the nearest
 * accepted layer before it in forward order, so `layer=relu1` selects conv1
 * in the filters view. An unknown or empty layer name falls back to the
 * first accepted layer.
 *
 * @param {ModelInfo[]} models
 * @param {{ model: string, layer: string }} state
 * @param {(layer: LayerInfo) => boolean} [accepts]
 * @returns {{ model: ModelInfo, layer: LayerInfo }}
 */
export function resolveSelection(models, state, accepts = () => true) {
  const model = models.find((entry) => entry.id === state.model) ?? models[0];
  const index = model.layers.findIndex((entry) => entry.name === state.layer);
  for (let position = index; position >= 0; position--) {
    if (accepts(model.layers[position])) {
      return { model, layer: model.layers[position] };
    }
  }
  const first = model.layers.find(accepts) ?? model.layers[0];
  return { model, layer: first };
}

/**
 * Returns whether a block has a skip connection, which the API shows as an
 * `add` layer inside it.
 *
 * @param {LayerInfo[]} layers
 * @param {string} block
 */
export function blockHasSkip(layers, block) {
  return layers.some((entry) => entry.name === `${block}.add`);
}

/**
 * Describes what the post-activation of a conv or linear layer is, as a
 * formula in its pre-activation z. In the ResNets a BatchNorm sits between
 * the conv and the ReLU, and a block's second conv only reaches its ReLU
 * after the skip is added, so the "a" the API pairs with a conv is not
 * always ReLU(z).
 *
 * @param {LayerInfo[]} layers
 * @param {string} name The conv or linear layer.
 * @param {string} activationLayer The layer that computes its activation.
 */
export function describeActivation(layers, name, activationLayer) {
  const index = layers.findIndex((entry) => entry.name === name);
  const next = layers[index + 1];
  const inner = next && next.kind === "batchnorm" ? "BN(z)" : "z";
  const activation = layers.find((entry) => entry.name === activationLayer);
  if (!activation) {
    return `a = ${activationLayer}(${inner})`;
  }
  if (activation.kind === "softmax") {
    return `p = softmax(${inner})`;
  }
  if (activation.kind === "block" && blockHasSkip(layers, activation.name)) {
    return name.includes("shortcut")
      ? `a = ReLU(branch + ${inner})`
      : `a = ReLU(${inner} + skip)`;
  }
  return `a = ReLU(${inner})`;
}

/**
 * Returns the (C, H, W) shape that a flatten layer flattens, from the
 * layer before it, or null when there is none or its maps are 1×1.
 *
 * @param {LayerInfo[]} layers
 * @param {string} name
 * @returns {number[] | null}
 */
export function flattenedMapShape(layers, name) {
  const index = layers.findIndex((entry) => entry.name === name);
  const previous = layers[index - 1];
  const layer = layers[index];
  if (!previous || !layer || previous.shape.length !== 3) {
    return null;
  }
  const [channels, height, width] = previous.shape;
  if (height * width <= 1 || channels * height * width !== layer.shape[0]) {
    return null;
  }
  return previous.shape;
}

/**
 * Returns one sentence on what a layer computes.
 *
 * @param {LayerInfo[]} layers
 * @param {LayerInfo} layer
 */
export function describeLayer(layers, layer) {
  const index = layers.indexOf(layer);
  const previous = layers[index - 1];
  const from = previous ? previous.shape.join("×") : "";
  const to = layer.shape.join("×");
  switch (layer.kind) {
    case "conv":
      return (
        "z = W ∗ a + b: each filter slides over the input maps and gives one " +
        "output map."
      );
    case "batchnorm":
      return (
        "BN(z): each channel is normalized with the running mean and " +
        "variance from training, then scaled and shifted."
      );
    case "relu":
      return "ReLU: each value x becomes max(x, 0), so negatives become 0.";
    case "pool":
      return (
        `Max pooling keeps the largest value of each window: ${from} → ` +
        `${to}.`
      );
    case "avgpool":
      return `Global average pooling: the mean of each map, ${from} → ${to}.`;
    case "flatten":
      return `Flatten: the ${from} maps become one vector of ${to} values.`;
    case "dropout":
      return (
        "Dropout zeroes random units in training only. At inference it " +
        "passes its input on unchanged."
      );
    case "linear":
      return "z = W·a + b: every unit sees every input value.";
    case "softmax":
      return "p(0)…p(9): softmax turns the 10 scores into probabilities.";
    case "add":
      return "branch + skip, before the block's final ReLU.";
    case "block":
      return blockHasSkip(layers, layer.name)
        ? "a[l+2] = ReLU(F(a[l]) + a[l]): the block adds its input (the " +
            "skip) to what its branch F computes."
        : "a[l+2] = ReLU(F(a[l])): this network has no skip, so nothing is " +
            "added to the branch F.";
    default:
      return "";
  }
}

/**
 * Describes the values the feature maps view shows for a layer, such as
 * "Shown: pre-activation z. Its post-activation is a = ReLU(z), …".
 *
 * @param {LayerInfo[]} layers
 * @param {import("./api.js").LayerActivation} entry
 * @param {"z" | "a"} stage The stage chosen for conv layers.
 */
export function describeShownValues(layers, entry, stage) {
  if (entry.activation && entry.activation_layer) {
    const formula = describeActivation(
      layers,
      entry.name,
      entry.activation_layer,
    );
    const source = entry.activation_layer;
    return stage === "a" && entry.kind === "conv"
      ? `Shown: post-activation ${formula}, the output of ${source}.`
      : `Shown: pre-activation z. Its post-activation is ${formula}, ` +
          `the output of ${source}.`;
  }
  // A block's and an add layer's maps are sums of the branch and the skip,
  // so no single conv filter produced them, whatever source_conv names (the
  // last conv before them).
  const follows =
    entry.source_conv && entry.kind !== "block" && entry.kind !== "add"
      ? ` Map c follows filter c of ${entry.source_conv}.`
      : "";
  return `Shown: ${entry.stage}.${follows}`;
}
