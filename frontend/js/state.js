// @ts-check
/**
 * Page state in the URL hash, such as `#view=maps&model=cnn&layer=conv1`, so
 * that every view is a link that can be shared or bookmarked. The hash is the
 * only copy of the state: controls write it and the page renders from it.
 */

/** @typedef {"predict" | "maps" | "filters" | "parameters"} ViewName */

/**
 * @typedef {object} PageState
 * @property {ViewName} view
 * @property {string} model Model id.
 * @property {string} layer Layer name; empty for the model's default layer.
 * @property {"z" | "a"} stage Conv layers: pre-activation z or
 *   post-activation a = f(z).
 * @property {"layer" | "map"} scale One color range for the whole layer, or
 *   one per map.
 * @property {"channel" | "max" | "mean"} sort Map order: by channel index,
 *   or strongest first by maximum or by mean activation.
 * @property {number | null} channel The enlarged map, or null.
 */

/** Views in the order of the navigation tabs. */
export const VIEWS = /** @type {const} */ ([
  "predict",
  "maps",
  "filters",
  "parameters",
]);

/** @type {Readonly<PageState>} */
export const DEFAULT_STATE = Object.freeze({
  view: "predict",
  model: "cnn",
  layer: "",
  stage: "z",
  scale: "layer",
  sort: "channel",
  channel: null,
});

/**
 * Accepted values of the enumerated keys; others fall back to the default.
 *
 * @type {Record<string, readonly string[]>}
 */
const CHOICES = {
  view: VIEWS,
  stage: ["z", "a"],
  scale: ["layer", "map"],
  sort: ["channel", "max", "mean"],
};

/**
 * Parses a hash such as `#view=maps&model=cnn&layer=conv1`. Missing keys and
 * invalid values take their defaults, so any hash gives a usable state.
 *
 * @param {string} hash `location.hash`, with or without the leading `#`.
 * @returns {PageState}
 */
export function parseHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  /** @type {PageState} */
  const state = { ...DEFAULT_STATE };
  for (const [key, allowed] of Object.entries(CHOICES)) {
    const value = params.get(key);
    if (value !== null && allowed.includes(value)) {
      Object.assign(state, { [key]: value });
    }
  }
  state.model = params.get("model") || DEFAULT_STATE.model;
  state.layer = params.get("layer") || "";
  const channel = Number.parseInt(params.get("channel") ?? "", 10);
  state.channel = Number.isInteger(channel) && channel >= 0 ? channel : null;
  return state;
}

/**
 * Formats a state as a hash. View, model and layer are always written so
 * that links stay readable; the other keys only when they differ from the
 * default.
 *
 * @param {PageState} state
 * @returns {string} The hash, starting with `#`.
 */
export function formatHash(state) {
  const params = new URLSearchParams();
  params.set("view", state.view);
  params.set("model", state.model);
  if (state.layer) {
    params.set("layer", state.layer);
  }
  for (const key of /** @type {const} */ (["stage", "scale", "sort"])) {
    if (state[key] !== DEFAULT_STATE[key]) {
      params.set(key, state[key]);
    }
  }
  if (state.channel !== null) {
    params.set("channel", String(state.channel));
  }
  return `#${params.toString()}`;
}

/**
 * Holds the page state and keeps it in sync with `location.hash`.
 * `update` replaces the history entry, so that clicking through layers does
 * not fill the back button's history. Following a tab link (a change of
 * view) adds an entry, as links do.
 */
export class HashState {
  /**
   * @param {(state: PageState, previous: PageState) => void} onChange
   *   Called after every change, from `update` or from the hash.
   */
  constructor(onChange) {
    this.onChange = onChange;
    /** @type {PageState} */
    this.state = parseHash(window.location.hash);
    window.addEventListener("hashchange", () => {
      this.apply(parseHash(window.location.hash));
    });
  }

  /** @returns {PageState} */
  get() {
    return this.state;
  }

  /**
   * Changes some keys, writes the hash and calls `onChange`.
   *
   * @param {Partial<PageState>} patch
   */
  update(patch) {
    const next = { ...this.state, ...patch };
    const hash = formatHash(next);
    if (hash !== window.location.hash) {
      window.history.replaceState(null, "", hash);
    }
    this.apply(next);
  }

  /**
   * Returns the hash of this state with some keys changed, for links.
   *
   * @param {Partial<PageState>} patch
   */
  link(patch) {
    return formatHash({ ...this.state, ...patch });
  }

  /** @param {PageState} next */
  apply(next) {
    const previous = this.state;
    this.state = next;
    this.onChange(next, previous);
  }
}
