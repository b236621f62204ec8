// @ts-check
/**
 * The channel selects of a trained layer: the channels the layer has, and
 * which choices of them are within the server's non-zero limit (see
 * channel-limits.js). Loads each layer's shapes once, from its filters and
 * the model's parameter table, and the limit once from GET /api/v1/limits.
 */

import { fetchFilters, fetchParameters } from "../api.js";
import { fetchLimits } from "./api.js";
import { channelReasons, layerGeometry } from "./channel-limits.js";

/** @typedef {import("./channel-limits.js").LayerGeometry} LayerGeometry */
/** @typedef {import("./controls.js").ConvControls} ConvControls */
/** @typedef {import("./state.js").ConvState} ConvState */

/** Fills the channel selects of the chosen layer and limits their choices. */
export class LayerChannels {
  /**
   * @param {ConvControls} controls
   * @param {() => ConvState} currentState Returns the page's state now.
   */
  constructor(controls, currentState) {
    this.controls = controls;
    this.currentState = currentState;
    /** @type {Map<string, LayerGeometry>} Shapes of each model's layer. */
    this.geometries = new Map();
    /**
     * The server's `conv_matrix.max_nonzeros`, or null until it arrives or
     * when GET /api/v1/limits failed.
     *
     * @type {number | null}
     */
    this.maxNonzeros = null;
  }

  /**
   * Fetches the server's non-zero limit, then limits the choices. When the
   * request fails, every choice stays enabled, and the server's 422 for an
   * oversized matrix is shown as any request error is.
   */
  async loadLimits() {
    try {
      const limits = await fetchLimits();
      this.maxNonzeros = limits.conv_matrix.max_nonzeros;
    } catch (error) {
      console.warn(
        `GET /api/v1/limits failed, so the channel choices are not ` +
          `limited: ${error instanceof Error ? error.message : error}`,
      );
      return;
    }
    this.showLimits();
  }

  /** Lists the channels of the chosen layer, then limits the choices. */
  async load() {
    const { model, layer } = this.currentState();
    const key = `${model}/${layer}`;
    let geometry = this.geometries.get(key);
    if (!geometry) {
      const [filters, parameters] = await Promise.all([
        fetchFilters(model, layer),
        fetchParameters(model),
      ]);
      const row = parameters.rows.find((entry) => entry.name === layer);
      if (!row) {
        throw new Error(
          `Layer ${layer} is missing from ${model}'s parameters.`,
        );
      }
      geometry = layerGeometry(filters, row);
      this.geometries.set(key, geometry);
    }
    const state = this.currentState();
    if (key === `${state.model}/${state.layer}`) {
      this.controls.setLayerChannels(geometry.outChannels, geometry.inChannels);
      this.showLimits();
    }
  }

  /**
   * Disables the channel choices of the chosen layer whose matrix has more
   * non-zeros than the server's limit.
   */
  showLimits() {
    const state = this.currentState();
    const geometry = this.geometries.get(`${state.model}/${state.layer}`);
    if (state.source !== "layer" || !geometry || this.maxNonzeros === null) {
      return;
    }
    const reasons = channelReasons({
      geometry,
      outChannel: state.outChannel,
      inChannel: state.inChannel,
      maxNonzeros: this.maxNonzeros,
    });
    this.controls.setChannelLimits(reasons);
  }
}
