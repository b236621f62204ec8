// @ts-check
/**
 * The feature maps view: a layer list, and the chosen layer's values for
 * the current drawing. Maps of (C, H, W) layers form a grid of canvases
 * with one color bar; a residual block adds its branch + skip = sum;
 * vectors are Plotly bars or strips. The view renders from the page state
 * and the last activations response; main.js sends the requests.
 */

import { blockParts, renderBlockParts } from "./block-parts.js";
import { byId } from "./dom.js";
import {
  formatParams,
  formatShape,
  renderLayerHeader,
  renderLayerList,
} from "./layer-list.js";
import {
  describeLayer,
  describeShownValues,
  resolveSelection,
} from "./layers.js";
import { MapControls } from "./map-controls.js";
import { MapDetail } from "./map-detail.js";
import {
  formatValue,
  renderColorBar,
  renderMapGrid,
} from "./plots/map-grid.js";
import { channelOrder, rangeOf, scaleFor } from "./scales.js";
import { decodeTypedArray, mapMeans, mapValues } from "./typed.js";
import { renderVectorLayer } from "./vector-layer.js";

/** @typedef {import("./api.js").ModelInfo} ModelInfo */
/** @typedef {import("./api.js").LayerInfo} LayerInfo */
/** @typedef {import("./api.js").LayerActivation} LayerActivation */
/** @typedef {import("./api.js").ActivationResponse} ActivationResponse */
/** @typedef {import("./state.js").PageState} PageState */
/** @typedef {import("./typed.js").DecodedArray} DecodedArray */
/** @typedef {import("./typed.js").TypedArrayPayload} TypedArrayPayload */
/** @typedef {import("./map-detail.js").LoadedFilters} LoadedFilters */

/**
 * Returns whether a layer's output is a stack of maps larger than 1×1.
 *
 * @param {{ shape: number[] }} layer
 */
function hasMaps(layer) {
  return layer.shape.length === 3 && layer.shape[1] * layer.shape[2] > 1;
}

/**
 * Returns the CSS size of a grid tile: large for a few big maps, small for
 * many small ones, so that 128 maps of 8×8 still fit on a screen.
 *
 * @param {DecodedArray} decoded
 */
function tileSize(decoded) {
  if (decoded.mapCount > 64) {
    return 44;
  }
  if (decoded.rows >= 20) {
    return 72;
  }
  return decoded.rows >= 12 ? 62 : 52;
}

/** Renders the feature maps view. */
export class FeatureMapView {
  /**
   * @param {object} options
   * @param {import("./state.js").HashState} options.state
   * @param {(model: string, layer: string) => Promise<LoadedFilters>}
   *   options.loadFilters Cached filters request.
   */
  constructor({ state, loadFilters }) {
    this.state = state;
    /** @type {ModelInfo[]} */
    this.models = [];
    /** @type {ActivationResponse | null} */
    this.response = null;
    /** @type {Map<TypedArrayPayload, DecodedArray>} */
    this.decoded = new Map();
    /** Shown instead of maps: nothing drawn, loading or an error. */
    this.message = "";

    this.layerList = byId("maps-layers");
    this.header = byId("maps-layer-header");
    this.messageLine = byId("maps-message");
    this.blockParts = byId("block-parts");
    this.gridTitle = byId("maps-grid-title");
    this.colorBar = byId("maps-color-bar");
    this.grid = byId("maps-grid");
    this.vector = byId("maps-vector");
    this.vectorCaption = byId("maps-vector-caption");
    this.detail = new MapDetail({
      loadFilters,
      onClose: () => state.update({ channel: null }),
    });

    this.controls = new MapControls(state);
  }

  /**
   * Opens a map large after a click, and scrolls to it. Only clicks scroll:
   * scrolling on a live update would move the canvas under the pen.
   *
   * @param {number} channel
   */
  selectChannel(channel) {
    this.state.update({ channel });
    this.detail.reveal();
  }

  /** @param {ModelInfo[]} models */
  setModels(models) {
    this.models = models;
  }

  /**
   * Returns the model and layer the state selects.
   *
   * @param {PageState} state
   */
  selection(state) {
    return resolveSelection(this.models, state);
  }

  /**
   * Returns whether the maps on screen are those of this model and layer.
   *
   * @param {string} modelId
   * @param {string} layerName
   */
  shows(modelId, layerName) {
    return (
      this.response !== null &&
      this.response.model === modelId &&
      this.response.layers[0]?.name === layerName
    );
  }

  /**
   * Stores a response and renders it, unless the selection changed since
   * its request was sent.
   *
   * @param {ActivationResponse} response
   */
  showResponse(response) {
    const state = this.state.get();
    const { model, layer } = this.selection(state);
    const layerName = response.layers[0]?.name;
    if (response.model !== model.id || layerName !== layer.name) {
      return;
    }
    this.response = response;
    this.decoded = new Map();
    this.message = "";
    this.render(state);
  }

  /**
   * Drops the maps and shows a message instead: nothing drawn, loading or
   * an error.
   *
   * @param {string} message
   * @param {"info" | "error"} [kind]
   */
  showMessage(message, kind = "info") {
    this.response = null;
    this.decoded = new Map();
    this.message = message;
    this.messageLine.dataset.kind = kind;
    this.render(this.state.get());
  }

  /**
   * Returns a typed array of the response, decoded once.
   *
   * @param {TypedArrayPayload} payload
   */
  decode(payload) {
    let decoded = this.decoded.get(payload);
    if (!decoded) {
      decoded = decodeTypedArray(payload);
      this.decoded.set(payload, decoded);
    }
    return decoded;
  }

