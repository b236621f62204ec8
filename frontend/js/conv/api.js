// @ts-check
/**
 * POST /api/v1/conv-matrix, and the types of its response. The other
 * endpoints the page uses (models, samples) come from ../api.js.
 */

import { ApiError } from "../api.js";
import { API_ROOT } from "../config.js";

/** @typedef {import("./arrays.js").ConvTypedArray} ConvTypedArray */
/** @typedef {import("./matrix-data.js").MatrixPayload} MatrixPayload */

/**
 * @typedef {object} ConvMatrixResponse
 * @property {string} convention The cross-correlation statement.
 * @property {string} flattening How x, y and W's rows and columns are
 *   ordered.
 * @property {number} dims
 * @property {string} source
 * @property {number[]} in_shape (C_in, L) or (C_in, H, W).
 * @property {number[]} out_shape (C_out, L_out) or (C_out, H_out, W_out).
 * @property {number[]} kernel_size
 * @property {number[]} stride
 * @property {number[]} padding Resolved as [top, bottom, left, right].
 * @property {number[]} dilation
 * @property {ConvTypedArray} kernel (out, in, k) or (out, in, kH, kW).
 * @property {ConvTypedArray} flipped_kernel The kernel rotated by 180°.
 * @property {MatrixPayload} matrix
 * @property {ConvTypedArray} x
 * @property {ConvTypedArray} y_matrix W·x.
 * @property {ConvTypedArray} y_conv torch.nn.functional.conv2d of x.
 * @property {ConvTypedArray} g Upstream gradient ∂l/∂y.
 * @property {ConvTypedArray} transpose_g Wᵀ·g.
 * @property {ConvTypedArray} autograd ∂l/∂x from torch.autograd.
 * @property {ConvTypedArray} conv_transpose conv_transpose2d of g.
 * @property {ConvTypedArray} flipped_conv True convolution of g with the
 *   flipped kernel.
 * @property {Record<string, number>} max_errors
 * @property {Record<string, number>} counts
 * @property {Record<string, number>} milliseconds
 */

/**
 * Joins the error items of a 4xx body as "field: message" sentences.
 *
 * @param {any} body
 */
function describeError(body) {
  const detail = body?.detail;
  if (typeof detail === "string") {
    return { message: detail, type: "" };
  }
  if (!Array.isArray(detail) || detail.length === 0) {
    return { message: "", type: "" };
  }
  const message = detail
    .map((item) => {
      const path = (Array.isArray(item.loc) ? item.loc : [])
        .filter((/** @type {unknown} */ part) => part !== "body")
        .join(".");
      return path ? `${path}: ${item.msg}` : String(item.msg);
    })
    .join(" ");
  return { message, type: String(detail[0].type ?? "") };
}

/**
 * Requests W, Wᵀ and the checks of a convolution
 * (POST /api/v1/conv-matrix).
 *
 * @param {Record<string, unknown>} request
 * @param {AbortSignal} [signal] Aborts a request that a newer one replaced.
 * @returns {Promise<ConvMatrixResponse>}
 */
export async function computeConvMatrix(request, signal) {
  const url = `${API_ROOT}/conv-matrix`;
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(request),
      signal,
    });
  } catch (error) {
    if (signal?.aborted) {
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
  } catch {
    // A proxy or a crash can return HTML or nothing. The fallback covers it.
  }
  if (!response.ok) {
    const { message, type } = describeError(body);
    const fallback = `${url} returned HTTP ${response.status}.`;
    throw new ApiError(message || fallback, response.status, type);
  }
  return body;
}
