// A tiny DOM builder. Every string child becomes a text node, so data (names, addresses)
// can never be read as HTML; attributes are set one by one with setAttribute.

/**
 * Creates an element.
 * @param {string} tag
 * @param {Record<string, string|boolean|number|null|undefined>} attrs `class` and any
 *   attribute; `false`/null/undefined values are skipped, `true` sets an empty attribute
 * @param {...(Node|string|number|null|undefined|false|(Node|string)[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's content with the given children (text or nodes).
 * @param {Element} el
 * @param {...(Node|string|null|undefined|false)} children
 */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}
