// @ts-check
/**
 * Checks of a trained layer's channel choices against the server's limit.
 * POST /api/v1/conv-matrix rejects a matrix W with more non-zeros than
 * `conv_matrix.max_nonzeros` of GET /api/v1/limits. The page counts each
 * choice's non-zeros from the layer's shapes, exactly as the server does,
 * and compares the count with that limit, so no choice has to be sent.
 */

/** @typedef {import("../api.js").FilterResponse} FilterResponse */
/** @typedef {import("../api.js").ParameterRow} ParameterRow */

/**
 * @typedef {object} LayerGeometry Shapes of a conv layer that fix the
 *   non-zeros of its matrix.
 * @property {number} outChannels
 * @property {number} inChannels
 * @property {number[]} inSize (height, width) of the layer's input.
 * @property {number[]} outSize (height, width) of its output.
 * @property {number[]} kernelSize
 * @property {number[]} stride
 * @property {number[]} dilation
 * @property {number[]} paddingBefore Rows of zeros above the input and
 *   columns left of it.
 */

/** @typedef {"all" | "one"} ChannelChoice All channels or a single one. */

/**
 * @typedef {object} LayerChoice Channel choices on both sides of a layer.
 * @property {ChannelChoice} out
 * @property {ChannelChoice} in
 */

/**
 * @typedef {object} ChannelReasons Why each choice is unavailable, or null
 *   where it is available.
 * @property {{ all: string | null, one: string | null }} out
 * @property {{ all: string | null, one: string | null }} in
 */

/** Formats counts with thousands separators, as "6,553,600". */
const integer = new Intl.NumberFormat("en");

/**
 * Returns the shapes of a conv layer from its filters (kernel, stride,
 * padding, dilation) and its row of the parameter table (input and output
 * sizes).
 *
 * @param {FilterResponse} filters
 * @param {ParameterRow} row
 * @returns {LayerGeometry}
 */
export function layerGeometry(filters, row) {
  const [outChannels, inChannels, ...kernelSize] = filters.weight_shape;
  const stride = filters.stride ?? [1, 1];
  const dilation = filters.dilation ?? [1, 1];
  const padding = filters.padding ?? [0, 0];
  // As PyTorch resolves them: "same" puts the odd extra zero after the input.
  const paddingBefore = kernelSize.map((size, axis) => {
    if (padding === "valid") {
      return 0;
    }
    if (padding === "same") {
      return Math.floor((dilation[axis] * (size - 1)) / 2);
    }
    return Number(padding[axis]);
  });
  return {
    outChannels,
    inChannels,
    inSize: row.input_shape.slice(1),
    outSize: row.output_shape.slice(1),
    kernelSize,
    stride,
    dilation,
    paddingBefore,
  };
}

/**
 * Counts the (output, kernel) index pairs along one axis whose input index
 * lies inside the unpadded input: each is a non-zero of W along that axis.
 *
 * @param {LayerGeometry} geometry
 * @param {number} axis 0 for height, 1 for width.
 */
function axisTaps(geometry, axis) {
  let taps = 0;
  for (let output = 0; output < geometry.outSize[axis]; output++) {
    for (let tap = 0; tap < geometry.kernelSize[axis]; tap++) {
      const input =
        output * geometry.stride[axis] +
        tap * geometry.dilation[axis] -
        geometry.paddingBefore[axis];
      if (input >= 0 && input < geometry.inSize[axis]) {
        taps += 1;
      }
    }
  }
  return taps;
}

/**
 * Returns the non-zeros of W for one (output, input) channel pair, the same
 * count as the server's: zero padding adds rows but no non-zeros.
 *
 * @param {LayerGeometry} geometry
 */
export function pairNonzeros(geometry) {
  return axisTaps(geometry, 0) * axisTaps(geometry, 1);
}

/**
 * Describes a channel choice of one side, such as "all 128 output channels".
 *
 * @param {LayerChoice} choice
 * @param {"out" | "in"} side
 * @param {LayerGeometry} geometry
 */
function describeChoice(choice, side, geometry) {
  const name = side === "out" ? "output" : "input";
  const count = side === "out" ? geometry.outChannels : geometry.inChannels;
  return choice[side] === "all"
    ? `all ${count} ${name} channels`
    : `a single ${name} channel`;
}

/**
 * Explains why a choice is over the server's limit.
 *
 * @param {LayerChoice} choice
 * @param {"out" | "in"} side The side whose option is disabled.
 * @param {LayerGeometry} geometry
 * @param {{ nonzeros: number, maxNonzeros: number }} counts
 */
function describeRejection(choice, side, geometry, counts) {
  const other = side === "out" ? "in" : "out";
  const picked = describeChoice(choice, side, geometry);
  return (
    `${picked[0].toUpperCase()}${picked.slice(1)} cannot be combined ` +
    `with ${describeChoice(choice, other, geometry)}, because W would ` +
    `have ${integer.format(counts.nonzeros)} non-zeros and the server's ` +
    `limit is ${integer.format(counts.maxNonzeros)}.`
  );
}

/**
 * Returns why each channel choice of a layer is unavailable, given the
 * choice made on the other side. The current choice is left to the page's
 * own request, whose error explains a rejection.
 *
 * @param {{ geometry: LayerGeometry, outChannel: number | null,
 *   inChannel: number | null, maxNonzeros: number }} selection A channel of
 *   null is all channels. `maxNonzeros` is the server's
 *   `conv_matrix.max_nonzeros`.
 * @returns {ChannelReasons}
 */
export function channelReasons({
  geometry,
  outChannel,
  inChannel,
  maxNonzeros,
}) {
  const perPair = pairNonzeros(geometry);
  const counts = {
    out: { all: geometry.outChannels, one: 1 },
    in: { all: geometry.inChannels, one: 1 },
  };
  /** @type {ChannelReasons} */
  const reasons = {
    out: { all: null, one: null },
    in: { all: null, one: null },
  };
  /** @type {LayerChoice} */
  const current = {
    out: outChannel === null ? "all" : "one",
    in: inChannel === null ? "all" : "one",
  };
  for (const side of /** @type {const} */ (["out", "in"])) {
    for (const option of /** @type {const} */ (["all", "one"])) {
      if (option === current[side]) {
        continue;
      }
      /** @type {LayerChoice} */
      const choice = { ...current, [side]: option };
      const nonzeros = perPair * counts.out[choice.out] * counts.in[choice.in];
      if (nonzeros > maxNonzeros) {
        reasons[side][option] = describeRejection(choice, side, geometry, {
          nonzeros,
          maxNonzeros,
        });
      }
    }
  }
  return reasons;
}
