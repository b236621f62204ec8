// @ts-check
/**
 * One async function per API endpoint of the main page, and the request
 * helper that every page's endpoint functions share. Each returns the parsed
 * JSON body and throws an ApiError with the server's message when the
 * status is not 2xx.
 */

import { API_ROOT } from "./config.js";

/**
 * @typedef {object} LayerInfo
 * @property {string} name
 * @property {string} kind
 * @property {number[]} shape
 * @property {number} params
 * @property {string | null} parent
 */

/**
 * @typedef {object} ModelInfo
 * @property {string} id
 * @property {string} name
 * @property {string} description
 * @property {number} num_params
 * @property {number} test_accuracy Fraction of held-out digits classified
 *   correctly.
 * @property {LayerInfo[]} layers
 */

/**
 * @typedef {object} ModelPrediction
 * @property {number[]} probabilities Ten class probabilities summing to 1.
 * @property {number} prediction The most probable digit.
 */

/**
 * @typedef {object} PredictResponse
 * @property {number[][]} input Prepared 28×28 input, ink high, row 0 on top.
 * @property {Record<string, ModelPrediction>} results Keyed by model id.
 */

/**
 * @typedef {object} Sample
 * @property {number} label
 * @property {number} index
 * @property {number} count Number of held-out samples with this label.
 * @property {number[][]} image 28×28 values in 0..1, white ink on black.
 */

/** Error raised for a non-2xx response or a failed request. */
export class ApiError extends Error {
  /**
   * @param {string} message Text to show to the user.
   * @param {number} status HTTP status, or 0 when no response arrived.
   * @param {string} type Error type from the server's `detail`, if any.
   */
  constructor(message, status, type) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = type;
  }
}

/**
 * Joins the messages of an error body. FastAPI sends `detail` either as a
 * string or as a list of `{loc, msg, type}` objects.
 *
 * @param {unknown} body Parsed JSON body, or null when it was not JSON.
 * @param {boolean} withFields Prefix each message with the field that its
 *   `loc` names, without the leading "body", as in "padding: …".
 * @returns {{ message: string, type: string }}
 */
function describeErrorBody(body, withFields) {
  const detail =
    body && typeof body === "object" && "detail" in body ? body.detail : null;
  if (typeof detail === "string") {
    return { message: detail, type: "" };
  }
  if (!Array.isArray(detail) || detail.length === 0) {
    return { message: "", type: "" };
  }
  const messages = detail.map((item) => {
    const field =
      withFields && Array.isArray(item.loc)
        ? item.loc
            .filter((/** @type {unknown} */ part) => part !== "body")
            .join(".")
        : "";
    return field ? `${field}: ${item.msg}` : String(item.msg);
  });
  return { message: messages.join(" "), type: String(detail[0].type ?? "") };
}

/**
 * Sends a request to the API and parses the JSON response.
 *
 * @param {string} path Path below API_ROOT, with query string.
 * @param {RequestInit} [init] When `init.signal` aborts the request, the
 *   promise rejects with the browser's AbortError, not an ApiError.
 * @param {{ withFields?: boolean }} [options] `withFields` prefixes each
 *   error message with the request field it is about.
 * @returns {Promise<any>}
 */
export async function requestJson(path, init, { withFields = false } = {}) {
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
    const { message, type } = describeErrorBody(body, withFields);
    const fallback = `${url} returned HTTP ${response.status}.`;
    throw new ApiError(message || fallback, response.status, type);
  }
  return body;
}

/**
 * Returns the fetch options of a POST request with a JSON body.
 *
 * @param {unknown} body
 * @returns {RequestInit}
 */
