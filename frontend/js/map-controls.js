// @ts-check
/**
 * The options of the feature maps view: pre-activation z or
 * post-activation a for conv layers, one color scale for the layer or one
 * per map, and the order of the maps. Each control writes the page state.
 */

import { byId } from "./dom.js";

/** @typedef {import("./state.js").PageState} PageState */

/**
 * Returns the `data-value` of the segmented option an event hit, if any.
 *
 * @param {Event} event
 */
function clickedOption(event) {
  const target = /** @type {HTMLElement} */ (event.target);
  const option = target.closest("button");
  return option && !option.disabled ? option.dataset.value : undefined;
}

/**
 * Marks the option whose `data-value` is `value` as pressed.
 *
 * @param {HTMLElement} group
 * @param {string} value
 */
function pressOption(group, value) {
  for (const option of group.querySelectorAll("button")) {
    option.setAttribute("aria-pressed", String(option.dataset.value === value));
  }
}

/** The stage, scale and order controls above the grid. */
export class MapControls {
  /** @param {import("./state.js").HashState} state */
  constructor(state) {
    this.container = byId("maps-controls");
    this.stage = byId("maps-stage");
    this.scale = byId("maps-scale");
    this.sort = /** @type {HTMLSelectElement} */ (byId("maps-sort"));

    this.stage.addEventListener("click", (/** @type {Event} */ event) => {
      const value = clickedOption(event);
      if (value === "z" || value === "a") {
        state.update({ stage: value });
      }
    });
    this.scale.addEventListener("click", (/** @type {Event} */ event) => {
      const value = clickedOption(event);
      if (value === "layer" || value === "map") {
        state.update({ scale: value });
      }
    });
    this.sort.addEventListener("change", () => {
      const value = this.sort.value;
      if (value === "channel" || value === "max" || value === "mean") {
        state.update({ sort: value });
      }
    });
  }

  /**
   * Shows the controls that apply to a layer, with the state's choices:
   * all of them for conv layers, scale and order for other maps, none for
   * vectors.
   *
   * @param {{ kind: string }} layer
   * @param {boolean} hasMaps Whether the layer's output is a stack of maps.
   * @param {PageState} state
   */
  render(layer, hasMaps, state) {
    this.container.hidden = !hasMaps;
    this.stage.hidden = layer.kind !== "conv";
    pressOption(this.stage, state.stage);
    pressOption(this.scale, state.scale);
    this.sort.value = state.sort;
  }
}
