// @ts-check
/**
 * The form on the left of the conv-matrix page. It reads the inputs into
 * patches of the page state and shows a state in the inputs. It never
 * calls the API.
 */

import { NumberFields } from "./number-fields.js";
import { DEFAULT_STATE, LIMITS, kernelCount, parseHash } from "./state.js";

/** @typedef {import("./channel-limits.js").ChannelReasons} ChannelReasons */
/** @typedef {import("./state.js").ConvState} ConvState */
/** @typedef {import("./state.js").Pair} Pair */
/** @typedef {import("../api.js").ModelInfo} ModelInfo */

/** Seeds of the random buttons are below this, to keep links short. */
const MAX_SEED = 100_000;

/**
 * Returns the element with this id, or throws if the page lacks it.
 *
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) {
    throw new Error(`Element #${id} is missing from conv.html.`);
  }
  return /** @type {T} */ (node);
}

/** Returns a new random seed. */
function randomSeed() {
  return Math.floor(Math.random() * MAX_SEED);
}

/**
 * Marks the option of a segmented control whose data-value is `value`.
 *
 * @param {HTMLElement} group
 * @param {string} value
 */
function pressOption(group, value) {
  for (const button of group.querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.value === value));
  }
}

/**
 * Replaces the options of a select.
 *
 * @param {HTMLSelectElement} select
 * @param {[string, string][]} options (value, label) pairs.
 */
function setOptions(select, options) {
  const current = Array.from(select.options, (option) => [
    option.value,
    option.text,
  ]);
  if (JSON.stringify(current) === JSON.stringify(options)) {
    return;
  }
  select.replaceChildren(
    ...options.map(([value, label]) => new Option(label, value)),
  );
}

/**
 * Returns "all" and each index below `count` as select options.
 *
 * @param {number} count
 * @returns {[string, string][]}
 */
function channelOptions(count) {
  return [
    ["all", `all ${count}`],
    ...Array.from(
      { length: count },
      (_, index) => /** @type {[string, string]} */ ([`${index}`, `${index}`]),
    ),
  ];
}

/** Pair inputs of the size table, keyed by state field. */
const PAIR_FIELDS = /** @type {const} */ ({
  size: { ids: ["size-h", "size-w"], limit: LIMITS.size },
  kernelSize: { ids: ["kernel-h", "kernel-w"], limit: LIMITS.kernelSize },
  stride: { ids: ["stride-h", "stride-w"], limit: LIMITS.stride },
  dilation: { ids: ["dilation-h", "dilation-w"], limit: LIMITS.dilation },
  padding: { ids: ["pad-h", "pad-w"], limit: LIMITS.padding },
});

/**
 * @typedef {object} ControlHandlers
 * @property {() => void} onSample Called by the "Sample digit" button,
 *   which changes the digit outside the state.
 * @property {() => void} onClearDrawing Called by the "Clear" button.
 * @property {(problems: string[]) => void} onProblems Called with the
 *   messages of the invalid number inputs whenever they change. The state
 *   keeps its last valid values meanwhile.
 */

/** Reads the form into state patches and shows states in it. */
export class ConvControls {
  /**
   * @param {(patch: Partial<ConvState>) => void} onPatch Called with the
   *   fields a user action changed.
   * @param {ControlHandlers} handlers
   */
  constructor(onPatch, handlers) {
    this.onPatch = onPatch;
    /** @type {ConvState} */
    this.state = { ...DEFAULT_STATE };
    this.form = byId("custom-controls");
    this.layerForm = byId("layer-controls");
    this.source = byId("source");
    this.dims = byId("dims");
    this.colorBy = byId("color-by");
    this.padMode = /** @type {HTMLSelectElement} */ (byId("pad-mode"));
    this.xMode = /** @type {HTMLSelectElement} */ (byId("x-mode"));
    this.model = /** @type {HTMLSelectElement} */ (byId("layer-model"));
    this.layer = /** @type {HTMLSelectElement} */ (byId("layer-name"));
    this.outChannel = /** @type {HTMLSelectElement} */ (byId("out-channel"));
    this.inChannel = /** @type {HTMLSelectElement} */ (byId("in-channel"));
    this.digit = /** @type {HTMLSelectElement} */ (byId("digit-mode"));
    this.preset = /** @type {HTMLSelectElement} */ (byId("preset"));
    /** @type {ModelInfo[]} */
    this.models = [];
    this.numbers = new NumberFields(
      /** @type {HTMLTableElement} */ (this.form.querySelector(".conv-sizes")),
      handlers.onProblems,
    );

    this.bindSegmented();
    this.bindNumbers();
    this.bindSelects();
    this.bindButtons(handlers);
  }

