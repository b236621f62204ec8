// @ts-check
/** Small DOM helpers shared by the views. */

/**
 * Returns the element with this id, or throws if the page lacks it.
 *
 * @param {string} id
 * @returns {any}
 */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) {
    throw new Error(`Element #${id} is missing from index.html.`);
  }
  return node;
}

/**
 * Creates an element with a class and optional text.
 *
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 */
export function element(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}
