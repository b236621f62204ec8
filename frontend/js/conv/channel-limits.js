// @ts-check
/**
 * Checks of a trained layer's channel choices against the server's limit.
 * POST /api/v1/conv-matrix rejects a matrix W with more non-zeros than a
 * limit that the API does not report. The page counts each choice's
 * non-zeros from the layer's shapes. A choice with no more non-zeros than a
 * matrix the server has accepted is available. Any other choice is sent to
 * the server once, without the matrix's entries, and a 422 makes it
 * unavailable with the server's message as the reason.
 *
 * TODO: compare the counts with the limit itself, and drop the checking
 * requests, once the API reports its non-zero limit.
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
 * @typedef {object} ChannelVerdict
 * @property {boolean} rejected
 * @property {string} message The server's reason, when rejected.
 */

/**
 * @typedef {object} LayerChoice Channel choices on both sides of a layer.
 * @property {string} model
 * @property {string} layer
 * @property {ChannelChoice} out
 * @property {ChannelChoice} in
 */

/**
 * @callback CheckChoice Sends the request of a channel choice and returns
 *   the server's verdict, or null when it gave none (a network error, say).
 * @param {LayerChoice} choice
 * @returns {Promise<ChannelVerdict | null>}
 */

/**
 * @typedef {object} ChannelReasons Why each choice is unavailable, or null
 *   where it is available or still being checked.
 * @property {{ all: string | null, one: string | null }} out
 * @property {{ all: string | null, one: string | null }} in
 */

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
 * Explains why the server rejects a choice, quoting its message.
 *
 * @param {LayerChoice} choice
 * @param {"out" | "in"} side The side whose option is disabled.
 * @param {LayerGeometry} geometry
 * @param {string} message
 */
function describeRejection(choice, side, geometry, message) {
  const other = side === "out" ? "in" : "out";
  const picked = describeChoice(choice, side, geometry);
  return (
    `${picked[0].toUpperCase()}${picked.slice(1)} cannot be combined ` +
    `with ${describeChoice(choice, other, geometry)} because the server ` +
    `rejects that matrix: "${message}"`
  );
}

/** Settles which channel choices the server accepts, and remembers it. */
export class ChannelLimits {
  /**
   * @param {CheckChoice} check Sends the request of a choice.
   * @param {() => void} onSettled Called when a check ends, so that the
   *   page can update the reasons it shows.
   */
  constructor(check, onSettled) {
    this.check = check;
    this.onSettled = onSettled;
    /** Non-zeros of the largest matrix the server has accepted. */
    this.acceptedNonzeros = 0;
    /**
     * Verdict of each checked choice, or "checking", keyed by model, layer
     * and choice.
     *
     * @type {Map<string, ChannelVerdict | "checking">}
     */
    this.verdicts = new Map();
  }

  /**
   * Records a matrix the server accepted: every choice with as many
   * non-zeros or fewer is accepted too.
   *
   * @param {number} nonzeros
   */
  accept(nonzeros) {
    this.acceptedNonzeros = Math.max(this.acceptedNonzeros, nonzeros);
  }

  /**
   * Returns why each channel choice is unavailable, given the choice made
   * on the other side. Choices that need the server's verdict are checked
   * in the background, and `onSettled` reports the end of each check.
   *
   * @param {{ model: string, layer: string, geometry: LayerGeometry,
   *   outChannel: number | null, inChannel: number | null }} selection A
   *   channel of null is all channels.
   * @returns {ChannelReasons}
   */
  reasons({ model, layer, geometry, outChannel, inChannel }) {
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
      model,
      layer,
      out: outChannel === null ? "all" : "one",
      in: inChannel === null ? "all" : "one",
    };
    for (const side of /** @type {const} */ (["out", "in"])) {
      for (const option of /** @type {const} */ (["all", "one"])) {
        // The page's own request settles the current choice.
        if (option === current[side]) {
          continue;
        }
        /** @type {LayerChoice} */
        const choice = { ...current, [side]: option };
        const nonzeros =
          perPair * counts.out[choice.out] * counts.in[choice.in];
        const verdict = this.verdict(choice, nonzeros);
        if (verdict?.rejected) {
          reasons[side][option] = describeRejection(
            choice,
            side,
            geometry,
            verdict.message,
          );
        }
      }
    }
    return reasons;
  }

  /**
   * Returns the verdict on a choice: accepted when no larger than a matrix
   * the server accepted, otherwise the server's verdict, or null while it
   * is being checked.
   *
   * @param {LayerChoice} choice
   * @param {number} nonzeros
   * @returns {ChannelVerdict | null}
   */
  verdict(choice, nonzeros) {
    if (nonzeros <= this.acceptedNonzeros) {
      return { rejected: false, message: "" };
    }
    const key = [choice.model, choice.layer, choice.out, choice.in].join("/");
    const known = this.verdicts.get(key);
    if (known !== undefined) {
      return known === "checking" ? null : known;
    }
    this.verdicts.set(key, "checking");
    this.check(choice).then((verdict) => {
      if (verdict && !verdict.rejected) {
        this.accept(nonzeros);
      }
      // A check that failed without a verdict leaves the choice available
      // and is not repeated, because the page's own request shows the error.
      this.verdicts.set(key, verdict ?? { rejected: false, message: "" });
      this.onSettled();
    });
    return null;
  }
}
