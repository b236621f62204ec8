// @ts-check
/**
 * State of the conv-matrix page, kept in the URL hash so that every
 * configuration is a link, such as `#dims=2&n=5,5&k=3,3&p=1&x=delta`.
 * Also builds the POST /api/v1/conv-matrix request of a state.
 */

/** @typedef {[number, number]} Pair (height, width), height 1 in 1-D. */

/**
 * @typedef {object} ConvState
 * @property {"custom" | "layer"} source A configuration of your own, or a
 *   conv layer of a trained model.
 * @property {1 | 2} dims
 * @property {Pair} size Input size.
 * @property {Pair} kernelSize
 * @property {Pair} stride
 * @property {Pair} dilation
 * @property {"number" | "same" | "valid"} padMode
 * @property {Pair} padding Zeros on each side, when padMode is "number".
 * @property {number} inChannels
 * @property {number} outChannels
 * @property {number[] | null} kernel Weights in (out, in, kH, kW) C order;
 *   null for a seeded kernel or the default 1, 2, 3, …
 * @property {number | null} kernelSeed
 * @property {"ones" | "delta" | "seed"} xMode Ones, a single 1 in the
 *   centre of channel 0, or seeded normal values.
 * @property {number} xSeed
 * @property {number | null} gSeed Seed of the upstream gradient g; null for
 *   ones.
 * @property {string} model
 * @property {string} layer
 * @property {number | null} outChannel null for all channels.
 * @property {number | null} inChannel null for all channels.
 * @property {"random" | "sample" | "drawing"} digit The layer's input: a
 *   seeded random one, a held-out digit or the drawing.
 * @property {{ label: number, index: number } | null} sample
 * @property {"weight" | "value"} colorBy Color W's cells by which kernel
 *   weight they copy, or by value.
 */

/** Server limits, from the request schema of POST /api/v1/conv-matrix. */
export const LIMITS = {
  size: { min: 1, max: 64 },
  kernelSize: { min: 1, max: 11 },
  stride: { min: 1, max: 8 },
  dilation: { min: 1, max: 8 },
  padding: { min: 0, max: 16 },
  channels: { min: 1, max: 8 },
};

/**
 * The page's opening example, in 1-D: six ones, kernel
 * (w1, w2, w3) = (1, 2, 3) and four valid positions, so W is 4 × 6.
 *
 * @type {Readonly<ConvState>}
 */
export const DEFAULT_STATE = Object.freeze(
  /** @type {ConvState} */ ({
    source: "custom",
    dims: 1,
    size: [1, 6],
    kernelSize: [1, 3],
    stride: [1, 1],
    dilation: [1, 1],
    padMode: "number",
    padding: [0, 0],
    inChannels: 1,
    outChannels: 1,
    kernel: null,
    kernelSeed: null,
    xMode: "ones",
    xSeed: 0,
    gSeed: null,
    model: "cnn",
    layer: "conv1",
    outChannel: 0,
    inChannel: 0,
    digit: "random",
    sample: null,
    colorBy: "weight",
  }),
);

/**
 * Parses an integer in [min, max], or returns null.
 *
 * @param {string | null | undefined} text
 * @param {number} min
 * @param {number} max
 */
function parseBounded(text, min, max) {
  if (text === null || text === undefined || !/^-?\d+$/.test(text)) {
    return null;
  }
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}

/**
 * Parses "a" or "a,b" into a pair. One number fills both sides in 2-D and
 * the width in 1-D.
 *
 * @param {string | null} text
 * @param {{ min: number, max: number }} limit
 * @param {1 | 2} dims
 * @param {Pair} fallback
 * @returns {Pair}
 */
function parsePair(text, limit, dims, fallback) {
  const parts = (text ?? "")
    .split(",")
    .map((part) => parseBounded(part, limit.min, limit.max));
  if (parts.length < 1 || parts.length > 2 || parts.includes(null)) {
    return fallback;
  }
  const numbers = /** @type {number[]} */ (parts);
  if (dims === 1) {
    return [1, numbers[numbers.length - 1]];
  }
  return [numbers[0], numbers[numbers.length - 1]];
}

/**
 * Formats a pair as "w" in 1-D, "h" when square and "h,w" otherwise.
 *
 * @param {Pair} pair
 * @param {1 | 2} dims
 */
function formatPair(pair, dims) {
  if (dims === 1 || pair[0] === pair[1]) {
    return String(pair[1]);
  }
  return `${pair[0]},${pair[1]}`;
}

/**
 * Parses a channel index, or null for "all".
 *
 * @param {string | null} text
 * @param {number | null} fallback
 */
function parseChannel(text, fallback) {
  if (text === "all") {
    return null;
  }
  return parseBounded(text, 0, 4096) ?? fallback;
}

/**
 * Parses a hash. Missing keys and invalid values take their defaults, so
 * any hash gives a usable state.
 *
 * @param {string} hash `location.hash`, with or without the leading `#`.
 * @returns {ConvState}
 */
