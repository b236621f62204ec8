// @ts-check
/**
 * Views of a layer's weights: every filter of a conv layer as a tile of its
 * in-channel kernels, one filter enlarged as a Plotly heatmap, and the
 * per-filter (or per-unit) L2 norms as bars. Weights are signed, so they
 * use SIGNED_COLORSCALE on a range symmetric around 0 (white is 0).
 *
 * PyTorch's conv2d is a cross-correlation: the kernel is applied as it is,
 * without the 180° flip of a true convolution. A kernel drawn with row 0 at
 * the top therefore shows the input pattern that excites it most.
 */

import { mosaicColumns, paintMosaic } from "../colormap.js";
import {
  PLOT_CONFIG,
  PLOT_FONT,
  SIGNED_COLORSCALE,
  VALUE_BAR_COLOR,
} from "../config.js";
import { element } from "../dom.js";
import { mapValues } from "../typed.js";

/** The global that /vendor/plotly.min.js defines. */
const Plotly = /** @type {any} */ (window).Plotly;

/** @typedef {import("../typed.js").DecodedArray} DecodedArray */
/** @typedef {import("../colormap.js").ColorRange} ColorRange */

const normFormat = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });

/**
 * Returns the kernel weight[filter, inChannel] of a decoded
 * (out, in, kH, kW) weight.
 *
 * @param {DecodedArray} weight
 * @param {number} filter
 * @param {number} inChannel
 */
export function kernelValues(weight, filter, inChannel) {
  return mapValues(weight, filter * weight.shape[1] + inChannel);
}

/**
 * Click handler of each grid's tiles, looked up at click time because the
 * tiles outlive a render.
 *
 * @type {WeakMap<HTMLElement, (filter: number) => void>}
 */
const selectHandlers = new WeakMap();

/**
 * Renders one tile per filter of a conv layer into `container`: its
 * in-channel kernels as a mosaic, captioned with the filter index and its
 * L2 norm. A first layer's filter is a single kernel, a patch in input
 * space. All tiles share one color range.
 *
 * @param {HTMLElement} container
 * @param {object} payload
 * @param {DecodedArray} payload.weight Shape (out, in, kH, kW).
 * @param {number[]} payload.norms L2 norm per filter.
 * @param {ColorRange} payload.range
 * @param {Uint8ClampedArray} payload.lookup
 * @param {number | null} payload.selected
 * @param {(filter: number) => void} payload.onSelect
 */
export function renderFilterGrid(container, payload) {
  const { weight, norms, range, lookup } = payload;
  const [outChannels, inChannels] = weight.shape;
  const size = { rows: weight.rows, columns: weight.columns };
  // First-layer kernels are few and small, so they get bigger tiles.
  const tileSize = inChannels === 1 ? 72 : Math.min(120, 40 + 2 * inChannels);
  container.style.setProperty("--tile-size", `${tileSize}px`);
  container.replaceChildren();
  selectHandlers.set(container, payload.onSelect);

  for (let filter = 0; filter < outChannels; filter++) {
    const tile = element("button", "map-tile");
    tile.setAttribute("type", "button");
    tile.dataset.testid = "filter";
    tile.dataset.filter = String(filter);
    tile.dataset.kernels = String(inChannels);
    tile.setAttribute("aria-pressed", String(filter === payload.selected));
    const canvas = document.createElement("canvas");
    paintMosaic(
      canvas,
      (inChannel) => kernelValues(weight, filter, inChannel),
      inChannels,
      size,
      range,
      lookup,
    );
    canvas.style.aspectRatio = `${canvas.width} / ${canvas.height}`;
    const norm = normFormat.format(norms[filter]);
    tile.title = `Filter ${filter}: ${inChannels} kernels, L2 norm ${norm}`;
    tile.append(
      canvas,
      element("span", "map-tile__label", `${filter} · ${norm}`),
    );
    tile.addEventListener("click", () => {
      selectHandlers.get(container)?.(filter);
    });
    container.append(tile);
  }
}

