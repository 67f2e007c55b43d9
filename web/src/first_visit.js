// A first visit puts the question on screen without waiting for the wasm core.
// One request to consentd (GET …/banner-view) brings the notice and the view
// of it that the same core, running natively there, draws for a visitor with
// no choices yet. The first layer shows as soon as that answer and the page
// are there; the wasm core, still loading, takes the dialog over when it
// arrives. A click that comes first waits for the core — or, if the core
// cannot load at all, goes to the server's core as a plain request (recorded
// there, applied here by the core on a later visit). Nothing gated runs until
// the wasm core itself says so.
import { Dialog } from './ui/dialog.js';
import { buildRequest } from './request.js';

export function isFirstVisit(store) {
  return !Object.keys(store.get('state', {})).length && !store.get('unapplied', []).length;
}

/** Resolves to {notice_id, notice_version, hash, last_material_version, notice, view}. */
export async function fetchFirstVisit(win, config) {
  const gpc = win.navigator.globalPrivacyControl === true;
  const languages = config.lang ? [config.lang] : Array.from(win.navigator.languages || []);
  const url = config.server + '/v1/sites/' + encodeURIComponent(config.site) + '/banner-view?languages=' +
    encodeURIComponent(languages.join(',')) + '&gpc=' + (gpc ? '1' : '0');
  const res = await fetch(url, { credentials: 'omit', mode: 'cors' });
  if (!res.ok) throw new Error('banner-view answered ' + res.status);
  return res.json();
}

export class FirstVisit {
  constructor({ win, store, outbox, identity }) {
    this.win = win;
    this.store = store;
    this.outbox = outbox;
    this.identity = identity;
    this.banner = null;       // the wasm-backed banner, once it has taken over
    this.failed = false;      // the core will not come
    this.pending = null;      // a click made before the core arrived
    this.shown = false;
    this.answer = null;
    const route = (action, choices) => this._route(action, choices);
    this.dialog = new Dialog(win.document, {
      accept: () => route('accept'), reject: () => route('reject'), save: (c) => route('save', c),
      download: () => {}, close: () => {},
    });
  }

  /** Draws the server's first-visit view, unless the core's banner is already running. */
  show(answer) {
    if (this.banner || this.shown) return;
    this.answer = answer;
    this.shown = true;
    this.dialog.showReopen(answer.view, () => this.dialog.showChoices(answer.view, false, 0));
    this.dialog.showFirst(answer.view);
  }

  _route(action, choices) {
    if (this.banner) return this.banner.decide(action, choices);
    if (this.failed) return this._recordWithoutCore(action, choices);
    this.pending = { action, choices };
    this.dialog.hide();
  }

  /** The core's banner takes over the dialog; returns the click it must carry out, if any. */
  handOver(banner) {
    this.banner = banner;
    const pending = this.pending;
    this.pending = null;
    return pending;
  }

  /** The core could not load: a click already made, or made later, goes to the server's core. */
  coreFailed() {
    this.failed = true;
    if (this.pending) this._recordWithoutCore(this.pending.action, this.pending.choices);
    this.pending = null;
  }

  _recordWithoutCore(action, choices) {
    if (!this.answer) return;
    const request = buildRequest({
      win: this.win, view: this.answer.view, meta: this.answer, subject: this.identity.subject(),
      gpc: this.win.navigator.globalPrivacyControl === true, allowed: () => false, action, choices: choices || {},
    });
    this.store.set('unapplied', this.store.get('unapplied', []).concat([request]));
    this.outbox.add(request, this.identity.tokenFor(request.subject_id));
    this.dialog.hide();
    this.outbox.flush(true);
  }
}
