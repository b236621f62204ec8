// @ts-check
/**
 * Requests of the gradient page, one async function per endpoint. Each
 * returns the parsed JSON body and throws an ApiError with the server's
 * message, prefixed by the request field it concerns. An aborted request
 * rejects with the browser's AbortError instead.
 */

import { jsonPost, requestJson } from "../api.js";

/**
 * @typedef {object} FlowConfig
 * @property {number} blocks Residual blocks of two convs each, 1..60.
 * @property {number} width Channels of every conv, 2..32.
 * @property {boolean} batchnorm
 * @property {"default" | "kaiming" | "xavier"} init
 * @property {number} steps Adam steps, 0..200.
 * @property {number} batch_size Digits per batch, 4..64.
 * @property {number} lr Adam's learning rate.
 * @property {number} seed
 */

/**
 * @typedef {object} FlowMeasure
 * @property {number | null} loss Mean cross-entropy over the batch, or
 *   null when it was not finite.
 * @property {string[]} layers Conv names from the input: "stem",
 *   "blocks.0.conv1", "blocks.0.conv2", ...
 * @property {(number | null)[]} weight_grad_norms ‖∂l/∂W‖ of each conv, or
 *   null where it was NaN or infinite.
 * @property {number[]} weight_norms ‖W‖ of each conv.
 * @property {(number | null)[]} block_activation_grad_norms ‖∂l/∂a‖ of each
 *   block's output, or null where it was NaN or infinite.
 * @property {boolean} non_finite
 */

/**
 * @typedef {object} FlowNetwork
 * @property {FlowMeasure} at_init
 * @property {FlowMeasure | null} after_training Null when steps is 0.
 * @property {number | null} first_to_last_ratio_at_init The stem's
 *   ‖∂l/∂W‖ over the last conv's, or null when undefined.
 * @property {number | null} first_to_last_ratio_after
 * @property {(number | null)[]} loss_per_step
 */

/**
 * @typedef {object} FlowResponse
 * @property {FlowConfig} config
 * @property {string} norm
 * @property {string} loss
 * @property {number} cost
 * @property {number} budget
 * @property {boolean} cached
 * @property {number} seconds Server time of the run.
 * @property {{ plain: FlowNetwork, residual: FlowNetwork }} networks
 */

/**
 * @typedef {object} LayerGradient
 * @property {string} name
 * @property {string} kind
 * @property {number | null} activation_grad_norm ‖∂l/∂a‖ of the output.
 * @property {number | null} weight_grad_norm Null without weights.
 * @property {number | null} bias_grad_norm Null without a bias.
 * @property {number | null} weight_norm
 * @property {number | null} grad_to_weight_ratio
 * @property {boolean} non_finite A gradient of the layer was NaN or
 *   infinite and was sent as null.
 * @property {string | null} note Why a value is null.
 */

/**
 * @typedef {object} GradientResponse
 * @property {string} model
 * @property {string} norm
 * @property {string} loss
 * @property {number} target
 * @property {number} loss_value
 * @property {number} prediction
 * @property {number[]} probabilities
 * @property {LayerGradient[]} layers In forward order.
 */

/**
 * @typedef {object} HistoryEpoch
 * @property {number} epoch From 1.
 * @property {number} train_loss
 * @property {number} train_accuracy
 * @property {number} test_accuracy
 * @property {number} seconds
 * @property {Record<string, number | null>} grad_norms Mean L2 norm of each
 *   layer's weight gradient over the epoch.
 */

/**
 * @typedef {object} ModelCard
 * @property {string} id
 * @property {string} description
 * @property {{ name: string, kind: string }[]} layers In forward order.
 * @property {HistoryEpoch[]} history
 */

/**
 * Runs the plain-versus-residual experiment (POST /gradient-flow). The
 * server stops the run when the request is aborted.
 *
 * @param {FlowConfig} config
 * @param {AbortSignal} signal
 * @returns {Promise<FlowResponse>}
 */
export async function runGradientFlow(config, signal) {
  return requestJson(
    "/gradient-flow",
    { ...jsonPost(config), signal },
    { withFields: true },
  );
}

/**
 * Computes one model's per-layer gradient norms for a digit
 * (POST /gradients). Give `png`, a canvas data URL, or `image`, 28×28
 * values in 0..1 with white ink on black. Without `target` the loss is
 * taken against the predicted class.
 *
 * @param {{ model: string, png?: string, image?: number[][],
 *   target?: number }} request
 * @returns {Promise<GradientResponse>}
 */
export async function computeGradients(request) {
  return requestJson("/gradients", jsonPost(request), {
    withFields: true,
  });
}

/**
 * Fetches a model's card with its training history
 * (GET /models/{id}/card).
 *
 * @param {string} modelId
 * @returns {Promise<ModelCard>}
 */
export async function fetchModelCard(modelId) {
  return requestJson(`/models/${encodeURIComponent(modelId)}/card`, undefined, {
    withFields: true,
  });
}
