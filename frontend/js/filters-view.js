// @ts-check
/**
 * The filters view: every filter of a conv layer as a tile of its
 * in-channel kernels on one diverging color scale centered at 0, their L2
 * norms as bars, and one filter enlarged on click. Linear layers show the
 * norm of each unit's weight row.
 */

import { colorRange } from "./colormap.js";
import { byId } from "./dom.js";
import {
  formatParams,
  formatShape,
  renderLayerHeader,
  renderLayerList,
} from "./layer-list.js";
import { WEIGHT_KINDS, resolveSelection } from "./layers.js";
import { renderColorBar } from "./plots/map-grid.js";
import {
  renderFilterGrid,
  renderKernelMosaic,
  renderNorms,
} from "./plots/filters.js";
import { SIGNED_SCALE } from "./scales.js";
import { maxAbs } from "./typed.js";

/** @typedef {import("./api.js").ModelInfo} ModelInfo */
/** @typedef {import("./state.js").PageState} PageState */
/** @typedef {import("./map-detail.js").LoadedFilters} LoadedFilters */

/**
 * Returns a readable list of a conv layer's stride, padding and dilation.
 *
 * @param {import("./api.js").FilterResponse} response
 */
function describeGeometry(response) {
  if (response.kind !== "conv") {
    return "";
  }
  const pair = (/** @type {number[] | string | null} */ value) =>
    Array.isArray(value) ? value.join("×") : String(value);
  return (
    `stride ${pair(response.stride)}, padding ${pair(response.padding)}, ` +
    `dilation ${pair(response.dilation)}`
  );
}

/**
 * Describes how the view draws a layer's weights.
 *
 * @param {import("./api.js").FilterResponse} response
 */
function describeWeights(response) {
  const [count, inputs, height, width] = response.weight_shape;
  if (response.kind === "linear") {
    return (
      `Each of the ${count} units has a weight row of ${inputs} values; ` +
      "the bars show each row's L2 norm."
    );
  }
  if (inputs === 1) {
    return (
      "First layer: each filter is one kernel over the input image, drawn " +
      "in input space with row 0 at the top. PyTorch's conv2d is a " +
      "cross-correlation, so the kernel is not flipped: red marks input " +
      "pixels where ink raises the output, blue where it lowers it."
    );
  }
  return (
    `Each tile is one filter: its ${inputs} in-channel kernels of ` +
    `${height}×${width}, one per input map. Click a tile to enlarge it.`
  );
}

/** Renders the filters view. */
export class FilterView {
  /**
   * @param {object} options
   * @param {import("./state.js").HashState} options.state
   * @param {(model: string, layer: string) => Promise<LoadedFilters>}
   *   options.loadFilters Cached filters request.
   */
  constructor({ state, loadFilters }) {
    this.state = state;
    this.loadFilters = loadFilters;
    /** @type {ModelInfo[]} */
    this.models = [];
    /** Model and layer of the filters on screen, as "model/layer". */
    this.shownKey = "";

    this.layerList = byId("filters-layers");
    this.header = byId("filters-layer-header");
    this.messageLine = byId("filters-message");
    this.colorBar = byId("filters-color-bar");
    this.grid = byId("filters-grid");
    this.norms = byId("filters-norms");
    this.detail = byId("filter-detail");
    this.detailTitle = byId("filter-detail-title");
    this.detailPlot = byId("filter-detail-plot");
    byId("filter-detail-close").addEventListener("click", () => {
      state.update({ channel: null });
    });
  }

  /** @param {ModelInfo[]} models */
  setModels(models) {
    this.models = models;
  }

  /**
   * Renders the view for a state, fetching the layer's filters once.
   *
   * @param {PageState} state
   */
  async render(state) {
    if (this.models.length === 0) {
      return;
    }
    const { model, layer } = resolveSelection(this.models, state, (entry) =>
      WEIGHT_KINDS.includes(entry.kind),
    );
    renderLayerList(this.layerList, {
      layers: model.layers.filter((entry) => WEIGHT_KINDS.includes(entry.kind)),
      selected: layer.name,
      testIdPrefix: "filter-layer-",
      onSelect: (name) => this.state.update({ layer: name, channel: null }),
    });
    const key = `${model.id}/${layer.name}`;
    if (key !== this.shownKey) {
      this.grid.replaceChildren();
      this.colorBar.replaceChildren();
      this.detail.hidden = true;
      this.messageLine.dataset.kind = "info";
      this.messageLine.textContent = `Loading the weights of ${layer.name}…`;
    }

    let loaded;
    try {
      loaded = await this.loadFilters(model.id, layer.name);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.messageLine.dataset.kind = "error";
      this.messageLine.textContent = `Could not load the filters: ${message}`;
      return;
    }
    // A newer render may have started while the request was in flight.
    const current = resolveSelection(this.models, this.state.get(), (entry) =>
      WEIGHT_KINDS.includes(entry.kind),
    );
    if (current.model.id !== model.id || current.layer.name !== layer.name) {
      return;
    }
    this.shownKey = key;
    this.messageLine.textContent = "";
    this.renderLoaded(loaded, this.state.get());
  }

  /**
   * @param {LoadedFilters} loaded
   * @param {PageState} state
   */
  renderLoaded({ response, weight }, state) {
    const shape = response.weight_shape;
    const count = shape[0];
    const unitName = response.kind === "conv" ? "filter" : "unit";
    const parameters =
      shape.reduce((a, b) => a * b, 1) + (response.bias ? count : 0);
    const facts = [
      `weight ${formatShape(shape)}`,
      formatParams(parameters),
      describeGeometry(response),
    ];
    renderLayerHeader(this.header, {
      name: response.layer,
      kind: response.kind,
      facts: facts.filter(Boolean).join(" · "),
      description: describeWeights(response),
    });
    renderNorms(this.norms, { norms: response.norms, unitName });

    if (!weight) {
      this.grid.replaceChildren();
      this.colorBar.replaceChildren();
      this.detail.hidden = true;
      return;
    }
    const limit = maxAbs(weight);
    const range = colorRange(-limit, limit, true);
    const selected =
      state.channel !== null && state.channel < count ? state.channel : null;
    renderColorBar(this.colorBar, {
      lookup: SIGNED_SCALE.lookup,
      range,
      signed: true,
      title: `Weights of ${response.layer}, one scale for all filters`,
    });
    renderFilterGrid(this.grid, {
      weight,
      norms: response.norms,
      range,
      lookup: SIGNED_SCALE.lookup,
      selected,
      onSelect: (filter) => this.state.update({ channel: filter }),
    });
    if (selected === null) {
      this.detail.hidden = true;
      return;
    }
    const opening = this.detail.hidden;
    this.detail.hidden = false;
    this.detailTitle.textContent =
      `Filter ${selected} of ${response.layer}: L2 norm ` +
      `${response.norms[selected].toFixed(3)}`;
    renderKernelMosaic(this.detailPlot, { weight, filter: selected, range });
    if (opening) {
      this.detail.scrollIntoView({ block: "nearest" });
    }
  }
}