  bindSegmented() {
    this.source.addEventListener("click", (event) => {
      const value = buttonValue(event);
      if (value === "custom" || value === "layer") {
        this.onPatch({ source: value });
      }
    });
    this.dims.addEventListener("click", (event) => {
      const value = buttonValue(event);
      if (value !== "1" && value !== "2") {
        return;
      }
      const dims = value === "1" ? 1 : 2;
      if (dims !== this.state.dims) {
        this.onPatch(switchDims(this.state, dims));
      }
    });
    this.colorBy.addEventListener("click", (event) => {
      const value = buttonValue(event);
      if (value === "weight" || value === "value") {
        this.onPatch({ colorBy: value });
      }
    });
  }

  /**
   * Number inputs send a patch on every valid edit. `input` fires while
   * typing and on the spinner, and `change` covers other committed edits.
   */
  bindNumbers() {
    for (const [field, { ids, limit }] of Object.entries(PAIR_FIELDS)) {
      for (const id of ids) {
        const input = /** @type {HTMLInputElement} */ (byId(id));
        const read = () => {
          const pair = this.readPair(ids, limit);
          if (pair) {
            this.onPatch(withKernelCheck(this.state, { [field]: pair }));
          }
        };
        input.addEventListener("input", read);
        input.addEventListener("change", read);
      }
    }
    for (const [field, id] of [
      ["inChannels", "in-channels"],
      ["outChannels", "out-channels"],
    ]) {
      const input = /** @type {HTMLInputElement} */ (byId(id));
      const read = () => {
        const value = this.numbers.read(input, LIMITS.channels);
        if (value !== null) {
          this.onPatch(withKernelCheck(this.state, { [field]: value }));
        }
      };
      input.addEventListener("input", read);
      input.addEventListener("change", read);
    }
  }

  bindSelects() {
    this.padMode.addEventListener("change", () => {
      const mode = this.padMode.value;
      if (mode === "number" || mode === "same" || mode === "valid") {
        this.onPatch({ padMode: mode });
      }
    });
    this.xMode.addEventListener("change", () => {
      const mode = this.xMode.value;
      if (mode === "ones" || mode === "delta" || mode === "seed") {
        this.onPatch({ xMode: mode });
      }
    });
    this.model.addEventListener("change", () => {
      const info = this.models.find((model) => model.id === this.model.value);
      const first = info?.layers.find((layer) => layer.kind === "conv");
      this.onPatch({
        model: this.model.value,
        layer: first?.name ?? "",
        outChannel: 0,
        inChannel: 0,
      });
    });
    this.layer.addEventListener("change", () => {
      this.onPatch({ layer: this.layer.value, outChannel: 0, inChannel: 0 });
    });
    this.outChannel.addEventListener("change", () => {
      this.onPatch({ outChannel: channelValue(this.outChannel.value) });
    });
    this.inChannel.addEventListener("change", () => {
      this.onPatch({ inChannel: channelValue(this.inChannel.value) });
    });
    this.preset.addEventListener("change", () => {
      if (this.preset.value) {
        this.onPatch(parseHash(this.preset.value));
        this.preset.value = "";
      }
    });
  }

