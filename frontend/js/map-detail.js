// @ts-check
/**
 * One feature map enlarged: a Plotly heatmap with the values on hover,
 * beside the filter that produced it (its in-channel kernels on a diverging
 * scale centered at 0). For a residual block the channel's branch, skip,
 * sum and output are shown side by side instead.
 */

import { fetchFilters } from "./api.js";
import { byId } from "./dom.js";
import { renderBlockChannel, renderMapHeatmap } from "./plots/activations.js";
import { renderKernelMosaic } from "./plots/filters.js";
import { SIGNED_SCALE, filterRange, rangeOf } from "./scales.js";
import { decodeTypedArray, mapValues, toRows } from "./typed.js";

/** @typedef {import("./typed.js").DecodedArray} DecodedArray */
/** @typedef {import("./colormap.js").ColorRange} ColorRange */

/**
 * @typedef {object} LoadedFilters
 * @property {import("./api.js").FilterResponse} response
 * @property {DecodedArray | null} weight Decoded `response.weight`.
 */

/** @type {Map<string, Promise<LoadedFilters>>} */
const filterCache = new Map();

/**
 * Fetches a layer's filters once per page and decodes their weights. The
 * feature maps and the filters views share the cache.
 *
 * @param {string} modelId
 * @param {string} layer
 * @returns {Promise<LoadedFilters>}
 */
export function loadFilters(modelId, layer) {
  const key = `${modelId}/${layer}`;
  let loaded = filterCache.get(key);
  if (!loaded) {
    loaded = fetchFilters(modelId, layer).then((response) => ({
      response,
      weight: response.weight ? decodeTypedArray(response.weight) : null,
    }));
    // A failed request is not cached, so that the next render retries.
    loaded.catch(() => filterCache.delete(key));
    filterCache.set(key, loaded);
  }
  return loaded;
}

/**
 * Returns one map of a decoded array as rows.
 *
 * @param {DecodedArray} decoded
 * @param {number} channel
 */
function channelRows(decoded, channel) {
  return toRows(mapValues(decoded, channel), decoded.rows, decoded.columns);
}

/** The enlarged map panel of the feature maps view. */
export class MapDetail {
  /**
   * @param {object} options
   * @param {(model: string, layer: string) => Promise<LoadedFilters>}
   *   options.loadFilters Cached filters request.
   * @param {() => void} options.onClose
   */
  constructor({ loadFilters, onClose }) {
    this.loadFilters = loadFilters;
    this.panel = byId("map-detail");
    this.title = byId("map-detail-title");
    this.mapFigure = byId("map-detail-map-figure");
    this.map = byId("map-detail-map");
    this.mapCaption = byId("map-detail-map-caption");
    this.filterFigure = byId("map-detail-filter-figure");
    this.filter = byId("map-detail-filter");
    this.filterCaption = byId("map-detail-filter-caption");
    this.block = byId("map-detail-block");
    byId("map-detail-close").addEventListener("click", onClose);
  }

  hide() {
    this.panel.hidden = true;
    this.panel.dataset.key = "";
  }

  /** Scrolls the page so that the panel is in view, if it is shown. */
  reveal() {
    if (!this.panel.hidden) {
      this.panel.scrollIntoView({ block: "nearest" });
    }
  }

  /**
   * Shows channel `channel` of a layer beside the filter of `filterLayer`
   * with the same index, or without a filter when `filterLayer` is null.
   *
   * @param {object} options
   * @param {string} options.modelId
   * @param {string} options.layer
   * @param {DecodedArray} options.decoded The values shown in the grid.
   * @param {number} options.channel
   * @param {ColorRange} options.range The tile's color range.
   * @param {(string | number)[][]} options.colorscale
   * @param {string} options.valueName "z", "a" or "value", for the hover.
   * @param {string | null} options.filterLayer
   */
  showMap(options) {
    const { decoded, channel } = options;
    this.open(`${options.modelId}/${options.layer}/${channel}`);
    this.title.textContent = `Channel ${channel} of ${options.layer}`;
    this.block.hidden = true;
    this.mapFigure.hidden = false;
    renderMapHeatmap(this.map, {
      z: channelRows(decoded, channel),
      range: options.range,
      colorscale: options.colorscale,
      valueName: options.valueName,
    });
    this.mapCaption.textContent =
      `${decoded.rows}×${decoded.columns} map. Hover shows row, column and ` +
      `${options.valueName}; row 0 is at the top, as in the drawing.`;

    this.filterFigure.hidden = options.filterLayer === null;
    if (options.filterLayer !== null) {
      this.showFilter(options.modelId, options.filterLayer, channel);
    }
  }

  /**
   * Shows one channel of a residual block: branch, skip, sum and output
   * side by side on one color scale centered at 0.
   *
   * @param {object} options
   * @param {string} options.modelId
   * @param {string} options.layer
   * @param {number} options.channel
   * @param {{ title: string, decoded: DecodedArray }[]} options.panels
   */
  showBlock({ modelId, layer, channel, panels }) {
    this.open(`${modelId}/${layer}/${channel}`);
    this.title.textContent = `Channel ${channel} of block ${layer}`;
    this.mapFigure.hidden = true;
    this.filterFigure.hidden = true;
    this.block.hidden = false;
    renderBlockChannel(this.block, {
      panels: panels.map(({ title, decoded }) => ({
        title,
        z: channelRows(decoded, channel),
      })),
      range: rangeOf(
        panels.map((panel) => panel.decoded),
        true,
        channel,
      ),
      colorscale: SIGNED_SCALE.colorscale,
    });
  }

  /**
   * Makes the panel visible for a map. Plotly sizes a plot from its
   * container, so the panel is shown before anything is drawn into it.
   *
   * @param {string} key Model, layer and channel.
   */
  open(key) {
    this.panel.hidden = false;
    this.panel.dataset.key = key;
  }

  /**
   * Fetches (once per layer) and draws filter `channel` of a conv layer,
   * unless another map was opened while it loaded.
   *
   * @param {string} modelId
   * @param {string} filterLayer
   * @param {number} channel
   */
  async showFilter(modelId, filterLayer, channel) {
    const key = this.panel.dataset.key;
    try {
      const { response, weight } = await this.loadFilters(modelId, filterLayer);
      if (this.panel.dataset.key !== key || !weight) {
        return;
      }
      await renderKernelMosaic(this.filter, {
        weight,
        filter: channel,
        range: filterRange(weight, channel),
      });
      const [, inChannels, height, width] = response.weight_shape;
      const bias = response.bias
        ? decodeTypedArray(response.bias).values[channel]
        : null;
      const plural = inChannels === 1 ? "" : "s";
      this.filterCaption.textContent =
        `Filter ${channel} of ${filterLayer}: ${inChannels} in-channel ` +
        `kernel${plural} of ${height}×${width}, L2 norm ` +
        `${response.norms[channel].toFixed(3)}, ` +
        `${bias === null ? "no bias" : `bias ${bias.toFixed(3)}`}. ` +
        "Blue is negative, red positive, white 0.";
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const text = `Could not load the filters of ${filterLayer}`;
      this.filterCaption.textContent = `${text}: ${message}`;
    }
  }
}
