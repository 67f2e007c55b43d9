// Building DOM from configured text. Text only ever enters the page through
// text nodes and attribute values, never as markup: a notice that contains
// "<img onerror=…>" shows those characters and runs nothing.

export function h(doc, tag, attrs, children) {
  const el = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value == null) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of [].concat(children || [])) {
    if (child == null || child === false) continue;
    el.appendChild(typeof child === 'string' ? doc.createTextNode(child) : child);
  }
  return el;
}

/** Only http(s) links are rendered as links (no javascript: URLs from configuration). */
export function safeUrl(url) {
  return /^https?:\/\//i.test(url || '') ? url : '';
}
