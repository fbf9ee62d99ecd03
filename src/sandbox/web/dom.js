// @ts-check
// Builds DOM nodes from data without ever parsing data as HTML: every string becomes a text node or an
// attribute value, so text from the bot, from OpenTrain or from a user cannot turn into markup.

/**
 * @typedef {string | number | Node | null | undefined | false} Child
 * @typedef {Record<string, string | number | boolean | null | undefined | EventListener>} Attrs
 */

/**
 * `h('a', { href: url, class: 'link' }, 'label')`. `on*` attributes take functions; `null`, `undefined` and
 * `false` leave an attribute out; `true` sets it empty.
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {...unknown} children strings, numbers, nodes, or (nested) arrays of them
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
      continue;
    }
    if (name === 'href') {
      const safe = safeHref(String(value));
      if (safe !== undefined) element.setAttribute('href', safe);
      continue;
    }
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/**
 * @param {Node} parent
 * @param {unknown[]} children nested arrays of Child, flattened
 */
export function append(parent, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Only web links and in-page paths; `javascript:`, `data:` and friends are dropped.
 * @param {string} href
 * @returns {string | undefined}
 */
export function safeHref(href) {
  try {
    const url = new URL(href, window.location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:'
      ? url.href
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Replaces the children of `parent`.
 * @param {Element} parent
 * @param {...unknown} children
 */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/** @param {string} id */
export function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element;
}
