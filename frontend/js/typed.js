// @ts-check
/**
 * Decoding of the typed arrays the API sends: `{dtype, bdata, shape}` with
 * base64 `bdata` of little-endian values, plus per-map `min` and `max` for
 * the `u8` encoding. A map is one channel of a (C, H, W) tensor, or the whole
 * tensor when it has fewer than 3 dimensions.
 */

/**
 * @typedef {object} TypedArrayPayload
 * @property {"f32" | "u8"} encoding
 * @property {"f4" | "u1"} dtype
 * @property {number[]} shape
 * @property {string} bdata Base64 of the raw little-endian values.
 * @property {number[] | null} [min] u8 only: the value of byte 0, per map.
 * @property {number[] | null} [max] u8 only: the value of byte 255, per map.
 */

/**
 * @typedef {object} DecodedArray
 * @property {number[]} shape
 * @property {Float32Array} values All values in row-major (C order).
 * @property {number} mapCount Channels of a (C, H, W) tensor, otherwise 1.
 * @property {number} rows Rows of one map (H), or 1 for a vector.
 * @property {number} columns Columns of one map (W), or the vector length.
 * @property {number[]} min Smallest value of each map.
 * @property {number[]} max Largest value of each map.
 */

/**
 * Decodes base64 to bytes.
 *
 * @param {string} base64
 */
function decodeBase64(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) {
    bytes[index] = text.charCodeAt(index);
  }
  return bytes;
}

/**
 * Returns the map layout of a shape: (C, H, W) has C maps of H×W, a 4-D
 * weight (out, in, kH, kW) has out·in maps of kH×kW, anything smaller is a
 * single map (a vector is one row).
 *
 * @param {number[]} shape
 */
function mapLayout(shape) {
  if (shape.length >= 3) {
    const rows = shape[shape.length - 2];
    const columns = shape[shape.length - 1];
    const mapCount = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    return { mapCount, rows, columns };
  }
  if (shape.length === 2) {
    return { mapCount: 1, rows: shape[0], columns: shape[1] };
  }
  return { mapCount: 1, rows: 1, columns: shape.length === 1 ? shape[0] : 1 };
}

/**
 * Returns the smallest and largest value of each map, in one pass per map.
 * A loop, because spreading a large map into Math.min can overflow the
 * call stack.
 *
 * @param {Float32Array} values
 * @param {number} mapCount
 * @param {number} mapSize
 */
function mapExtents(values, mapCount, mapSize) {
  const min = new Array(mapCount).fill(0);
  const max = new Array(mapCount).fill(0);
  for (let map = 0; map < mapCount; map++) {
    let low = Infinity;
    let high = -Infinity;
    const end = (map + 1) * mapSize;
    for (let index = map * mapSize; index < end; index++) {
      low = Math.min(low, values[index]);
      high = Math.max(high, values[index]);
    }
    min[map] = mapSize > 0 ? low : 0;
    max[map] = mapSize > 0 ? high : 0;
  }
  return { min, max };
}

/**
 * Decodes a typed array to float32 values. A u8 map m decodes as
 * min[m] + byte / 255 × (max[m] − min[m]). For f32 the per-map extents are
 * computed here because the API sends none.
 *
 * @param {TypedArrayPayload} payload
 * @returns {DecodedArray}
 */
export function decodeTypedArray(payload) {
  const bytes = decodeBase64(payload.bdata);
  const shape = payload.shape;
  const { mapCount, rows, columns } = mapLayout(shape);
  const mapSize = rows * columns;

  if (payload.dtype === "f4") {
    // A DataView reads little-endian whatever the platform's byte order,
    // which a Float32Array over the bytes would follow.
    const view = new DataView(bytes.buffer);
    const values = new Float32Array(bytes.length / 4);
    for (let index = 0; index < values.length; index++) {
      values[index] = view.getFloat32(index * 4, true);
    }
    const { min, max } = mapExtents(values, mapCount, mapSize);
    return { shape, values, mapCount, rows, columns, min, max };
  }

  if (!payload.min || !payload.max || payload.min.length !== mapCount) {
    throw new Error(
      `A u8 array of shape ${shape.join("×")} needs ${mapCount} min and max ` +
        `values, one per map, but the response has ${payload.min?.length}.`,
    );
  }
  const values = new Float32Array(bytes.length);
  for (let map = 0; map < mapCount; map++) {
    const low = payload.min[map];
    const step = (payload.max[map] - low) / 255;
    const end = (map + 1) * mapSize;
    for (let index = map * mapSize; index < end; index++) {
      values[index] = low + bytes[index] * step;
    }
  }
  return {
    shape,
    values,
    mapCount,
    rows,
    columns,
    min: payload.min,
    max: payload.max,
  };
}

/**
 * Returns the values of map `index` as a view into the decoded array.
 *
 * @param {DecodedArray} decoded
 * @param {number} index
 */
export function mapValues(decoded, index) {
  const size = decoded.rows * decoded.columns;
  return decoded.values.subarray(index * size, (index + 1) * size);
}

/**
 * Splits row-major values into rows, the nested form Plotly heatmaps take.
 *
 * @param {ArrayLike<number>} values
 * @param {number} rows
 * @param {number} columns
 * @returns {number[][]}
 */
export function toRows(values, rows, columns) {
  return Array.from({ length: rows }, (_, row) =>
    Array.from(
      { length: columns },
      (_, column) => values[row * columns + column],
    ),
  );
}

/**
 * Returns the mean of each map.
 *
 * @param {DecodedArray} decoded
 */
export function mapMeans(decoded) {
  const size = decoded.rows * decoded.columns;
  return Array.from({ length: decoded.mapCount }, (_, map) => {
    let sum = 0;
    for (const value of mapValues(decoded, map)) {
      sum += value;
    }
    return size > 0 ? sum / size : 0;
  });
}

/**
 * Returns the largest absolute value over all maps, from their extents.
 *
 * @param {DecodedArray} decoded
 */
export function maxAbs(decoded) {
  let largest = 0;
  for (let map = 0; map < decoded.mapCount; map++) {
    largest = Math.max(
      largest,
      Math.abs(decoded.min[map]),
      Math.abs(decoded.max[map]),
    );
  }
  return largest;
}
