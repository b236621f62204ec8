// @ts-check
/**
 * Number formatting of the gradient page: norms, ratios and powers of ten
 * that span tens of orders of magnitude.
 */

const SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/**
 * Powers of ten written as plain numbers, by exponent.
 *
 * @type {Record<number, string>}
 */
const PLAIN_POWERS = {
  "-2": "0.01",
  "-1": "0.1",
  0: "1",
  1: "10",
  2: "100",
  3: "1000",
};

/** Plain decimals inside this range; scientific notation outside it. */
const PLAIN_RANGE = { min: 1e-3, max: 1e4 };

/**
 * Formats 10^exponent as a tick label: "1", "10", "0.01" near 1 and "10⁻²⁴"
 * elsewhere.
 *
 * @param {number} exponent An integer.
 * @returns {string}
 */
export function formatPowerOfTen(exponent) {
  if (exponent in PLAIN_POWERS) {
    return PLAIN_POWERS[exponent];
  }
  const digits = String(Math.abs(exponent))
    .split("")
    .map((digit) => SUPERSCRIPT_DIGITS[Number(digit)])
    .join("");
  return `10${exponent < 0 ? "⁻" : ""}${digits}`;
}

/**
 * Formats a norm or a loss: "0.158", "5.52e-25", "0", "NaN", and "none"
 * for a quantity that does not exist.
 *
 * @param {number | null} value NaN for a value that was not finite.
 * @returns {string}
 */
export function formatValue(value) {
  if (value === null) {
    return "none";
  }
  if (!Number.isFinite(value)) {
    return "NaN";
  }
  if (value === 0) {
    return "0";
  }
  const size = Math.abs(value);
  if (size >= PLAIN_RANGE.min && size < PLAIN_RANGE.max) {
    return String(Number(value.toPrecision(3)));
  }
  return value.toExponential(2);
}

/**
 * Formats a ratio or a tick with two significant digits: "0.40", "29",
 * "5.0e-24".
 *
 * @param {number} value
 * @returns {string}
 */
export function formatShort(value) {
  if (value === 0) {
    return "0";
  }
  const size = Math.abs(value);
  if (size >= 0.01 && size < 1000) {
    // toPrecision writes 150 as "1.5e+2".
    const text = value.toPrecision(2);
    return text.includes("e") ? String(Number(text)) : text;
  }
  return value.toExponential(1);
}

/**
 * Formats a tick value with at most two significant digits and no trailing
 * zeros: "0.05", "2.5", "1e-5".
 *
 * @param {number} value
 * @returns {string}
 */
export function formatTick(value) {
  const text = formatShort(value);
  return text.includes(".") ? text.replace(/\.?0+(?=e|$)/, "") : text;
}

/**
 * Formats seconds for the status line: "0.4 s", "12 s".
 *
 * @param {number} seconds
 * @returns {string}
 */
export function formatSeconds(seconds) {
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}
