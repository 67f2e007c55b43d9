// Focus handling of the modal dialog (WAI-ARIA APG dialog pattern): focus moves
// in when it opens, Tab and Shift+Tab cycle inside it, Escape closes it, and
// focus returns where it was when it closes.

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]),' +
  ' textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

export function focusables(container) {
  return Array.from(container.querySelectorAll(FOCUSABLE)).filter((el) => el.getClientRects().length > 0);
}

export class FocusTrap {
  constructor(container, onEscape) {
    this.container = container;
    this.onEscape = onEscape;
    this.returnTo = null;
    this._onKey = (e) => this._key(e);
    this._onFocusIn = (e) => {
      if (!this.container.contains(e.target)) this._first();
    };
  }

  activate(doc, initial) {
    this.doc = doc;
    if (!this.returnTo) this.returnTo = doc.activeElement;
    doc.addEventListener('keydown', this._onKey, true);
    doc.addEventListener('focusin', this._onFocusIn, true);
    if (initial) initial.focus(); else this._first();
  }

  /** Stops trapping without moving focus (the dialog is being redrawn). */
  release() {
    if (!this.doc) return;
    this.doc.removeEventListener('keydown', this._onKey, true);
    this.doc.removeEventListener('focusin', this._onFocusIn, true);
  }

  deactivate(fallback) {
    if (!this.doc) return;
    this.release();
    const target = this.returnTo && this.returnTo.isConnected && this.returnTo !== this.doc.body ? this.returnTo : fallback;
    this.returnTo = null;
    if (target && target.focus) target.focus();
  }

  _first() {
    const list = focusables(this.container);
    if (list.length) list[0].focus();
  }

  _key(e) {
    if (e.key === 'Escape') {
      e.preventDefault();
      this.onEscape();
      return;
    }
    if (e.key !== 'Tab') return;
    const list = focusables(this.container);
    if (!list.length) return;
    const first = list[0];
    const last = list[list.length - 1];
    const active = this.doc.activeElement;
    // From the heading (focused on opening, outside the Tab cycle) Shift+Tab wraps to the last control.
    if (e.shiftKey && (active === first || !list.includes(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !this.container.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  }
}