  /**
   * Renders the whole view for a state.
   *
   * @param {PageState} state
   */
  render(state) {
    if (this.models.length === 0) {
      return;
    }
    const { model, layer } = this.selection(state);
    renderLayerList(this.layerList, {
      layers: model.layers,
      selected: layer.name,
      testIdPrefix: "layer-",
      onSelect: (name) => this.state.update({ layer: name, channel: null }),
    });
    const entry = this.shows(model.id, layer.name)
      ? /** @type {ActivationResponse} */ (this.response).layers[0]
      : null;
    this.renderHeader(model, layer, entry, state);
    this.controls.render(layer, hasMaps(layer), state);
    this.messageLine.textContent = entry ? "" : this.message;

    const showMaps = entry !== null && hasMaps(entry);
    const showVector = entry !== null && !hasMaps(entry);
    this.blockParts.hidden = true;
    this.vector.hidden = !showVector;
    this.vectorCaption.hidden = !showVector;
    if (!showMaps) {
      this.grid.replaceChildren();
      this.gridTitle.textContent = "";
      this.colorBar.replaceChildren();
      this.detail.hide();
    }
    if (entry && showMaps) {
      this.renderMaps(model, entry, state);
    } else if (entry) {
      renderVectorLayer(this.vector, this.vectorCaption, {
        layers: model.layers,
        entry,
        decode: (payload) => this.decode(payload),
      });
    }
  }

  /**
   * @param {ModelInfo} model
   * @param {LayerInfo} layer
   * @param {LayerActivation | null} entry
   * @param {PageState} state
   */
  renderHeader(model, layer, entry, state) {
    const facts = [
      model.name,
      `output ${formatShape(layer.shape)}`,
      formatParams(layer.params),
    ];
    if (layer.parent) {
      facts.push(`inside block ${layer.parent}`);
    }
    renderLayerHeader(this.header, {
      name: layer.name,
      kind: layer.kind,
      facts: facts.join(" · "),
      description: describeLayer(model.layers, layer),
      note: entry ? describeShownValues(model.layers, entry, state.stage) : "",
    });
  }

  /**
   * Renders a layer of (C, H, W) maps: a block's parts, the grid with its
   * color bar and the enlarged map.
   *
   * @param {ModelInfo} model
   * @param {LayerActivation} entry
   * @param {PageState} state
   */
  renderMaps(model, entry, state) {
    const showActivation =
      entry.kind === "conv" && state.stage === "a" && entry.activation;
    const payload =
      showActivation && entry.activation ? entry.activation : entry.values;
    const decoded = this.decode(payload);
    const scale = scaleFor(
      decoded,
      !showActivation && entry.stage === "pre-activation",
    );
    const shared = rangeOf([decoded], scale.signed, null);
    /** @param {number} channel */
    const range = (channel) =>
      state.scale === "layer"
        ? shared
        : rangeOf([decoded], scale.signed, channel);
    const channel =
      state.channel !== null && state.channel < decoded.mapCount
        ? state.channel
        : null;

    const parts = entry.kind === "block" ? blockParts(model.layers, entry) : [];
    if (parts.length > 0) {
      renderBlockParts(this.blockParts, {
        parts,
        decode: (part) => this.decode(part),
        scale: state.scale,
        selected: channel,
        onSelect: (index) => this.selectChannel(index),
      });
    }
    const size = `${decoded.rows}×${decoded.columns}`;
    const maps = `${decoded.mapCount} maps of ${size}`;
    const summed = parts.length > 1 ? "sum" : "branch";
    this.gridTitle.textContent =
      entry.kind === "block"
        ? `Block output a[l+2] = ReLU(${summed}): ${maps}`
        : `${entry.name}: ${maps}. Click a map to enlarge it.`;
    renderColorBar(this.colorBar, {
      lookup: scale.lookup,
      range: state.scale === "layer" ? shared : null,
      signed: scale.signed,
      title:
        state.scale === "layer"
          ? "One color scale for all maps of the layer"
          : "Each map on its own color scale",
    });
    const means = mapMeans(decoded);
    this.grid.style.setProperty("--tile-size", `${tileSize(decoded)}px`);
    renderMapGrid(this.grid, {
      rows: decoded.rows,
      columns: decoded.columns,
      order: channelOrder(decoded, state.sort),
      values: (index) => mapValues(decoded, index),
      range,
      lookup: scale.lookup,
      describe: (index) =>
        `Channel ${index}: max ${formatValue(decoded.max[index])}, ` +
        `mean ${formatValue(means[index])}`,
      selected: channel,
      testId: "feature-map",
      onSelect: (index) => this.selectChannel(index),
    });

    if (channel === null) {
      this.detail.hide();
    } else if (parts.length > 0) {
      this.detail.showBlock({
        modelId: model.id,
        layer: entry.name,
        channel,
        panels: [
          ...parts.map((part) => ({
            title: part.key,
            decoded: this.decode(part.payload),
          })),
          { title: "output = ReLU", decoded },
        ],
      });
    } else {
      const isConv = entry.kind === "conv";
      let valueName = "value";
      if (isConv) {
        valueName = showActivation ? "a" : "z";
      }
      this.detail.showMap({
        modelId: model.id,
        layer: entry.name,
        decoded,
        channel,
        range: range(channel),
        colorscale: scale.colorscale,
        valueName,
        filterLayer: isConv ? entry.name : entry.source_conv,
      });
    }
  }
}
