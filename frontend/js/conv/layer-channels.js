// @ts-check
/**
 * The channel selects of a trained layer: the channels the layer has, and
 * which choices of them the server accepts (see channel-limits.js). Loads
 * each layer's shapes once, from its filters and the model's parameter
 * table.
 */

import { ApiError, fetchFilters, fetchParameters } from "../api.js";
import { computeConvMatrix } from "./api.js";
import { ChannelLimits, layerGeometry } from "./channel-limits.js";

/** @typedef {import("./channel-limits.js").ChannelVerdict} ChannelVerdict */
/** @typedef {import("./channel-limits.js").LayerChoice} LayerChoice */
/** @typedef {import("./channel-limits.js").LayerGeometry} LayerGeometry */
/** @typedef {import("./controls.js").ConvControls} ConvControls */
/** @typedef {import("./state.js").ConvState} ConvState */

/**
 * Sends the request of a channel choice without the digit or the matrix's
 * entries, which do not change whether the server accepts it.
 *
 * @param {LayerChoice} choice
 * @returns {Promise<ChannelVerdict | null>}
 */
async function checkChannels(choice) {
  const request = {
    layer: {
      model: choice.model,
      layer: choice.layer,
      out_channel: choice.out === "all" ? null : 0,
      in_channel: choice.in === "all" ? null : 0,
    },
    include_matrix: false,
  };
  try {
    await computeConvMatrix(request);
    return { rejected: false, message: "" };
  } catch (error) {
    // The server rejects a matrix over its non-zero limit with a 422.
    if (error instanceof ApiError && error.status === 422) {
      return { rejected: true, message: error.message };
    }
    return null;
  }
}

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
    this.limits = new ChannelLimits(checkChannels, () => this.showLimits());
  }

  /**
   * Records a matrix the server accepted, so that smaller choices need no
   * check.
   *
   * @param {number} nonzeros
   */
  accept(nonzeros) {
    this.limits.accept(nonzeros);
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

  /** Disables the channel choices of the chosen layer the server rejects. */
  showLimits() {
    const state = this.currentState();
    const geometry = this.geometries.get(`${state.model}/${state.layer}`);
    if (state.source !== "layer" || !geometry) {
      return;
    }
    const reasons = this.limits.reasons({
      model: state.model,
      layer: state.layer,
      geometry,
      outChannel: state.outChannel,
      inChannel: state.inChannel,
    });
    this.controls.setChannelLimits(reasons);
  }
}
