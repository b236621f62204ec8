// @ts-check
/**
 * Log-axis helpers shared by the gradient charts, with no DOM access.
 *
 * A log axis cannot show 0, and Plotly drops such points without a warning.
 * JSON cannot carry NaN or infinity either, so the API sends those as null
 * with a flag. These helpers keep the positive finite values on the line,
 * collect the zeros and the non-finite values, and draw them as labelled
 * markers on a row below the lowest decade: the axis floor. The axis range
 * comes from the positive finite values only.
 */

import { formatPowerOfTen, formatTick } from "./format.js";

/**
 * Decade ticks aimed for on one axis: wider ranges tick every few decades.
 * Rounding the ends to multiples of that step can add one more tick.
 */
const MAX_DECADE_TICKS = 7;

/** Values spanning fewer decades than this get ticks between decades. */
const NARROW_DECADES = 1.5;

/** Number of ticks on a narrow range. */
const NARROW_TICKS = 5;

/** Markers of a series get a text label only up to this count. */
const MAX_LABELLED_MARKERS = 12;

/**
 * Returns the floor marker size of the series at this index: 12, 8, 4 px,
 * so that markers of several series at one place stay visible.
 *
 * @param {number} index
 * @returns {number}
 */
export function markerSize(index) {
  return Math.max(4, 12 - 4 * index);
}

/**
 * @typedef {object} LogSplit
 * @property {(number | null)[]} plotted The positive finite values, null
 *   everywhere else, so that each value keeps its index on the x axis.
 * @property {number[]} zeros Indices of the values that are exactly 0.
 * @property {number[]} nonFinite Indices of the NaN and infinite values.
 */

/**
 * Splits values for a log axis. Pass NaN for a value that was not finite on
 * the server, and null for a quantity that does not exist: null leaves a gap
 * with no marker.
 *
 * @param {(number | null)[]} values
 * @returns {LogSplit}
 */
export function splitForLogAxis(values) {
  /** @type {LogSplit} */
  const split = { plotted: [], zeros: [], nonFinite: [] };
  values.forEach((value, index) => {
    if (value !== null && Number.isFinite(value) && value > 0) {
      split.plotted.push(value);
      return;
    }
    split.plotted.push(null);
    if (value === 0) {
      split.zeros.push(index);
    } else if (value !== null && !Number.isFinite(value)) {
      split.nonFinite.push(index);
    }
  });
  return split;
}

/**
 * Returns the positive finite numbers among the values.
 *
 * @param {(number | null)[]} values
 * @returns {number[]}
 */
export function positiveFinite(values) {
  /** @type {number[]} */
  const positives = [];
  for (const value of values) {
    if (value !== null && Number.isFinite(value) && value > 0) {
      positives.push(value);
    }
  }
  return positives;
}

/**
 * @typedef {object} LogAxis
 * @property {[number, number]} range In log10 units, as Plotly's log axes
 *   take it.
 * @property {number[]} tickvals Tick positions as data values.
 * @property {string[]} ticktext
 * @property {number | null} floor Data value of the marker row, or null
 *   when there are no markers to draw.
 */

/**
 * @typedef {object} TickPlan
 * @property {number[]} exponents log10 of each tick.
 * @property {string[]} labels
 * @property {number} bottom Lower end of the range, in log10 units.
 * @property {number} top Upper end of the range, in log10 units.
 * @property {number} gap Distance from `bottom` down to the marker row, in
 *   log10 units.
 */

/**
 * Builds a log axis that covers the positive finite values. When markers
 * will be drawn, a row below the lowest tick is the marker row, labelled
 * "0", "NaN" or "0 / NaN" instead of a number. Values spanning less than
 * NARROW_DECADES get ticks at rounded values inside the span, so that a
 * loss from 2.4 to 2.1 does not sit flat between two decades. Without any
 * positive finite value the axis spans 0.1 to 10.
 *
 * @param {number[]} positives Positive finite values of every trace.
 * @param {{ zeros: boolean, nonFinite: boolean }} markers Which kinds of
 *   marker the chart draws.
 * @returns {LogAxis}
 */
export function buildLogAxis(positives, markers) {
  let low = -1;
  let high = 1;
  if (positives.length > 0) {
    // A loop, not Math.min(...values), which overflows the call stack on
    // very long arrays.
    let smallest = Infinity;
    let largest = 0;
    for (const value of positives) {
      smallest = Math.min(smallest, value);
      largest = Math.max(largest, value);
    }
    low = Math.log10(smallest);
    high = Math.log10(largest);
  }
  const plan =
    high - low < NARROW_DECADES
      ? planNarrowTicks(low, high)
      : planDecadeTicks(low, high);

  const tickvals = plan.exponents.map((exponent) => 10 ** exponent);
  const ticktext = [...plan.labels];
  const label = floorLabel(markers);
  let bottom = plan.bottom;
  /** @type {number | null} */
  let floor = null;
  if (label) {
    const floorExponent = plan.bottom - plan.gap;
    floor = 10 ** floorExponent;
    tickvals.unshift(floor);
    ticktext.unshift(label);
    // Room below the row for the markers themselves.
    bottom = floorExponent - 0.4 * plan.gap;
  }
  return { range: [bottom, plan.top], tickvals, ticktext, floor };
}

/**
 * Plans ticks at powers of ten, every few decades on wide ranges. The ticks
 * sit at multiples of the step, so that 1 is a tick when in range.
 *
 * @param {number} low log10 of the smallest value.
 * @param {number} high log10 of the largest value.
 * @returns {TickPlan}
 */
