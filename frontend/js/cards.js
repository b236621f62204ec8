// @ts-check
/**
 * One card per model: name, description, test accuracy, parameter count,
 * the predicted digit and the probability chart.
 */

import { renderProbabilities } from "./plots/predictions.js";

/**
 * @typedef {object} ModelCard
 * @property {import("./api.js").ModelInfo} model
 * @property {HTMLElement} digit Element whose text is the predicted digit.
 * @property {HTMLElement} confidence Probability of the predicted digit.
 * @property {HTMLElement} chart Plotly container of the bar chart.
 */

const percent = new Intl.NumberFormat("en", {
  style: "percent",
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});
const integer = new Intl.NumberFormat("en");

/**
 * Describes the probability of the predicted digit, such as "p(3) = 97.2%".
 * Values that would round up to 100.0% show as "p(3) > 99.9%", so that
 * rounding does not read as certainty.
 *
 * @param {number} digit
 * @param {number} probability
 */
function describeProbability(digit, probability) {
  if (probability >= 0.9995) {
    return `p(${digit}) > 99.9%`;
  }
  return `p(${digit}) = ${percent.format(probability)}`;
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
 * Adds a term and its value to a description list.
 *
 * @param {HTMLElement} list
 * @param {string} term
 * @param {string} value
 */
function addStat(list, term, value) {
  const group = element("div", "stat");
  group.append(element("dt", "", term), element("dd", "", value));
  list.append(group);
}

/**
 * Builds a card for each model inside `container`, replacing its contents,
 * then draws empty probability charts.
 *
 * @param {HTMLElement} container
 * @param {import("./api.js").ModelInfo[]} models
 * @returns {Map<string, ModelCard>} Cards keyed by model id.
 */
export function createModelCards(container, models) {
  /** @type {Map<string, ModelCard>} */
  const cards = new Map();
  container.replaceChildren();

  for (const model of models) {
    const card = element("article", "card model-card");
    card.dataset.model = model.id;

    const heading = element("header", "model-card__header");
    const title = element("h3", "model-card__title", model.name);
    heading.append(title, element("code", "model-card__id", model.id));

    const description = element(
      "p",
      "model-card__description",
      model.description,
    );

    const stats = element("dl", "model-card__stats");
    addStat(stats, "Test accuracy", percent.format(model.test_accuracy));
    addStat(stats, "Parameters", integer.format(model.num_params));

    const result = element("div", "model-card__result");
    const digit = element("output", "model-card__digit");
    digit.dataset.testid = `prediction-${model.id}`;
    digit.setAttribute("aria-label", `${model.name} prediction`);
    const confidence = element("p", "model-card__confidence");
    result.append(digit, confidence);

    const chart = element("div", "model-card__chart");
    chart.setAttribute("aria-label", `${model.name} class probabilities`);

    card.append(heading, description, stats, result, chart);
    container.append(card);
    cards.set(model.id, { model, digit, confidence, chart });
  }

  // Plotly sizes a chart from its container when it first draws, so the
  // charts wait until every card is in the grid and the columns are final.
  for (const card of cards.values()) {
    renderProbabilities(card.chart, null);
  }
  return cards;
}

/**
 * Shows a model's prediction, or empties the card when `prediction` is
 * null. The digit element's text is exactly the predicted digit, or empty.
 *
 * @param {ModelCard} card
 * @param {import("./api.js").ModelPrediction | null} prediction
 * @returns {Promise<HTMLElement>} Settles when the chart is drawn.
 */
export function showPrediction(card, prediction) {
  if (prediction) {
    const probability = prediction.probabilities[prediction.prediction];
    card.digit.textContent = String(prediction.prediction);
    card.confidence.textContent = describeProbability(
      prediction.prediction,
      probability,
    );
  } else {
    card.digit.textContent = "";
    card.confidence.textContent = "";
  }
  return renderProbabilities(card.chart, prediction);
}
