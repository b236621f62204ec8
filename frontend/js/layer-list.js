// @ts-check
/**
 * The clickable list of a model's layers, shared by the feature map and
 * filter views, and the short descriptions of shapes and counts.
 */

import { element } from "./dom.js";

const integer = new Intl.NumberFormat("en");

/**
 * Formats a shape such as [32, 24, 24] as "32×24×24".
 *
 * @param {number[]} shape
 */
export function formatShape(shape) {
  return shape.join("×");
}

/**
 * Formats a parameter count, such as "102,528 parameters".
 *
 * @param {number} count
 */
export function formatParams(count) {
  return `${integer.format(count)} parameter${count === 1 ? "" : "s"}`;
}

/**
 * Fills `container` with one button per layer: name, kind, output shape
 * and parameter count. Layers inside a residual block are indented under
 * it. Each button has `data-testid="<prefix><name>"`, with the layer name
 * as it is (dots included).
 *
 * @param {HTMLElement} container
 * @param {object} options
 * @param {import("./api.js").LayerInfo[]} options.layers In forward order.
 * @param {string} options.selected Name of the selected layer.
 * @param {string} options.testIdPrefix Such as "layer-".
 * @param {(name: string) => void} options.onSelect
 */
export function renderLayerList(
  container,
  { layers, selected, testIdPrefix, onSelect },
) {
  const signature = layers.map((layer) => layer.name).join(",");
  if (container.dataset.layers !== signature) {
    container.replaceChildren();
    for (const layer of layers) {
      const item = element("button", "layer-list__item");
      item.setAttribute("type", "button");
      item.setAttribute("role", "option");
      item.dataset.layer = layer.name;
      item.dataset.testid = `${testIdPrefix}${layer.name}`;
      if (layer.parent) {
        item.classList.add("layer-list__item--child");
      }
      const meta = element("span", "layer-list__meta");
      meta.append(
        element("span", "layer-list__kind", layer.kind),
        ` · ${formatShape(layer.shape)} · ${formatParams(layer.params)}`,
      );
      item.append(element("span", "layer-list__name", layer.name), meta);
      item.addEventListener("click", () => onSelect(layer.name));
      container.append(item);
    }
    container.dataset.layers = signature;
  }
  for (const item of container.querySelectorAll("button")) {
    const isSelected = item.dataset.layer === selected;
    item.setAttribute("aria-selected", String(isSelected));
    if (isSelected && container.dataset.selected !== selected) {
      scrollIntoList(container, item);
    }
  }
  container.dataset.selected = selected;
}

/**
 * Scrolls the list, and only the list, so that `item` is visible. The
 * page itself must not scroll: the list re-renders while the user draws.
 *
 * @param {HTMLElement} list
 * @param {HTMLElement} item
 */
function scrollIntoList(list, item) {
  const top = item.offsetTop;
  const bottom = top + item.offsetHeight;
  if (top < list.scrollTop || bottom > list.scrollTop + list.clientHeight) {
    list.scrollTop = top - (list.clientHeight - item.offsetHeight) / 2;
  }
}

/**
 * Fills a layer's header: its name and kind as the title, a muted line of
 * facts, a description and an optional muted note.
 *
 * @param {HTMLElement} container
 * @param {object} header
 * @param {string} header.name
 * @param {string} header.kind
 * @param {string} header.facts
 * @param {string} header.description
 * @param {string} [header.note]
 */
export function renderLayerHeader(
  container,
  { name, kind, facts, description, note = "" },
) {
  const title = element("h3", "layer-header__title");
  title.append(element("code", "", name), ` · ${kind}`);
  container.replaceChildren(
    title,
    element("p", "layer-header__facts", facts),
    element("p", "layer-header__formula", description),
  );
  if (note) {
    container.append(element("p", "layer-header__facts", note));
  }
}