function planDecadeTicks(low, high) {
  const floorDecade = Math.floor(low);
  const ceilDecade = Math.max(Math.ceil(high), floorDecade + 1);
  const span = ceilDecade - floorDecade;
  const step = Math.max(1, Math.ceil(span / (MAX_DECADE_TICKS - 1)));
  const first = step * Math.floor(floorDecade / step);
  const last = step * Math.ceil(ceilDecade / step);
  /** @type {number[]} */
  const exponents = [];
  for (let exponent = first; exponent <= last; exponent += step) {
    exponents.push(exponent);
  }
  // Part of a step of room keeps the end markers and labels inside.
  const pad = 0.4 * step;
  return {
    exponents,
    labels: exponents.map(formatPowerOfTen),
    bottom: first - pad,
    top: last + pad,
    gap: step - pad,
  };
}

/**
 * Plans ticks on a narrow range: at 1, 2 and 5 times the powers of ten when
 * at least three of those fall inside it, otherwise at NARROW_TICKS values
 * spread evenly and rounded to two significant digits.
 *
 * @param {number} low log10 of the smallest value.
 * @param {number} high log10 of the largest value.
 * @returns {TickPlan}
 */
function planNarrowTicks(low, high) {
  const margin = Math.max(0.05, 0.1 * (high - low));
  const bottom = low - margin;
  const top = high + margin;
  const spacing = (top - bottom) / NARROW_TICKS;

  /** @type {number[]} */
  let values = [];
  for (let decade = Math.floor(bottom); decade <= Math.ceil(top); decade++) {
    for (const multiple of [1, 2, 5]) {
      const value = Number((multiple * 10 ** decade).toPrecision(1));
      const exponent = Math.log10(value);
      if (exponent >= bottom && exponent <= top) {
        values.push(value);
      }
    }
  }
  if (values.length < 3) {
    const spread = [];
    for (let index = 0; index < NARROW_TICKS; index += 1) {
      const exponent = bottom + (index + 0.5) * spacing;
      spread.push(Number((10 ** exponent).toPrecision(2)));
    }
    values = [...new Set(spread)];
  }
  return {
    exponents: values.map((value) => Math.log10(value)),
    labels: values.map(formatTick),
    bottom,
    top,
    gap: 2 * spacing,
  };
}

/**
 * @param {{ zeros: boolean, nonFinite: boolean }} markers
 * @returns {string}
 */
function floorLabel(markers) {
  if (markers.zeros && markers.nonFinite) {
    return "0 / NaN";
  }
  if (markers.zeros) {
    return "0";
  }
  return markers.nonFinite ? "NaN" : "";
}

/**
 * Returns the Plotly layout of a log y axis, plus a dotted line along the
 * marker row when there is one.
 *
 * @param {LogAxis} axis
 * @param {string} title
 * @returns {{ yaxis: object, shapes: object[] }}
 */
export function logAxisLayout(axis, title) {
  const yaxis = {
    type: "log",
    title: { text: title },
    range: axis.range,
    tickmode: "array",
    tickvals: axis.tickvals,
    ticktext: axis.ticktext,
    gridcolor: "#e2e8f0",
    zeroline: false,
  };
  const shapes =
    axis.floor === null
      ? []
      : [
          {
            type: "line",
            xref: "paper",
            x0: 0,
            x1: 1,
            yref: "y",
            y0: axis.floor,
            y1: axis.floor,
            line: { color: "#94a3b8", width: 1, dash: "dot" },
            layer: "below",
          },
        ];
  return { yaxis, shapes };
}

/**
 * @typedef {object} MarkerOptions
 * @property {LogSplit} split
 * @property {(number | string)[]} x The x value of each index.
 * @property {number | null} floor Marker row from buildLogAxis.
 * @property {string} name Series name, shown in the legend and the hover.
 * @property {string} color
 * @property {string[]} labels Hover label of each index, such as the layer
 *   name.
 * @property {number} [size] Marker size in px. Series whose markers can
 *   share a place get different sizes, so that the smaller one shows inside
 *   the larger one.
 */

/**
 * Returns the marker traces of one series: its zeros as open circles and
 * its non-finite values as crosses, on the marker row. Up to
 * MAX_LABELLED_MARKERS markers also get a "0" or "NaN" text. More would
 * overlap, so then only the axis label names the row. A series without
 * zeros or non-finite values gets no trace.
 *
 * @param {MarkerOptions} options
 * @returns {object[]}
 */
export function floorMarkerTraces({
  split,
  x,
  floor,
  name,
  color,
  labels,
  size = 9,
}) {
  if (floor === null) {
    return [];
  }
  const kinds = [
    {
      indices: split.zeros,
      text: "0",
      symbol: "circle-open",
      meaning: "exactly 0",
    },
    {
      indices: split.nonFinite,
      text: "NaN",
      symbol: "x-thin-open",
      meaning: "NaN or infinite",
    },
  ];
  return kinds
    .filter((kind) => kind.indices.length > 0)
    .map((kind) => ({
      type: "scatter",
      mode:
        kind.indices.length <= MAX_LABELLED_MARKERS
          ? "markers+text"
          : "markers",
      name: `${name}: ${kind.text}`,
      legendgroup: name,
      x: kind.indices.map((index) => x[index]),
      y: kind.indices.map(() => floor),
      text: kind.indices.map(() => kind.text),
      textposition: "top center",
      textfont: { color, size: 10 },
      customdata: kind.indices.map((index) => labels[index]),
      marker: {
        symbol: kind.symbol,
        color,
        size,
        line: { color, width: 2 },
      },
      cliponaxis: false,
      hovertemplate: `${name}<br>%{customdata}: ${kind.meaning}<extra></extra>`,
    }));
}
