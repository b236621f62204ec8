// @ts-check
/**
 * Colors of the conv-matrix page: one categorical color per kernel weight,
 * and the highlight of a hovered receptive field.
 */

/** The Tableau 10 palette: the first ten colors handed out. */
const TABLEAU_10 = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/**
 * Maximum number of kernel weights that get a color each. Past this,
 * neighbouring hues are too close to tell apart, so W is colored by value.
 */
export const MAX_WEIGHT_COLORS = 36;

/** Fill of the cells of a hovered receptive field or output position. */
export const HIGHLIGHT_FILL = "rgba(245, 158, 11, 0.65)";

/** Outline of the hovered row of W or column of Wᵀ. */
export const HIGHLIGHT_LINE = "#f59e0b";

/** Background behind the heatmaps, which structural zeros (NaN) show. */
export const ZERO_BACKGROUND = "#e9edf3";

/** Text of the "0" written in the structural zeros of small matrices. */
export const ZERO_TEXT = "#94a3b8";

/** Lines between the channels of a flattened x or y. */
export const CHANNEL_LINE = "#64748b";

/**
 * Returns `count` categorical colors: Tableau 10, then hues spaced by the
 * golden angle at three lightness levels.
 *
 * @param {number} count At most MAX_WEIGHT_COLORS.
 * @returns {string[]}
 */
export function weightColors(count) {
  const colors = TABLEAU_10.slice(0, count);
  const lightness = [42, 62, 32];
  for (let index = colors.length; index < count; index++) {
    const hue = Math.round((index * 137.508) % 360);
    colors.push(`hsl(${hue}, 60%, ${lightness[index % 3]}%)`);
  }
  return colors;
}

/**
 * Builds a Plotly colorscale that paints the integer z = i in colors[i],
 * for use with zmin = -0.5 and zmax = colors.length - 0.5. Each color
 * spans one band between two stops at the same color.
 *
 * @param {string[]} colors
 * @returns {[number, string][]}
 */
export function discreteColorscale(colors) {
  const count = Math.max(colors.length, 1);
  /** @type {[number, string][]} */
  const scale = [];
  colors.forEach((color, index) => {
    scale.push([index / count, color], [(index + 1) / count, color]);
  });
  return scale.length > 0
    ? scale
    : [
        [0, "#000000"],
        [1, "#000000"],
      ];
}
