// Scripts and iframes the site marked with a purpose stay inert until that
// purpose is allowed:
//   <script type="text/plain" data-consent="analytics" src="…">  (not fetched, not run)
//   <iframe data-consent-src="https://…" data-consent="marketing"> (no src, no request)
// A browser neither fetches nor runs a script of an unknown type, so nothing
// leaves the page before consent. Several purposes may be listed, separated by
// spaces: all of them must be allowed.
//
// Under a Content-Security-Policy without 'unsafe-inline', a gated inline
// script runs only if it carries the page's nonce: <script type="text/plain"
// data-consent="analytics" nonce="…">. Browsers hide a nonce from the DOM once
// parsed (the attribute reads ""; only the .nonce property keeps it), so the
// nonce is handed over through the property, never copied as an attribute.

const SCRIPT = 'script[type="text/plain"][data-consent]';
const FRAME = 'iframe[data-consent-src]';

function purposesOf(el) {
  return (el.getAttribute('data-consent') || '').split(/\s+/).filter(Boolean);
}

export class Gate {
  /** allowed(purpose) -> boolean is asked fresh every time (the core decides). */
  constructor(doc, allowed) {
    this.doc = doc;
    this.allowed = allowed;
    this.observer = null;
  }

  _permitted(el) {
    const purposes = purposesOf(el);
    // A frame may name its purpose with data-consent; without one it is never allowed.
    return purposes.length > 0 && purposes.every((p) => this.allowed(p));
  }

  _runScript(old) {
    const s = this.doc.createElement('script');
    for (const attr of Array.from(old.attributes)) {
      if (attr.name !== 'type' && attr.name !== 'nonce') s.setAttribute(attr.name, attr.value);
    }
    if (old.nonce) s.nonce = old.nonce;
    const type = old.getAttribute('data-type');
    if (type) s.setAttribute('type', type);
    s.setAttribute('data-consent-active', '');
    s.text = old.text;
    old.replaceWith(s);
  }

  _runFrame(frame) {
    frame.setAttribute('src', frame.getAttribute('data-consent-src'));
    frame.setAttribute('data-consent-active', '');
  }

  /** Activates every gated element whose purposes are all allowed now. */
  apply(root) {
    const scope = root || this.doc;
    if (!scope.querySelectorAll) return;
    const found = [];
    if (scope.matches && (scope.matches(SCRIPT) || scope.matches(FRAME))) found.push(scope);
    found.push(...scope.querySelectorAll(SCRIPT + ',' + FRAME));
    const later = [];
    for (const el of found) {
      if (el.hasAttribute('data-consent-active') || !this._permitted(el)) continue;
      // Inline code runs now, in this task; what must be fetched (a src, a frame) starts from the next
      // one: starting a request costs the task milliseconds, and its answer comes later either way. It
      // is asked again then, so a withdrawal in between keeps it inert.
      if (el.tagName === 'SCRIPT' && !el.hasAttribute('src')) this._runScript(el);
      else later.push(el);
    }
    if (later.length) setTimeout(() => this._runLater(later), 0);
  }

  _runLater(elements) {
    for (const el of elements) {
      if (!el.isConnected || el.hasAttribute('data-consent-active') || !this._permitted(el)) continue;
      if (el.tagName === 'SCRIPT') this._runScript(el);
      else this._runFrame(el);
    }
  }

  /** After a withdrawal: frames of purposes no longer allowed are emptied. */
  revoke() {
    for (const frame of this.doc.querySelectorAll(FRAME + '[data-consent-active]')) {
      if (this._permitted(frame)) continue;
      frame.removeAttribute('src');
      frame.removeAttribute('data-consent-active');
    }
  }

  /** Stops watching (another gate takes over: first_visit.js hands over to banner.js). */
  unwatch() {
    if (this.observer) this.observer.disconnect();
    this.observer = null;
  }

  /** Elements added later (single-page apps, late markup) are gated the same way. */
  watch() {
    if (this.observer || typeof MutationObserver === 'undefined') return;
    this.observer = new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (n.nodeType === 1) this.apply(n);
    });
    this.observer.observe(this.doc.documentElement, { childList: true, subtree: true });
  }
}
