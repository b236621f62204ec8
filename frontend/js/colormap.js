// @ts-check
/**
 * Color scales for <canvas> drawing. Small multiples (a layer's 128 maps or
 * 4,096 kernels) are too many for one Plotly figure each. They are painted
 * pixel by pixel with the color stops the Plotly heatmaps get, interpolated
 * linearly in RGB, as the makeColorScaleFunc of plotly.js 4.1 does.
 */

/**
 * @typedef {object} ColorRange
 * @property {number} low Value drawn with the first color of the scale.
 * @property {number} high Value drawn with the last color.
 * @property {boolean} signed True for a range symmetric around 0 on a
 *   diverging scale. A flat map then takes the middle color (0); otherwise
 *   it takes the first color.
 */

/** Entries of a lookup table; values are quantized to this many colors. */
const LOOKUP_SIZE = 256;

/**
 * Parses "#rrggbb" to [r, g, b].
 *
 * @param {string} color
 */
function parseHex(color) {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!match) {
    throw new Error(`Color ${color} is not in #rrggbb form.`);
  }
  return match.slice(1).map((part) => Number.parseInt(part, 16));
}

/**
 * Builds a table of LOOKUP_SIZE RGB colors from Plotly colorscale stops
 * `[[fraction, "#rrggbb"], ...]`.
 *
 * @param {(string | number)[][]} colorscale
 * @returns {Uint8ClampedArray} r, g, b of each entry, one after another.
 */
export function makeLookup(colorscale) {
  const stops = colorscale.map(([fraction, color]) => ({
    fraction: Number(fraction),
    rgb: parseHex(String(color)),
  }));
  const table = new Uint8ClampedArray(LOOKUP_SIZE * 3);
  let stop = 0;
  for (let entry = 0; entry < LOOKUP_SIZE; entry++) {
    const t = entry / (LOOKUP_SIZE - 1);
    while (stop < stops.length - 2 && t > stops[stop + 1].fraction) {
      stop += 1;
    }
    const from = stops[stop];
    const to = stops[stop + 1];
    const width = to.fraction - from.fraction;
    const mix =
      width > 0 ? Math.min(Math.max((t - from.fraction) / width, 0), 1) : 0;
    for (let channel = 0; channel < 3; channel++) {
      table[entry * 3 + channel] =
        from.rgb[channel] + mix * (to.rgb[channel] - from.rgb[channel]);
    }
  }
  return table;
}

/**
 * Returns the color range of values from `low` to `high`: a range symmetric
 * around 0 when `signed`, else low..high.
 *
 * @param {number} low
 * @param {number} high
 * @param {boolean} signed
 * @returns {ColorRange}
 */
export function colorRange(low, high, signed) {
  if (signed) {
    const limit = Math.max(Math.abs(low), Math.abs(high));
    return { low: -limit, high: limit, signed };
  }
  return { low, high, signed };
}

/**
 * Writes a map's colors into an RGBA image at column `left`, row `top`.
 *
 * @param {ImageData} image
 * @param {{ left: number, top: number }} origin
 * @param {ArrayLike<number>} values Row-major, rows × columns.
 * @param {{ rows: number, columns: number }} size
 * @param {ColorRange} range
 * @param {Uint8ClampedArray} lookup From makeLookup.
 */
function writeMap(image, origin, values, size, range, lookup) {
  const span = range.high - range.low;
  const flat = range.signed ? 0.5 : 0;
  for (let row = 0; row < size.rows; row++) {
    for (let column = 0; column < size.columns; column++) {
      const value = values[row * size.columns + column];
      const t = span > 0 ? (value - range.low) / span : flat;
      const clamped = Math.min(Math.max(t, 0), 1);
      const entry = Math.round(clamped * (LOOKUP_SIZE - 1)) * 3;
      const pixel =
        4 * ((origin.top + row) * image.width + origin.left + column);
      image.data[pixel] = lookup[entry];
      image.data[pixel + 1] = lookup[entry + 1];
      image.data[pixel + 2] = lookup[entry + 2];
      image.data[pixel + 3] = 255;
    }
  }
}

/**
 * Paints a map into a canvas at one canvas pixel per value. CSS scales the
 * canvas up; `image-rendering: pixelated` keeps the pixels square and sharp.
 * Row 0 is the top row, as in the input image.
 *
 * @param {HTMLCanvasElement} canvas
 * @param {ArrayLike<number>} values Row-major, rows × columns.
 * @param {number} rows
 * @param {number} columns
 * @param {ColorRange} range
 * @param {Uint8ClampedArray} lookup From makeLookup.
 */
export function paintMap(canvas, values, rows, columns, range, lookup) {
  canvas.width = columns;
  canvas.height = rows;
  const context = canvas.getContext("2d");
  if (!context) {
    return;
  }
  const image = context.createImageData(columns, rows);
  writeMap(
    image,
    { left: 0, top: 0 },
    values,
    { rows, columns },
    range,
    lookup,
  );
  context.putImageData(image, 0, 0);
}

/**
 * Returns how many kernels a mosaic puts side by side: a power of 2 near
 * the square root, so 32 kernels tile as 8 × 4 and 64 as 8 × 8.
 *
 * @param {number} count
 */
export function mosaicColumns(count) {
  return 2 ** Math.ceil(Math.log2(Math.sqrt(Math.max(count, 1))));
}

/**
 * Paints `count` small maps (such as the in-channel kernels of one filter)
 * as a mosaic, mosaicColumns(count) per row, with a 1-pixel transparent gap
 * between them.
 *
 * @param {HTMLCanvasElement} canvas
 * @param {(index: number) => ArrayLike<number>} mapAt Values of map `index`.
 * @param {number} count
 * @param {{ rows: number, columns: number }} size Size of each map.
 * @param {ColorRange} range
 * @param {Uint8ClampedArray} lookup From makeLookup.
 */
export function paintMosaic(canvas, mapAt, count, size, range, lookup) {
  const across = Math.min(mosaicColumns(count), count);
  const down = Math.ceil(count / across);
  canvas.width = across * (size.columns + 1) - 1;
  canvas.height = down * (size.rows + 1) - 1;
  const context = canvas.getContext("2d");
  if (!context) {
    return;
  }
  const image = context.createImageData(canvas.width, canvas.height);
  for (let index = 0; index < count; index++) {
    const origin = {
      left: (index % across) * (size.columns + 1),
      top: Math.floor(index / across) * (size.rows + 1),
    };
    writeMap(image, origin, mapAt(index), size, range, lookup);
  }
  context.putImageData(image, 0, 0);
}

/**
 * Paints a horizontal color bar, low values on the left.
 *
 * @param {HTMLCanvasElement} canvas
 * @param {Uint8ClampedArray} lookup From makeLookup.
 */
export function paintColorBar(canvas, lookup) {
  const ramp = Float32Array.from({ length: LOOKUP_SIZE }, (_, index) => index);
  const range = { low: 0, high: LOOKUP_SIZE - 1, signed: false };
  paintMap(canvas, ramp, 1, LOOKUP_SIZE, range, lookup);
}