  /**
   * @param {{ onSample: () => void, onClearDrawing: () => void }}
   *   digitHandlers
   */
  bindButtons(digitHandlers) {
    byId("random-kernel").addEventListener("click", () => {
      this.onPatch({ kernel: null, kernelSeed: randomSeed() });
    });
    byId("reset-kernel").addEventListener("click", () => {
      this.onPatch({ kernel: null, kernelSeed: null });
    });
    byId("random-x").addEventListener("click", () => {
      this.onPatch({ xMode: "seed", xSeed: randomSeed() });
    });
    byId("random-g").addEventListener("click", () => {
      this.onPatch({ gSeed: randomSeed() });
    });
    byId("ones-g").addEventListener("click", () => {
      this.onPatch({ gSeed: null });
    });
    byId("sample-digit").addEventListener("click", digitHandlers.onSample);
    byId("clear-digit").addEventListener("click", digitHandlers.onClearDrawing);
    this.digit.addEventListener("change", () => {
      const mode = this.digit.value;
      if (mode === "sample" && !this.state.sample) {
        digitHandlers.onSample();
      } else if (mode === "random" || mode === "sample" || mode === "drawing") {
        this.onPatch({ digit: mode });
      }
    });
  }

  /**
   * Reads a pair of inputs, or returns null while one is not a valid
   * number. In 1-D the height input is hidden and the height is 1.
   *
   * @param {readonly string[]} ids
   * @param {{ min: number, max: number }} limit
   * @returns {Pair | null}
   */
  readPair(ids, limit) {
    const [heightInput, widthInput] = ids.map(
      (id) => /** @type {HTMLInputElement} */ (byId(id)),
    );
    const width = this.numbers.read(widthInput, limit);
    if (this.state.dims === 1) {
      this.numbers.ignore(heightInput);
      return width === null ? null : [1, width];
    }
    const height = this.numbers.read(heightInput, limit);
    return height === null || width === null ? null : [height, width];
  }

  /**
   * Lists the served models and their conv layers.
   *
   * @param {ModelInfo[]} models
   */
  setModels(models) {
    this.models = models;
    this.show(this.state);
  }

  /**
   * Lists the channels of the chosen layer.
   *
   * @param {number} outChannels
   * @param {number} inChannels
   */
  setLayerChannels(outChannels, inChannels) {
    setOptions(this.outChannel, channelOptions(outChannels));
    setOptions(this.inChannel, channelOptions(inChannels));
    this.show(this.state);
  }

  /**
   * Disables the channel options the server rejects, and explains why
   * under the channel selects.
   *
   * @param {ChannelReasons} reasons
   */
  setChannelLimits(reasons) {
    /** @type {string[]} */
    const messages = [];
    for (const [select, side] of /** @type {const} */ ([
      [this.outChannel, reasons.out],
      [this.inChannel, reasons.in],
    ])) {
      for (const option of Array.from(select.options)) {
        const reason = option.value === "all" ? side.all : side.one;
        option.disabled = reason !== null;
        option.title = reason ?? "";
      }
      for (const reason of [side.all, side.one]) {
        if (reason !== null) {
          messages.push(reason);
        }
      }
    }
    const note = byId("channel-note");
    note.textContent = messages.join(" ");
    note.hidden = messages.length === 0;
  }

  /**
   * Shows the coloring W was drawn with, and disables coloring by weight
   * when the kernel has too many weights for one color each.
   *
   * @param {"weight" | "value"} colorBy
   * @param {boolean} weightAvailable
   */
  showColoring(colorBy, weightAvailable) {
    pressOption(this.colorBy, colorBy);
    const weight = this.colorBy.querySelector("[data-value=weight]");
    if (weight instanceof HTMLButtonElement) {
      weight.disabled = !weightAvailable;
      weight.title = weightAvailable
        ? ""
        : "The kernel has too many weights for one color each.";
    }
  }