export function jsonPost(body) {
  return {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
}

/**
 * Fetches the served models with their metadata (GET /models).
 *
 * @returns {Promise<ModelInfo[]>}
 */
export async function listModels() {
  const body = await requestJson("/models");
  return body.models;
}

/**
 * Runs the models on a drawing (POST /predict). Give either `png`, a data
 * URL from `canvas.toDataURL("image/png")`, or `image`, a 28×28 array of
 * values in 0..1 with white ink on black.
 *
 * @param {{ png?: string, image?: number[][], models?: string[] }} request
 * @returns {Promise<PredictResponse>}
 */
export async function predictDigit(request) {
  return requestJson("/predict", jsonPost(request));
}

/**
 * @typedef {import("./typed.js").TypedArrayPayload} TypedArrayPayload
 */

/**
 * @typedef {object} LayerActivation
 * @property {string} name
 * @property {string} kind
 * @property {number[]} shape
 * @property {number} params
 * @property {string | null} parent
 * @property {string} stage "pre-activation", "post-activation", "output" or
 *   "probabilities".
 * @property {TypedArrayPayload} values
 * @property {TypedArrayPayload | null} activation Conv and linear layers:
 *   the output of the nonlinearity after them.
 * @property {string | null} activation_layer The layer that computes
 *   `activation`.
 * @property {string | null} source_conv The conv layer whose channels these
 *   maps follow.
 * @property {TypedArrayPayload | null} branch Blocks: the residual branch.
 * @property {TypedArrayPayload | null} skip Blocks with a skip connection:
 *   the identity or projection path.
 * @property {TypedArrayPayload | null} sum Blocks with a skip connection:
 *   branch + skip, before the ReLU.
 */

/**
 * @typedef {object} ActivationResponse
 * @property {string} model
 * @property {"u8" | "f32"} encoding
 * @property {number[][]} input Prepared 28×28 input.
 * @property {number} prediction
 * @property {number[]} probabilities
 * @property {LayerActivation[]} layers In forward order.
 */

/**
 * @typedef {object} FilterResponse
 * @property {string} model
 * @property {string} layer
 * @property {"conv" | "linear"} kind
 * @property {number[]} weight_shape Conv: (out, in, kH, kW); linear:
 *   (out, in).
 * @property {TypedArrayPayload | null} weight Conv only, unless requested
 *   with matrix=true.
 * @property {TypedArrayPayload | null} bias
 * @property {number[]} norms L2 norm of each filter (conv) or unit's weight
 *   row (linear).
 * @property {number[] | null} stride
 * @property {number[] | string | null} padding
 * @property {number[] | null} dilation
 */

/**
 * @typedef {object} ParameterRow
 * @property {string} name
 * @property {number[]} input_shape (C_in, H_in, W_in)
 * @property {number[]} output_shape (C_out, H_out, W_out)
 * @property {number[]} kernel_size
 * @property {boolean} has_bias
 * @property {number} weights_per_unit_conv k·k·C_in (locality).
 * @property {number} weights_per_unit_dense H_in·W_in·C_in.
 * @property {number} positions_sharing_a_kernel H_out·W_out (sharing).
 * @property {number} conv_params
 * @property {number} locally_connected_params
 * @property {number} dense_params
 * @property {number} dense_weights dense_params without the biases.
 * @property {number} locality_factor dense / locally connected.
 * @property {number} sharing_factor locally connected / conv.
 * @property {number} total_factor dense / conv.
 */

/**
 * @typedef {object} ParameterResponse
 * @property {string} model
 * @property {ParameterRow[]} rows One per conv layer.
 * @property {ParameterRow} reference The textbook example
 *   32×32×3 → 28×28×6 with 5×5 kernels.
 * @property {string} explanation
 */

/**
 * Runs one model on a drawing and returns its layers' values
 * (POST /activations). Give `png` or `image` as for predictDigit. Without
 * `layers` every layer is returned.
 *
 * @param {{ model: string, png?: string, image?: number[][],
 *   layers?: string[], encoding?: "u8" | "f32" }} request
 * @returns {Promise<ActivationResponse>}
 */
export async function computeActivations(request) {
  return requestJson("/activations", jsonPost(request));
}

/**
 * Fetches the float32 weights, bias and per-filter norms of a conv or
 * linear layer (GET /models/{id}/layers/{layer}/filters).
 *
 * @param {string} modelId
 * @param {string} layer
 * @returns {Promise<FilterResponse>}
 */
export async function fetchFilters(modelId, layer) {
  const model = encodeURIComponent(modelId);
  const name = encodeURIComponent(layer);
  return requestJson(`/models/${model}/layers/${name}/filters?encoding=f32`);
}

/**
 * Fetches the conv versus fully connected parameter counts of a model's
 * conv layers (GET /models/{id}/parameters).
 *
 * @param {string} modelId
 * @returns {Promise<ParameterResponse>}
 */
export async function fetchParameters(modelId) {
  return requestJson(`/models/${encodeURIComponent(modelId)}/parameters`);
}

/**
 * Fetches a held-out test digit (GET /samples). A missing label or index is
 * chosen at random by the server.
 *
 * @param {{ label?: number, index?: number }} [query]
 * @returns {Promise<Sample>}
 */
export async function fetchSample(query = {}) {
  const params = new URLSearchParams();
  if (query.label !== undefined) {
    params.set("label", String(query.label));
  }
  if (query.index !== undefined) {
    params.set("index", String(query.index));
  }
  const queryString = params.toString();
  const search = queryString ? `?${queryString}` : "";
  return requestJson(`/samples${search}`);
}
