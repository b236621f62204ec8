// @ts-check
/**
 * The experiment's options and the chart choices, kept in the URL hash
 * (for example `#blocks=50&batchnorm=1&steps=20&phase=after`), so that a
 * configuration can be shared as a link.
 */

/**
 * @typedef {object} PageState
 * @property {import("./gradients-api.js").FlowConfig} config
 * @property {"init" | "after"} phase Which measurement the depth chart shows
 *   when the run trained: at initialisation or after training.
 * @property {"weights" | "blocks"} quantity ‖∂l/∂W‖ per conv or ‖∂l/∂a‖
 *   per block output.
 */

/** Options of a first visit, the same as the API's defaults. */
export const DEFAULT_STATE = Object.freeze({
  config: Object.freeze({
    blocks: 25,
    width: 8,
    batchnorm: false,
    init: /** @type {const} */ ("default"),
    steps: 0,
    batch_size: 32,
    lr: 0.001,
    seed: 0,
  }),
  phase: /** @type {const} */ ("init"),
  quantity: /** @type {const} */ ("weights"),
});

const INITS = ["default", "kaiming", "xavier"];

/**
 * Parses the URL hash. Missing or malformed entries keep their default.
 * Out-of-range numbers are kept, so that the server rejects them with a
 * message that names the field.
 *
 * @param {string} hash `window.location.hash`, with or without the "#".
 * @returns {PageState}
 */
export function parseHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const defaults = DEFAULT_STATE.config;

  /**
   * @param {string} key
   * @param {number} fallback
   */
  const number = (key, fallback) => {
    const text = params.get(key);
    const value = text === null || text === "" ? NaN : Number(text);
    return Number.isFinite(value) ? value : fallback;
  };
  const init = params.get("init") ?? "";
  const phase = params.get("phase");
  const quantity = params.get("quantity");
  return {
    config: {
      blocks: number("blocks", defaults.blocks),
      width: number("width", defaults.width),
      batchnorm: params.get("batchnorm") === "1",
      init: INITS.includes(init)
        ? /** @type {"default" | "kaiming" | "xavier"} */ (init)
        : defaults.init,
      steps: number("steps", defaults.steps),
      batch_size: number("batch_size", defaults.batch_size),
      lr: number("lr", defaults.lr),
      seed: number("seed", defaults.seed),
    },
    phase: phase === "after" ? "after" : "init",
    quantity: quantity === "blocks" ? "blocks" : "weights",
  };
}

/**
 * Writes the state into the URL hash without adding a history entry.
 *
 * @param {PageState} state
 */
export function writeHash(state) {
  const { config } = state;
  const params = new URLSearchParams({
    blocks: String(config.blocks),
    width: String(config.width),
    batchnorm: config.batchnorm ? "1" : "0",
    init: config.init,
    steps: String(config.steps),
    batch_size: String(config.batch_size),
    lr: String(config.lr),
    seed: String(config.seed),
    phase: state.phase,
    quantity: state.quantity,
  });
  window.history.replaceState(null, "", `#${params}`);
}