export function parseHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const base = DEFAULT_STATE;
  /** @type {1 | 2} */
  const dims = params.get("dims") === "2" ? 2 : 1;
  const square = (/** @type {Pair} */ pair) =>
    /** @type {Pair} */ (dims === 2 ? [pair[1], pair[1]] : pair);
  const pad = params.get("p");
  const kernel = (params.get("w") ?? "")
    .split(",")
    .filter((part) => part !== "")
    .map(Number);
  const x = params.get("x") ?? "ones";
  const sample = /^(\d):(\d+)$/.exec(params.get("digit") ?? "");

  return {
    source: params.get("src") === "layer" ? "layer" : "custom",
    dims,
    size: parsePair(params.get("n"), LIMITS.size, dims, square(base.size)),
    kernelSize: parsePair(
      params.get("k"),
      LIMITS.kernelSize,
      dims,
      square(base.kernelSize),
    ),
    stride: parsePair(params.get("s"), LIMITS.stride, dims, [1, 1]),
    dilation: parsePair(params.get("d"), LIMITS.dilation, dims, [1, 1]),
    padMode: pad === "same" || pad === "valid" ? pad : "number",
    padding: parsePair(pad, LIMITS.padding, dims, [0, 0]),
    inChannels: parseBounded(params.get("cin"), 1, LIMITS.channels.max) ?? 1,
    outChannels: parseBounded(params.get("cout"), 1, LIMITS.channels.max) ?? 1,
    kernel: kernel.length > 0 && kernel.every(Number.isFinite) ? kernel : null,
    kernelSeed: parseBounded(params.get("ws"), 0, 2 ** 31),
    xMode: x === "delta" ? "delta" : /^\d+$/.test(x) ? "seed" : "ones",
    xSeed: parseBounded(x, 0, 2 ** 31) ?? 0,
    gSeed: parseBounded(params.get("gs"), 0, 2 ** 31),
    model: params.get("model") || base.model,
    layer: params.get("layer") || base.layer,
    outChannel: parseChannel(params.get("oc"), base.outChannel),
    inChannel: parseChannel(params.get("ic"), base.inChannel),
    digit: sample ? "sample" : "random",
    sample: sample
      ? { label: Number(sample[1]), index: Number(sample[2]) }
      : null,
    colorBy: params.get("color") === "value" ? "value" : "weight",
  };
}

/**
 * Formats a state as a hash. A drawing cannot be written into a link, so
 * a state that uses one is written as a seeded random input.
 *
 * @param {ConvState} state
 * @returns {string} The hash, starting with `#`.
 */
export function formatHash(state) {
  const params = new URLSearchParams();
  if (state.source === "layer") {
    params.set("src", "layer");
    params.set("model", state.model);
    params.set("layer", state.layer);
    params.set("oc", state.outChannel === null ? "all" : `${state.outChannel}`);
    params.set("ic", state.inChannel === null ? "all" : `${state.inChannel}`);
    if (state.digit === "sample" && state.sample) {
      params.set("digit", `${state.sample.label}:${state.sample.index}`);
    }
  } else {
    const { dims } = state;
    params.set("dims", String(dims));
    params.set("n", formatPair(state.size, dims));
    params.set("k", formatPair(state.kernelSize, dims));
    params.set("s", formatPair(state.stride, dims));
    params.set("d", formatPair(state.dilation, dims));
    params.set(
      "p",
      state.padMode === "number"
        ? formatPair(state.padding, dims)
        : state.padMode,
    );
    params.set("cin", String(state.inChannels));
    params.set("cout", String(state.outChannels));
    if (state.kernel) {
      params.set("w", state.kernel.map((w) => +w.toPrecision(6)).join(","));
    } else if (state.kernelSeed !== null) {
      params.set("ws", String(state.kernelSeed));
    }
    params.set("x", state.xMode === "seed" ? String(state.xSeed) : state.xMode);
  }
  if (state.gSeed !== null) {
    params.set("gs", String(state.gSeed));
  }
  if (state.colorBy !== DEFAULT_STATE.colorBy) {
    params.set("color", state.colorBy);
  }
  return `#${params.toString()}`;
}

/**
 * Returns the number of kernel weights of a custom configuration.
 *
 * @param {ConvState} state
 */
export function kernelCount(state) {
  const [height, width] = state.kernelSize;
  return state.outChannels * state.inChannels * height * width;
}

/**
 * Returns x with a single 1 in the centre of channel 0, in C order.
 *
 * @param {ConvState} state
 */
function deltaInput(state) {
  const [height, width] = state.size;
  const x = new Array(state.inChannels * height * width).fill(0);
  x[Math.floor(height / 2) * width + Math.floor(width / 2)] = 1;
  return x;
}

/**
 * @typedef {{ image: number[][] } | { png: string } | null} DigitInput
 */

/**
 * Builds the request body of a state. `digit` is the trained layer's input
 * image, or null for the server's seeded random input.
 *
 * @param {ConvState} state
 * @param {DigitInput} digit
 * @returns {Record<string, unknown>}
 */
export function buildRequest(state, digit) {
  /** @type {Record<string, unknown>} */
  const body = {};
  if (state.gSeed !== null) {
    body.g_seed = state.gSeed;
  }
  if (state.source === "layer") {
    body.layer = {
      model: state.model,
      layer: state.layer,
      out_channel: state.outChannel,
      in_channel: state.inChannel,
      ...(digit ?? {}),
    };
    return body;
  }

  const oneD = state.dims === 1;
  const side = (/** @type {Pair} */ pair) => (oneD ? [pair[1]] : [...pair]);
  Object.assign(body, {
    dims: state.dims,
    in_channels: state.inChannels,
    out_channels: state.outChannels,
    input_size: side(state.size),
    kernel_size: side(state.kernelSize),
    stride: side(state.stride),
    dilation: side(state.dilation),
    padding: state.padMode === "number" ? side(state.padding) : state.padMode,
  });
  if (state.kernel && state.kernel.length === kernelCount(state)) {
    body.kernel = state.kernel;
  } else if (state.kernelSeed !== null) {
    body.kernel_seed = state.kernelSeed;
  }
  if (state.xMode === "delta") {
    body.x = deltaInput(state);
  } else if (state.xMode === "seed") {
    body.x_seed = state.xSeed;
  }
  return body;
}
