// @ts-check
/**
 * The parameters view: fetches a model's conv versus fully connected
 * counts once and renders the chart and the table.
 */

import { fetchParameters } from "./api.js";
import {
  renderParameterChart,
  renderParameterTable,
} from "./plots/parameters.js";

/** @typedef {import("./api.js").ParameterResponse} ParameterResponse */

/** Renders the parameters view. */
export class ParameterView {
  /**
   * @param {object} elements
   * @param {HTMLElement} elements.chart
   * @param {HTMLTableElement} elements.table
   * @param {HTMLElement} elements.message
   */
  constructor({ chart, table, message }) {
    this.chart = chart;
    this.table = table;
    this.message = message;
    /** @type {Map<string, Promise<ParameterResponse>>} */
    this.cache = new Map();
    /** Model id of the latest render, so an older response is not shown. */
    this.latest = "";
  }

  /**
   * Renders the counts of one model.
   *
   * @param {string} modelId
   */
  async render(modelId) {
    this.latest = modelId;
    let request = this.cache.get(modelId);
    if (!request) {
      request = fetchParameters(modelId);
      this.cache.set(modelId, request);
    }
    try {
      const response = await request;
      if (this.latest !== modelId) {
        return;
      }
      this.message.textContent = "";
      renderParameterTable(this.table, response);
      await renderParameterChart(this.chart, response);
    } catch (error) {
      this.cache.delete(modelId);
      const detail = error instanceof Error ? error.message : String(error);
      this.message.dataset.kind = "error";
      const text = "Could not load the parameter counts";
      this.message.textContent = `${text}: ${detail}`;
    }
  }
}