/**
 * Renders the in-channel kernels of one filter as a Plotly heatmap mosaic
 * with row 0 of each kernel at the top, square cells, empty gaps between
 * kernels and hover labels naming the in-channel, row and column.
 *
 * @param {HTMLElement} div
 * @param {object} payload
 * @param {DecodedArray} payload.weight Shape (out, in, kH, kW).
 * @param {number} payload.filter Index of the filter (output channel).
 * @param {ColorRange} payload.range Symmetric around 0.
 * @returns {Promise<HTMLElement>}
 */
export function renderKernelMosaic(div, { weight, filter, range }) {
  const inChannels = weight.shape[1];
  const { rows, columns } = weight;
  const across = Math.min(mosaicColumns(inChannels), inChannels);
  const down = Math.ceil(inChannels / across);
  const height = down * (rows + 1) - 1;
  const width = across * (columns + 1) - 1;

  // Cells between the kernels stay null, which Plotly leaves empty.
  /** @type {(number | null)[][]} */
  const z = Array.from({ length: height }, () => new Array(width).fill(null));
  /** @type {(number[] | null)[][]} */
  const customdata = Array.from({ length: height }, () =>
    new Array(width).fill(null),
  );
  for (let inChannel = 0; inChannel < inChannels; inChannel++) {
    const values = kernelValues(weight, filter, inChannel);
    const top = Math.floor(inChannel / across) * (rows + 1);
    const left = (inChannel % across) * (columns + 1);
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        z[top + row][left + column] = values[row * columns + column];
        customdata[top + row][left + column] = [inChannel, row, column];
      }
    }
  }

  const limit = range.high > 0 ? range.high : 1;
  const trace = {
    type: "heatmap",
    z,
    customdata,
    zmin: -limit,
    zmax: limit,
    zmid: 0,
    colorscale: SIGNED_COLORSCALE,
    hoverongaps: false,
    colorbar: { thickness: 10, outlinewidth: 0, len: 0.9 },
    hovertemplate:
      "in-channel %{customdata[0]}, row %{customdata[1]}, " +
      "column %{customdata[2]}<br>weight %{z:.4f}<extra></extra>",
  };

  const layout = {
    font: PLOT_FONT,
    margin: { l: 8, r: 8, t: 8, b: 8 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    xaxis: {
      constrain: "domain",
      showgrid: false,
      zeroline: false,
      showticklabels: inChannels === 1,
      ticks: "",
    },
    // Row 0 on top, as the kernel lies over the input.
    yaxis: {
      autorange: "reversed",
      scaleanchor: "x",
      scaleratio: 1,
      constrain: "domain",
      showgrid: false,
      zeroline: false,
      showticklabels: inChannels === 1,
      ticks: "",
    },
  };
  return Plotly.react(div, [trace], layout, PLOT_CONFIG);
}

/**
 * Renders L2 norms as bars, one per filter of a conv layer or per unit of
 * a linear layer.
 *
 * @param {HTMLElement} div
 * @param {object} payload
 * @param {number[]} payload.norms
 * @param {string} payload.unitName "filter" or "unit".
 * @returns {Promise<HTMLElement>}
 */
export function renderNorms(div, { norms, unitName }) {
  const trace = {
    type: "bar",
    x: norms.map((_, index) => index),
    y: norms,
    marker: { color: VALUE_BAR_COLOR },
    hovertemplate: `${unitName} %{x}: L2 norm %{y:.4f}<extra></extra>`,
  };
  const layout = {
    font: PLOT_FONT,
    margin: { l: 56, r: 8, t: 8, b: 40 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    bargap: norms.length > 64 ? 0 : 0.15,
    xaxis: { title: { text: unitName }, showgrid: false, zeroline: false },
    yaxis: { title: { text: "L2 norm ‖w‖" }, gridcolor: "#e2e8f0" },
  };
  return Plotly.react(div, [trace], layout, PLOT_CONFIG);
}
