// @ts-check
/**
 * The view tabs, the model picker and the switch between the views'
 * sections. The tabs are links to the hash of each view, so they can be
 * opened in a new tab or bookmarked.
 */

import { byId } from "./dom.js";
import { VIEWS } from "./state.js";

/** The global that /vendor/plotly.min.js defines. */
const Plotly = /** @type {any} */ (window).Plotly;

/** @typedef {import("./state.js").PageState} PageState */

/** Tabs, model picker and view sections. */
export class Navigation {
  /** @param {import("./state.js").HashState} state */
  constructor(state) {
    this.state = state;
    this.workspace = byId("workspace");
    this.modelPicker = byId("model-picker");
    /** Sections of the views other than "predict", keyed by view. */
    this.sections = {
      maps: byId("maps-view"),
      filters: byId("filters-view"),
      parameters: byId("parameters-view"),
    };
  }

  /**
   * Builds the model picker of the maps, filters and parameters views. A
   * new model keeps the layer name when the model has a layer of that
   * name, so the same block of `resnet` and `plain` can be compared.
   *
   * @param {import("./api.js").ModelInfo[]} models
   */
  setModels(models) {
    const group = document.createElement("div");
    group.className = "segmented";
    for (const model of models) {
      const option = document.createElement("button");
      option.setAttribute("type", "button");
      option.className = "segmented__option";
      option.dataset.model = model.id;
      option.dataset.testid = `model-${model.id}`;
      option.textContent = model.name;
      option.addEventListener("click", () => {
        this.state.update({ model: model.id, channel: null });
      });
      group.append(option);
    }
    this.modelPicker.replaceChildren("Model", group);
  }

  /**
   * Shows the state's view: marks its tab, the chosen model and shows its
   * section. The drawing and the prediction cards stay in every view.
   *
   * @param {PageState} state
   * @param {string} modelId The model the state resolves to.
   */
  render(state, modelId) {
    for (const view of VIEWS) {
      const tab = /** @type {HTMLAnchorElement} */ (byId(`tab-${view}`));
      tab.href = this.state.link({ view });
      if (view === state.view) {
        tab.setAttribute("aria-current", "page");
      } else {
        tab.removeAttribute("aria-current");
      }
    }
    for (const option of this.modelPicker.querySelectorAll("button")) {
      const pressed = option.dataset.model === modelId;
      option.setAttribute("aria-pressed", String(pressed));
    }
    this.modelPicker.hidden = state.view === "predict";
    for (const [view, section] of Object.entries(this.sections)) {
      section.hidden = view !== state.view;
    }
    if (this.workspace.dataset.view === state.view) {
      return;
    }
    this.workspace.dataset.view = state.view;
    // Plotly sizes a plot when it draws it, so plots drawn while their card
    // was hidden or compact take the size of their container now.
    for (const plot of this.workspace.querySelectorAll(".js-plotly-plot")) {
      if (/** @type {HTMLElement} */ (plot).offsetParent !== null) {
        Plotly.Plots.resize(plot);
      }
    }
  }
}
