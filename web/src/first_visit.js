// A first visit puts the question on screen without waiting for the wasm core.
// One request to consentd (GET …/banner-view) brings the notice and the view
// of it that the same core, running natively there, draws for a visitor with
// no choices yet. The first layer shows as soon as that answer and the page
// are there. Nothing is allowed before a decision, so the wasm core is fetched
// only when the visitor turns to the question, and takes the dialog over when
// it arrives.
//
// A click before it has arrived is not held in memory (the visitor may leave
// the page at once): it goes into the outbox as a request, which the server's
// core checks and records, and into "unapplied", which the wasm core applies
// here as soon as it runs — on this page, or on the next visit if it cannot
// load now. Nothing gated runs until the wasm core itself says so.
import { Dialog } from './ui/dialog.js';
import { buildRequest } from './request.js';
import { boundOutbox } from './outbox_bound.js';

// Choices waiting for the core stay bounded by the outbox's rules.
const boundRequests = (requests) => boundOutbox(requests.map((request) => ({ request }))).map((e) => e.request);

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
    this.banner = null;       // the wasm core's banner, once it has taken over
    this.shown = false;
    this.synced = false;      // another tab decided before the core came
    this.answer = null;
    this.needed = new Promise((resolve) => { this._need = resolve; });
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
    this.dialog.showReopen(answer.view, () => this.showChoices());
    this.dialog.showFirst(answer.view);
    // The visitor turns to the question: a pointer over it, a key, a touch.
    for (const type of ['pointerover', 'pointerdown', 'keydown', 'touchstart'])
      this.dialog.root.addEventListener(type, () => this.wake(), { once: true, passive: true });
    // Answered in another tab of the site: the core comes to carry that out here.
    this.win.addEventListener('storage', (e) => {
      if (this.banner || !this.store.owns(e.key) || !e.key.endsWith(':state')) return;
      this.synced = true;
      this.wake();
    });
  }

  /** The second layer from the first-visit view (Consent.show() or the persistent control). */
  showChoices() {
    this.wake();
    if (this.answer) this.dialog.showChoices(this.answer.view, false, 0);
  }

  /** The server refused a choice made here before the core came (refusal.js took it back): said, and asked again. */
  refused() {
    if (!this.answer) return;
    this.dialog.showChoices(this.answer.view, false, 0);
    this.dialog.showStatus(this.answer.view);
    this.wake();
  }

  /** Asks for the wasm core now. */
  wake() { this._need(); }

  /** The core's banner takes the dialog over. */
  handOver(banner) { this.banner = banner; }

  _route(action, choices) {
    if (this.banner) return this.banner.decide(action, choices);
    // What the button records comes from the server's core (its `clicks`); a save carries the switches.
    const record = Object.assign({}, this.answer.clicks[action]);
    if (action === 'save') record.choices = choices || {};
    const request = buildRequest({
      win: this.win, record, meta: this.answer, subject: this.identity.subject(), language: this.answer.view.language,
    });
    this.store.set('unapplied', boundRequests(this.store.get('unapplied', []).concat([request])));
    this.outbox.add(request, { token: this.identity.tokenFor(request.subject_id) });
    this.dialog.hide();
    this.wake();
    this.outbox.flush(true);
  }
}
