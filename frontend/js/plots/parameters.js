// @ts-check
/**
 * The parameter count of each conv layer beside the counts that a locally
 * connected and a fully connected layer between the same shapes would need.
 * The chart shows them as grouped bars on a log scale, the table as
 * locality and sharing factors. The textbook example 32×32×3 → 28×28×6 with
 * 5×5 kernels is the last row of both.
 */

import { PARAMETER_COLORS, PLOT_CONFIG, PLOT_FONT } from "../config.js";
import { element } from "../dom.js";
import { formatShape } from "../layer-list.js";

/** The global that /vendor/plotly.min.js defines. */
const Plotly = /** @type {any} */ (window).Plotly;

/** @typedef {import("../api.js").ParameterRow} ParameterRow */
/** @typedef {import("../api.js").ParameterResponse} ParameterResponse */

const integer = new Intl.NumberFormat("en");

/**
 * Short name of the textbook example in the chart and the table. Its
 * shapes (32×32×3 → 28×28×6, 5×5 kernels) are in the hover and the table.
 */
export const REFERENCE_LABEL = "textbook example";
const factorFormat = new Intl.NumberFormat("en", {
  maximumFractionDigits: 1,
});

/** The three bar series: which count, its legend name and color. */
const SERIES = /** @type {const} */ ([
  {
    key: "conv_params",
    name: "convolution (locality + weight sharing)",
    color: PARAMETER_COLORS.conv,
  },
  {
    key: "locally_connected_params",
    name: "locally connected (locality only)",
    color: PARAMETER_COLORS.locallyConnected,
  },
  {
    key: "dense_params",
    name: "fully connected",
    color: PARAMETER_COLORS.dense,
  },
]);

/**
 * Renders the grouped bar chart on a log y axis. A log axis cannot show 0
 * and Plotly drops such bars silently, so a count of 0 is drawn at the axis
 * floor and labelled "0". The floor comes from the positive counts.
 *
 * @param {HTMLElement} div
 * @param {ParameterResponse} payload
 * @returns {Promise<HTMLElement>}
 */
export function renderParameterChart(div, payload) {
  const rows = [...payload.rows, payload.reference];
  const labels = rows.map((row) =>
    row === payload.reference ? REFERENCE_LABEL : row.name,
  );
  const positive = rows.flatMap((row) =>
    SERIES.map((series) => row[series.key]).filter((count) => count > 0),
  );
  const smallest = positive.length > 0 ? Math.min(...positive) : 1;
  const floor = 10 ** Math.floor(Math.log10(smallest));

  const traces = SERIES.map((series) => {
    const counts = rows.map((row) => row[series.key]);
    return {
      type: "bar",
      name: series.name,
      x: labels,
      y: counts.map((count) => (count > 0 ? count : floor)),
      text: counts.map((count) => (count > 0 ? "" : "0")),
      textposition: "outside",
      customdata: counts,
      marker: { color: series.color },
      hovertext: rows.map((row) => row.name),
      hovertemplate:
        `${series.name}<br>%{hovertext}: %{customdata:,} parameters` +
        "<extra></extra>",
    };
  });
  const layout = {
    font: PLOT_FONT,
    margin: { l: 64, r: 8, t: 8, b: 8 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    barmode: "group",
    bargap: 0.2,
    legend: { orientation: "h", x: 0, y: 1.12 },
    xaxis: { type: "category", automargin: true, tickangle: -30 },
    yaxis: {
      type: "log",
      title: { text: "parameters (log scale)" },
      gridcolor: "#e2e8f0",
      dtick: 1,
      exponentformat: "power",
    },
    // A dashed line sets the textbook example apart from the model's layers.
    shapes: [
      {
        type: "line",
        xref: "x",
        yref: "paper",
        x0: rows.length - 1.5,
        x1: rows.length - 1.5,
        y0: 0,
        y1: 1,
        line: { color: "#94a3b8", width: 1, dash: "dash" },
      },
    ],
  };
  return Plotly.react(div, traces, layout, PLOT_CONFIG);
}

/**
 * Formats a factor such as 30.19 as "×30.2", and from 100 on without
 * decimals ("×17,391").
 *
 * @param {number} factor
 */
function formatFactor(factor) {
  const rounded = factor >= 100 ? Math.round(factor) : factor;
  return `×${factorFormat.format(rounded)}`;
}

/**
 * Returns the table cells of one row.
 *
 * @param {ParameterRow} row
 * @param {ParameterRow} reference The textbook example's row.
 */
function rowCells(row, reference) {
  return [
    row === reference ? REFERENCE_LABEL : row.name,
    `${formatShape(row.input_shape)}→${formatShape(row.output_shape)}`,
    integer.format(row.weights_per_unit_conv),
    integer.format(row.weights_per_unit_dense),
    formatFactor(row.locality_factor),
    integer.format(row.positions_sharing_a_kernel),
    formatFactor(row.sharing_factor),
    integer.format(row.conv_params),
    integer.format(row.dense_weights),
    formatFactor(row.total_factor),
  ];
}

/**
 * Returns a table cell with a layer name that may wrap after its dots
 * ("layer2.0." / "shortcut_conv"), which keeps the table narrow.
 *
 * @param {string} name
 */
function nameCell(name) {
  const cell = element("td", "parameters-table__name");
  name.split(".").forEach((part, index, parts) => {
    const last = index === parts.length - 1;
    cell.append(last ? part : `${part}.`);
    if (!last) {
      cell.append(document.createElement("wbr"));
    }
  });
  return cell;
}

/**
 * Header cells: [text, column span] in the group row, then one per column.
 * The groups show which factor each pair of columns produces.
 */
const HEADER_GROUPS = [
  ["", 2],
  ["Weights per output unit", 2],
  ["Locality", 1],
  ["Weight sharing", 2],
  ["Total", 3],
];
const HEADERS = [
  "Layer",
  "C×H×W in → out",
  "conv, k·k·C_in",
  "fully connected, H·W·C_in",
  "factor",
  "positions, H_out·W_out",
  "factor",
  "conv parameters",
  "fully connected weights",
  "factor",
];

/**
 * Fills a table with one row per conv layer and the textbook example last.
 * The factors are the API's, computed on parameters with biases: locality
 * = fully connected / locally connected, sharing = locally connected /
 * conv, total = fully connected / conv. The weight columns leave biases
 * out, as the textbook's 14,450,688 fully connected weights do.
 *
 * @param {HTMLTableElement} table
 * @param {ParameterResponse} payload
 */
export function renderParameterTable(table, payload) {
  const head = document.createElement("thead");
  const groupRow = document.createElement("tr");
  for (const [text, span] of HEADER_GROUPS) {
    const cell = element("th", "parameters-table__group", String(text));
    cell.setAttribute("colspan", String(span));
    groupRow.append(cell);
  }
  const headRow = document.createElement("tr");
  headRow.append(...HEADERS.map((text) => element("th", "", text)));
  head.append(groupRow, headRow);

  const body = document.createElement("tbody");
  for (const row of [...payload.rows, payload.reference]) {
    const tableRow = document.createElement("tr");
    if (row === payload.reference) {
      tableRow.className = "parameters-table__reference";
      tableRow.dataset.testid = "parameters-reference";
    }
    const [name, ...values] = rowCells(row, payload.reference);
    tableRow.append(
      nameCell(name),
      ...values.map((text) => element("td", "", text)),
    );
    body.append(tableRow);
  }
  table.replaceChildren(head, body);
}
