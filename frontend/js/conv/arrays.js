// @ts-check
/**
 * Decoding of the conv-matrix API's typed arrays: `{dtype, shape, bdata}`
 * with base64 `bdata` of little-endian float32 ("f4") or int32 ("i4")
 * values. The shared js/typed.js decodes f4 and u1 only, so the int32 index
 * arrays of this endpoint are decoded here.
 */

/**
 * @typedef {object} ConvTypedArray
 * @property {string} encoding "f32" or "i32".
 * @property {"f4" | "i4"} dtype
 * @property {number[]} shape
 * @property {string} bdata Base64 of the raw little-endian values.
 */

/**
 * @typedef {object} FloatArray
 * @property {number[]} shape
 * @property {Float32Array} values Row-major (C order).
 */

/**
 * @typedef {object} IntArray
 * @property {number[]} shape
 * @property {Int32Array} values Row-major (C order).
 */

/**
 * Decodes base64 into a fresh, 4-byte aligned buffer.
 *
 * @param {string} base64
 */
function decodeBase64(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) {
    bytes[index] = text.charCodeAt(index);
  }
  return bytes.buffer;
}

/**
 * Decodes a float32 typed array.
 *
 * NOTE: Float32Array and Int32Array use the platform's byte order. The API
 * sends little-endian, the byte order of x86 and of ARM as browsers run it,
 * so big-endian platforms would need a DataView here.
 *
 * @param {ConvTypedArray} payload
 * @returns {FloatArray}
 */
export function decodeFloats(payload) {
  if (payload.dtype !== "f4") {
    throw new Error(
      `Expected a float32 ("f4") array but got dtype "${payload.dtype}".`,
    );
  }
  return {
    shape: payload.shape,
    values: new Float32Array(decodeBase64(payload.bdata)),
  };
}

/**
 * Decodes an int32 typed array.
 *
 * @param {ConvTypedArray} payload
 * @returns {IntArray}
 */
export function decodeInts(payload) {
  if (payload.dtype !== "i4") {
    throw new Error(
      `Expected an int32 ("i4") array but got dtype "${payload.dtype}".`,
    );
  }
  return {
    shape: payload.shape,
    values: new Int32Array(decodeBase64(payload.bdata)),
  };
}

/**
 * Returns the largest absolute value, or 0 for an empty array.
 *
 * @param {ArrayLike<number>} values
 */
export function maxAbs(values) {
  let largest = 0;
  for (let index = 0; index < values.length; index++) {
    const size = Math.abs(values[index]);
    if (size > largest) {
      largest = size;
    }
  }
  return largest;
}

/**
 * Returns the smallest value, or 0 for an empty array.
 *
 * @param {ArrayLike<number>} values
 */
export function minValue(values) {
  let smallest = values.length > 0 ? Infinity : 0;
  for (let index = 0; index < values.length; index++) {
    smallest = Math.min(smallest, values[index]);
  }
  return smallest;
}

/**
 * Splits row-major values into row views over the same buffer, the 2-D form
 * Plotly heatmaps take, without copying.
 *
 * @param {Float32Array} values
 * @param {number} rows
 * @param {number} columns
 * @returns {Float32Array[]}
 */
export function rowViews(values, rows, columns) {
  return Array.from({ length: rows }, (_, row) =>
    values.subarray(row * columns, (row + 1) * columns),
  );
}