  /**
   * Shows a state in the form. Inputs that hold the focus keep what the
   * user is typing.
   *
   * @param {ConvState} state
   */
  show(state) {
    this.state = state;
    const custom = state.source === "custom";
    pressOption(this.source, state.source);
    pressOption(this.dims, String(state.dims));
    pressOption(this.colorBy, state.colorBy);
    this.form.hidden = !custom;
    this.layerForm.hidden = custom;
    this.form.dataset.dims = String(state.dims);
    const side = state.dims === 1 ? "length" : "width";
    byId("width-heading").textContent = side;
    // The error messages under the table name the inputs by these labels.
    byId("size-w").setAttribute("aria-label", `Input ${side}`);
    byId("kernel-w").setAttribute("aria-label", `Kernel ${side}`);

    for (const [field, { ids }] of Object.entries(PAIR_FIELDS)) {
      const pair = /** @type {Pair} */ (
        state[/** @type {keyof typeof PAIR_FIELDS} */ (field)]
      );
      ids.forEach((id, axis) => this.writeNumber(id, pair[axis]));
    }
    this.writeNumber("in-channels", state.inChannels);
    this.writeNumber("out-channels", state.outChannels);
    this.padMode.value = state.padMode;
    for (const id of PAIR_FIELDS.padding.ids) {
      /** @type {HTMLInputElement} */ (byId(id)).disabled =
        state.padMode !== "number";
    }
    this.xMode.value = state.xMode;

    setOptions(
      this.model,
      this.models.map((model) => [model.id, model.name]),
    );
    this.model.value = state.model;
    const info = this.models.find((model) => model.id === state.model);
    setOptions(
      this.layer,
      (info?.layers ?? [])
        .filter((layer) => layer.kind === "conv")
        .map((layer) => [layer.name, layer.name]),
    );
    this.layer.value = state.layer;
    this.outChannel.value =
      state.outChannel === null ? "all" : String(state.outChannel);
    this.inChannel.value =
      state.inChannel === null ? "all" : String(state.inChannel);
    this.digit.value = state.digit;
  }

  /**
   * Writes a number into an input unless the user is typing in it.
   *
   * @param {string} id
   * @param {number} value
   */
  writeNumber(id, value) {
    this.numbers.write(/** @type {HTMLInputElement} */ (byId(id)), value);
  }
}

/**
 * Returns the data-value of the clicked button, or null.
 *
 * @param {Event} event
 */
function buttonValue(event) {
  const target = /** @type {HTMLElement} */ (event.target);
  return target.closest("button")?.dataset.value ?? null;
}

/**
 * Parses a channel select's value: a number, or null for "all".
 *
 * @param {string} value
 */
function channelValue(value) {
  return value === "all" ? null : Number(value);
}

/**
 * Adds `kernel: null` to a patch that changes the number of kernel
 * weights, since edited weights no longer fit the new shape.
 *
 * @param {ConvState} state
 * @param {Partial<ConvState>} patch
 * @returns {Partial<ConvState>}
 */
function withKernelCheck(state, patch) {
  const next = { ...state, ...patch };
  if (state.kernel && kernelCount(next) !== state.kernel.length) {
    return { ...patch, kernel: null };
  }
  return patch;
}

/**
 * Returns the patch that switches between 1-D and 2-D: every pair becomes
 * square from its width, and edited weights are dropped.
 *
 * @param {ConvState} state
 * @param {1 | 2} dims
 * @returns {Partial<ConvState>}
 */
function switchDims(state, dims) {
  /** @param {Pair} pair @returns {Pair} */
  const convert = (pair) => (dims === 1 ? [1, pair[1]] : [pair[1], pair[1]]);
  return {
    dims,
    size: convert(state.size),
    kernelSize: convert(state.kernelSize),
    stride: convert(state.stride),
    dilation: convert(state.dilation),
    padding: convert(state.padding),
    kernel: null,
  };
}
