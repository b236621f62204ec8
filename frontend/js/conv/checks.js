// @ts-check
/**
 * The numeric checks of a response (each route to y and to ∂l/∂x against
 * PyTorch, with its maximum absolute error) and the counts that show
 * locality and weight sharing.
 */

/** @typedef {import("./api.js").ConvMatrixResponse} ConvMatrixResponse */

/**
 * Errors up to this size count as agreement. The server computes in
 * float64, where the routes differ by rounding only (about 1e-15).
 */
export const AGREEMENT_TOLERANCE = 1e-9;

/** The checks in the order shown, with what each compares. */
const CHECKS = [
  {
    key: "matrix_vs_conv",
    left: "W·x",
    right: "F.conv2d(x, w)",
    why: "the matrix computes the layer's forward pass",
  },
  {
    key: "transpose_vs_autograd",
    left: "Wᵀ·g",
    right: "autograd ∂l/∂x",
    why: "backprop through the layer multiplies by Wᵀ",
  },
  {
    key: "conv_transpose_vs_autograd",
    left: "F.conv_transpose2d(g, w)",
    right: "autograd ∂l/∂x",
    why: "conv_transpose is multiplication by Wᵀ",
  },
  {
    key: "flipped_conv_vs_autograd",
    left: "conv. of g with w rotated 180°",
    right: "autograd ∂l/∂x",
    why: "the flip enters here, in backprop",
  },
  {
    key: "transpose_vs_flipped_conv",
    left: "Wᵀ·g",
    right: "conv. of g with w rotated 180°",
    why: "the rows of Wᵀ hold the kernel reversed",
  },
];

const integer = new Intl.NumberFormat("en");
const ratio = new Intl.NumberFormat("en", { maximumSignificantDigits: 3 });
const percent = new Intl.NumberFormat("en", {
  style: "percent",
  maximumSignificantDigits: 3,
});

/**
 * Formats a maximum absolute error: "0" or three significant digits in
 * scientific notation, such as "8.88e-16".
 *
 * @param {number} error
 */
export function formatError(error) {
  return error === 0 ? "0" : error.toExponential(2);
}

/**
 * Creates an element with a class and optional text.
 *
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 */
function element(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/**
 * Renders the table of checks into a <tbody>.
 *
 * @param {HTMLTableSectionElement} body
 * @param {Record<string, number>} errors
 */
export function renderChecks(body, errors) {
  body.replaceChildren();
  for (const check of CHECKS) {
    const error = errors[check.key];
    const row = document.createElement("tr");
    const agree = Number.isFinite(error) && error <= AGREEMENT_TOLERANCE;
    const value = element("td", "checks__error", formatError(error));
    value.dataset.testid = "max-error";
    value.dataset.check = check.key;
    value.dataset.agree = String(agree);
    row.append(
      element("td", "checks__pair", `${check.left} vs ${check.right}`),
      value,
      element("td", "checks__verdict", agree ? "✓ agree" : "✗ differ"),
      element("td", "checks__why", check.why),
    );
    body.append(row);
  }
}

/**
 * Renders the counts as a definition list.
 *
 * @param {HTMLElement} list
 * @param {ConvMatrixResponse} response
 */
export function renderCounts(list, response) {
  const counts = response.counts;
  const rows = counts.rows;
  const columns = counts.columns;
  const items = [
    ["W", `${integer.format(rows)} × ${integer.format(columns)}`],
    [
      "Non-zeros",
      `${integer.format(counts.nonzeros)} (density ` +
        `${percent.format(counts.density)})`,
    ],
    [
      "Kernel weights",
      `${integer.format(counts.kernel_weights)}, each used ` +
        `${ratio.format(counts.uses_per_weight)} times on average ` +
        "(weight sharing)",
    ],
    [
      "Dense layer, same shapes",
      `${integer.format(counts.dense_params)} weights, ` +
        `${ratio.format(counts.dense_over_kernel)}× the kernel ` +
        "(locality and sharing)",
    ],
    [
      "Server time",
      `${ratio.format(response.milliseconds.build_and_multiply)} ms to ` +
        "build W and multiply, " +
        `${ratio.format(response.milliseconds.direct_convolution)} ms ` +
        "for F.conv2d",
    ],
  ];
  list.replaceChildren();
  for (const [term, detail] of items) {
    list.append(element("dt", "counts__term", term));
    const description = element("dd", "counts__detail", detail);
    description.dataset.testid = `count-${term.toLowerCase().split(" ")[0]}`;
    list.append(description);
  }
}
