// @ts-check
/**
 * Requests of the gradient page, one async function per endpoint. Each
 * returns the parsed JSON body and throws an ApiError with the server's
 * message, prefixed by the request field it concerns. An aborted request
 * rejects with the browser's AbortError instead.
 */

import { ApiError } from "../api.js";
import { API_ROOT } from "../config.js";

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
 * Joins the messages of an error body. FastAPI sends `detail` either as a
 * string or as a list of `{loc, msg, type}` objects. Each message is
 * prefixed by its location without the leading "body", which names the
 * field.
 *
 * @param {unknown} body Parsed JSON body, or null when it was not JSON.
 * @returns {{ message: string, type: string }}
 */
function describeErrorBody(body) {
  const detail =
    body && typeof body === "object" && "detail" in body ? body.detail : null;
  if (typeof detail === "string") {
    return { message: detail, type: "" };
  }
  if (!Array.isArray(detail) || detail.length === 0) {
    return { message: "", type: "" };
  }
  const messages = detail.map((item) => {
    const location = Array.isArray(item.loc)
      ? item.loc
          .filter((/** @type {unknown} */ part) => part !== "body")
          .join(".")
      : "";
    return location ? `${location}: ${item.msg}` : String(item.msg);
  });
  return { message: messages.join(" "), type: String(detail[0].type ?? "") };
}

/**
 * Sends a request and parses the JSON response.
 *
 * @param {string} path Path below API_ROOT.
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
async function requestJson(path, init) {
  const url = `${API_ROOT}${path}`;
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (init?.signal?.aborted) {
      throw error;
    }
    throw new ApiError(
      `Request to ${url} failed (${error}). Is the server running?`,
      0,
      "network_error",
    );
  }

  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    if (init?.signal?.aborted) {
      throw error;
    }
    // A proxy or a crash can return HTML or nothing, so fall back below.
  }
  if (!response.ok) {
    const { message, type } = describeErrorBody(body);
    const fallback = `${url} returned HTTP ${response.status}.`;
    throw new ApiError(message || fallback, response.status, type);
  }
  return body;
}

/**
 * @param {unknown} body
 * @returns {RequestInit}
 */
function postJson(body) {
  return {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
}

/**
 * Runs the plain-versus-residual experiment (POST /gradient-flow). The
 * server stops the run when the request is aborted.
 *
 * @param {FlowConfig} config
 * @param {AbortSignal} signal
 * @returns {Promise<FlowResponse>}
 */
export async function runGradientFlow(config, signal) {
  return requestJson("/gradient-flow", { ...postJson(config), signal });
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
  return requestJson("/gradients", postJson(request));
}

/**
 * Fetches a model's card with its training history
 * (GET /models/{id}/card).
 *
 * @param {string} modelId
 * @returns {Promise<ModelCard>}
 */
export async function fetchModelCard(modelId) {
  return requestJson(`/models/${encodeURIComponent(modelId)}/card`);
}
