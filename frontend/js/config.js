// @ts-check
/**
 * Constants shared by the views: API paths, drawing defaults, timings and
 * Plotly color scales.
 */

/** Path prefix of every API endpoint. */
export const API_ROOT = "/api/v1";

/** Digit classes in the order of the models' output vector. */
export const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/** Side of the prepared model input, in pixels (MNIST size). */
export const INPUT_SIDE = 28;

/**
 * Background color of the drawing canvas. The canvas uses white ink on black,
 * as MNIST does. The server also accepts black on white and transparent
 * backgrounds, but this way the canvas looks like the input heatmap.
 */
export const CANVAS_BACKGROUND = "#000000";

/** Ink color of the drawing canvas. */
export const CANVAS_INK = "#ffffff";

/**
 * Side of the drawing canvas in canvas units. A unit is one CSS pixel at the
 * canvas's default size. Each side of the backing store is
 * CANVAS_SIDE × min(devicePixelRatio, MAX_CANVAS_SCALE) pixels.
 */
export const CANVAS_SIDE = 280;

/**
 * Stroke width in canvas units. The server scales a digit's bounding box to
 * 20×20 pixels, so 22 units on a digit 200 units tall become about 2 pixels,
 * close to MNIST strokes. The server also thickens or thins strokes far
 * outside MNIST's range.
 */
export const STROKE_WIDTH = { min: 8, max: 40, initial: 22 };

/**
 * Delay in ms between a change on the canvas and the prediction request.
 * Changes within this window share one request, so a stroke sends about one
 * request per window while the predictions still follow the pen. The end of
 * each stroke sends one more request at once.
 */
export const PREDICT_DELAY_MS = 120;

/**
 * Largest backing-store scale of the canvas on high-DPI screens. 280 units
 * times 3 is 840 px, below the server's default limit of 1024 px per side.
 */
export const MAX_CANVAS_SCALE = 3;

/**
 * Color scale of input images: 0 is black and 1 is white, like the canvas.
 * Written out because the name "Greys" is ambiguous: plotly.js's "Greys"
 * runs from black to white, plotly.py's px.colors.sequential.Greys the
 * other way.
 */
export const INPUT_COLORSCALE = [
  [0, "#000000"],
  [1, "#ffffff"],
];

/** Bar color of the predicted digit. */
export const PREDICTED_BAR_COLOR = "#4f46e5";

/** Bar color of the other digits. */
export const OTHER_BAR_COLOR = "#c7cbe0";

/** Font used inside the plots, matching the page. */
export const PLOT_FONT = {
  family: "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
  size: 12,
  color: "#334155",
};

/** Plotly config shared by every plot: no mode bar, no logo, resizable. */
export const PLOT_CONFIG = {
  displayModeBar: false,
  displaylogo: false,
  responsive: true,
};

/**
 * Color scale of activations that cannot be negative (ReLU, pooling after a
 * ReLU, block outputs): plotly.js's "Viridis" stops, written out so that the
 * canvas grids and the Plotly heatmaps interpolate the same colors.
 */
export const ACTIVATION_COLORSCALE = [
  [0, "#440154"],
  [0.0627, "#48186a"],
  [0.1255, "#472d7b"],
  [0.1882, "#424086"],
  [0.251, "#3b528b"],
  [0.3137, "#33638d"],
  [0.3765, "#2c728e"],
  [0.4392, "#26828e"],
  [0.502, "#21918c"],
  [0.5647, "#1fa088"],
  [0.6275, "#28ae80"],
  [0.6902, "#3fbc73"],
  [0.7529, "#5ec962"],
  [0.8157, "#84d44b"],
  [0.8784, "#addc30"],
  [0.9412, "#d8e219"],
  [1, "#fde725"],
];

/**
 * Diverging color scale of signed values (weights, pre-activations, block
 * sums): ColorBrewer's 11-class RdBu, blue for negative, white for 0 and red
 * for positive. Every use centers it at 0 with a range symmetric around 0.
 */
export const SIGNED_COLORSCALE = [
  [0, "#053061"],
  [0.1, "#2166ac"],
  [0.2, "#4393c3"],
  [0.3, "#92c5de"],
  [0.4, "#d1e5f0"],
  [0.5, "#f7f7f7"],
  [0.6, "#fddbc7"],
  [0.7, "#f4a582"],
  [0.8, "#d6604d"],
  [0.9, "#b2182b"],
  [1, "#67001f"],
];

/** Bar color of activations and weight norms. */
export const VALUE_BAR_COLOR = "#6366f1";

/** Color of the lines that mark channel boundaries in flattened vectors. */
export const BOUNDARY_COLOR = "#94a3b8";

/**
 * Bar colors of the parameter chart: convolution (locality and weight
 * sharing), locally connected (locality only) and fully connected.
 */
export const PARAMETER_COLORS = {
  conv: "#4f46e5",
  locallyConnected: "#f59e0b",
  dense: "#94a3b8",
};
