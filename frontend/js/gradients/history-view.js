// @ts-check
/**
 * The training history of the served `resnet` and `plain` models, from
 * their model cards: per-layer gradient norms per epoch, training loss and
 * test accuracy.
 */

import { byId, errorMessage, showStatus } from "./dom.js";
import { NETWORK_COLORS } from "./flow-plots.js";
import { fetchModelCard } from "./gradients-api.js";
import {
  buildColorRange,
  renderGradientHeatmap,
  renderTestAccuracy,
  renderTrainLoss,
} from "./history-plots.js";

/** Models compared, each in the colour of its architecture. */
const HISTORY_MODELS = [
  { id: "resnet", color: NETWORK_COLORS.residual },
  { id: "plain", color: NETWORK_COLORS.plain },
];

/** Fetches both model cards and renders the history charts. */
export async function setUpHistoryView() {
  const status = byId("history-status", HTMLElement);
  showStatus(status, "Loading the model cards…", "busy");
  let cards;
  try {
    cards = await Promise.all(
      HISTORY_MODELS.map((model) => fetchModelCard(model.id)),
    );
  } catch (error) {
    showStatus(
      status,
      `The training history needs the model cards: ${errorMessage(error)}`,
      "error",
    );
    return;
  }

  const missing = HISTORY_MODELS.filter(
    (_, index) => (cards[index].history ?? []).length === 0,
  );
  if (missing.length > 0) {
    const ids = missing.map((model) => model.id).join(" and ");
    showStatus(status, `The model card of ${ids} has no history.`, "error");
    return;
  }

  const lines = HISTORY_MODELS.map((model, index) => ({
    ...model,
    card: cards[index],
  }));
  const range = buildColorRange(cards);
  try {
    await Promise.all([
      ...lines.map(({ id, card }) =>
        renderGradientHeatmap(
          byId(`history-heatmap-${id}`, HTMLElement),
          card,
          range,
        ),
      ),
      renderTrainLoss(byId("history-loss", HTMLElement), lines),
      renderTestAccuracy(byId("history-accuracy", HTMLElement), lines),
    ]);
    showStatus(status, "");
  } catch (error) {
    showStatus(status, `Drawing the charts failed: ${error}`, "error");
  }
}
