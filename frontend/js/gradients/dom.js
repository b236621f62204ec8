// @ts-check
/** DOM helpers of the gradient page: element lookup and status lines. */

import { ApiError } from "../api.js";

/**
 * Returns the element with this id, checked against the expected class.
 *
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type Such as HTMLInputElement.
 * @returns {T}
 */
export function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) {
    throw new Error(
      `gradients.html has no ${type.name} with id "${id}". Add it to the ` +
        "page, or change js/gradients/ to the page's ids.",
    );
  }
  return element;
}

/**
 * Shows a message in a status element. The kind sets `data-kind`, which
 * the stylesheet colours: "error" in red, "busy" with a spinner.
 *
 * @param {HTMLElement} element
 * @param {string} message Empty to clear the line.
 * @param {"info" | "busy" | "error"} [kind]
 */
export function showStatus(element, message, kind = "info") {
  element.textContent = message;
  element.dataset.kind = kind;
}

/**
 * Returns the text to show for a failed request: the server's message for
 * an ApiError, otherwise the error itself.
 *
 * @param {unknown} error
 * @returns {string}
 */
export function errorMessage(error) {
  if (error instanceof ApiError) {
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
