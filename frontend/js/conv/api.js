// @ts-check
/**
 * POST /api/v1/conv-matrix and GET /api/v1/limits, and the types of their
 * responses. The other endpoints the page uses (models, samples, filters,
 * parameters) come from ../api.js.
 */

import { jsonPost, requestJson } from "../api.js";

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
 * @typedef {object} ConvMatrixLimits
 * @property {number} max_nonzeros POST /api/v1/conv-matrix rejects a larger
 *   W with a 422.
 * @property {number} max_returned_nonzeros W's entries are sent up to this
 *   many non-zeros.
 * @property {number} budget_nonzeros Non-zeros built at once per server
 *   process, beyond which requests wait.
 */

/**
 * @typedef {object} ServerLimits
 * @property {number} max_body_bytes Largest request body, in bytes.
 * @property {number} max_image_side Largest PNG width or height, in pixels.
 * @property {ConvMatrixLimits} conv_matrix
 * @property {number} gradient_flow_budget Largest gradient-flow experiment,
 *   in the server's cost units.
 */

/**
 * Fetches the limits that the server checks requests against
 * (GET /api/v1/limits).
 *
 * @returns {Promise<ServerLimits>}
 */
export async function fetchLimits() {
  return requestJson("/limits");
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
  return requestJson(
    "/conv-matrix",
    { ...jsonPost(request), signal },
    { withFields: true },
  );
}
