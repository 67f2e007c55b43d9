// A first visit puts the question on screen without waiting for the wasm core.
// One request to consentd (GET …/banner-view) brings the notice and the view
// of it that the same core, running natively there, draws for a visitor with
// no choices yet, what each first-layer button records ("clicks"), and for
// "Accept all" and "Reject all" what the page allows once that choice holds
// (the core's click_outcome). The first layer shows as soon as that answer and
// the page are there.
//
// A click on "Accept all" or "Reject all" is carried out at once from that
// answer: the gated scripts the server's core said are allowed start first,
// then, in the same task, the request goes into the outbox (the server's core
// checks and records it) and into "unapplied" (the wasm core applies it to the
// stored state whenever it next runs: on this page if the visitor opens the
// second layer, or on the next visit). The wasm core is fetched only when it is
// needed: the second layer, a choice made in another tab, or a refusal.
import { Dialog } from './ui/dialog.js';
import { buildRequest } from './request.js';
import { boundOutbox } from './outbox_bound.js';
import { Gate } from './gating.js';
import { pushUpdate } from './consent_mode.js';
import { cookiePatterns, deleteCookies } from './cookies.js';

// Choices waiting for the core stay bounded by the outbox's rules.
const boundRequests = (requests) => boundOutbox(requests.map((request) => ({ request }))).map((e) => e.request);

export function isFirstVisit(store) {
  return !Object.keys(store.get('state', {})).length && !store.get('unapplied', []).length;
}

/**
 * The first-visit answer the site put in the page itself, if it did: consentd's GET …/banner-view body in
 *   <script type="application/json" data-consent-view>…</script>
 * before the consent.js tag (a data block: it never runs, so no Content-Security-Policy is involved). The
 * site's server asks consentd with its visitor's Accept-Language and Sec-GPC; it saves the visitor a round
 * trip before the question. Used only when it was made for the same GPC signal as this browser sends;
 * anything unreadable is ignored and the answer is fetched as usual.
 */
export function inlineFirstVisit(win) {
  const el = win.document.querySelector('script[type="application/json"][data-consent-view]');
  if (!el) return null;
  try {
    const answer = JSON.parse(el.textContent);
    const gpc = win.navigator.globalPrivacyControl === true;
    return answer && answer.view && answer.clicks && answer.gpc === gpc ? answer : null;
  } catch (e) {
    return null;
  }
}

/** Resolves to {notice_id, notice_version, hash, last_material_version, notice, view, allowed, clicks, gpc}. */
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
  /** needCore(): asks boot for the wasm core; answered(): the visitor chose on the first layer. */
  constructor({ win, store, outbox, identity, events, callbacks, needCore, answered }) {
    this.win = win;
    this.store = store;
    this.outbox = outbox;
    this.identity = identity;
    this.events = events;
    this.callbacks = callbacks || null;   // Consent.whenAllowed's (allowed_callbacks.js)
    this.needCore = needCore || (() => {});
    this.answered = answered || (() => {});
    this.banner = null;       // the wasm core's banner, once it has taken over
    this.shown = false;
    this.synced = false;      // another tab decided before the core came
    this.answer = null;
    this.verdicts = {};       // what this page carried out from the server's outcome (purpose -> allowed)
    this.allowing = false;    // whether those verdicts still hold (a refusal takes them back)
    this.showWhenReady = false;  // the second layer was asked for after a choice: the core draws it
    this.choseHere = false;   // accept or reject was carried out from the server's outcome
    this.gate = null;
    const route = (action, choices) => this._route(action, choices);
    this.dialog = new Dialog(win.document, {
      accept: () => route('accept'), reject: () => route('reject'), save: (c) => route('save', c),
      download: () => {}, close: () => {}, choose: () => this.needCore(),
    });
  }

  /** Draws the server's first-visit view, unless the core's banner is already running. */
  show(answer) {
    if (this.banner || this.shown) return;
    this.answer = answer;
    this.shown = true;
    // What the server's core allows before any choice (the necessary purposes; absent from an older consentd).
    if (answer.allowed) {
      this.verdicts = Object.assign({}, answer.allowed);
      this.allowing = true;
      this._runCallbacks();
    }
    this.dialog.showReopen(answer.view, () => this.showChoices());
    this.dialog.showFirst(answer.view);
    // Once the question is on screen, before any click can come.
    setTimeout(() => this._warm(), 50);
    // Answered in another tab of the site: the core comes to carry that out here.
    this.win.addEventListener('storage', (e) => {
      if (this.banner || !this.store.owns(e.key) || !/:(state|unapplied)$/.test(e.key) || !e.newValue) return;
      if (e.key.endsWith(':unapplied') && e.newValue === '[]') return;
      this.synced = true;
      this.needCore();
    });
  }

  /** Until the core runs: what the server's core said the visitor's first-layer choice allows. */
  allowed(purpose) {
    if (this.banner) return this.banner.allowed(purpose);
    return this.allowing && this.verdicts[purpose] === true;
  }

  /** The second layer from the first-visit view (Consent.show() or the persistent control). */
  showChoices() {
    this.needCore();
    // After a choice the first-visit view no longer shows the visitor's switches: the core draws them.
    if (this.choseHere) this.showWhenReady = true;
    else if (this.answer) this.dialog.showChoices(this.answer.view, false, 0);
  }

  /**
   * The server refused a choice made here before the core came (refusal.js took it back in storage): carried
   * out on the page at once, in this task, as banner.js does with a withdrawal (the frames it started are
   * emptied, the cookies of what it allowed are deleted, Consent Mode is denied again, listeners are told),
   * not later when the core arrives; then said, and asked again.
   */
  refused() {
    if (!this.answer) return;
    const before = this.allowing ? this.verdicts : {};
    // Back to what the page allowed before any choice: the necessary purposes, as the server's core said.
    this.verdicts = Object.assign({}, this.answer.allowed || {});
    this.allowing = Boolean(this.answer.allowed);
    const revoked = Object.keys(before).filter((p) => before[p] && !this.allowed(p));
    for (const p of revoked) deleteCookies(this.win.document, cookiePatterns(this.answer.notice, p));
    if (this.gate && revoked.length) this.gate.revoke();
    const reject = this.answer.clicks && this.answer.clicks.reject;
    if (reject && reject.consent_mode) pushUpdate(this.win, reject.consent_mode);  // nothing granted: as after a refusal
    if (revoked.length) {
      this.events.emit('change', { allowed: Object.assign({}, this.verdicts), granted: [], revoked, method: 'rejected' });
    }
    this.showWhenReady = false;
    this.dialog.showChoices(this.answer.view, false, 0);
    this.dialog.showStatus(this.answer.view);
    this.needCore();
  }

  /** The core's banner takes the dialog over (and the gating, with what this page carried out as its "before"). */
  handOver(banner) {
    this.banner = banner;
    if (this.gate) this.gate.unwatch();
  }

  _route(action, choices) {
    if (this.banner) return this.banner.decide(action, choices);
    // What the button records comes from the server's core (its `clicks`); a save carries the switches.
    const click = this.answer.clicks[action];
    // Accept and reject: what the server's core said the click allows is carried out first, so that the gated
    // scripts start before anything else the click does; the choice is stored right after, in the same task.
    const before = this.allowing ? this.verdicts : {};   // on a first visit: the necessary purposes
    if (click.allowed) this._carryOut(click);
    const record = { method: click.method };
    if (click.choices) record.choices = click.choices;
    if (action === 'save') record.choices = choices || {};
    const request = buildRequest({
      win: this.win, record, meta: this.answer, subject: this.identity.subject(), language: this.answer.view.language,
    });
    this.store.set('unapplied', boundRequests(this.store.get('unapplied', []).concat([request])));
    this.outbox.add(request, { token: this.identity.tokenFor(request.subject_id) });
    this.dialog.hideAfterChoice();
    if (click.allowed) {
      // Listeners hear of it once it is stored (Consent.pending() holds it).
      const granted = Object.keys(this.verdicts).filter((p) => this.verdicts[p] && !before[p]);
      this.events.emit('change', { allowed: Object.assign({}, this.verdicts), granted, revoked: [], method: request.method });
      this.answered();
    } else {
      this.needCore();   // a save's outcome depends on the switches: the wasm core works it out
    }
    // From the next task: starting a request costs the click milliseconds, and the outbox has it already; the
    // notice it was made on, for the core that applies it later (perhaps once a newer version is out), is a few
    // KB to write, and until then the notice boot keeps (store 'notice') is that same one.
    setTimeout(() => {
      this.store.set('unapplied_notice', { hash: this.answer.hash, notice: this.answer.notice });
      this.outbox.flush(true);
    }, 0);
  }

  /**
   * V8 compiles a function the first time it is called: the click's own steps are called once here, idle,
   * with nothing to act on (a request built and dropped, the gated elements looked at with nothing allowed,
   * nothing stored or started), so that the click runs compiled code and its gated scripts start sooner.
   */
  _warm() {
    if (this.banner || this.choseHere) return;
    boundRequests(this.store.get('unapplied', []).concat([buildRequest({
      win: this.win, record: { method: 'reject_all' }, meta: this.answer, subject: '', language: '',
    })]));
    new Gate(this.win.document, () => false).apply();
    if (this.callbacks) this.callbacks.run(() => false);
  }

  _runCallbacks() {
    if (this.callbacks) this.callbacks.run((p) => this.allowed(p));
  }

  /**
   * The server core's outcome of the click, carried out at its start: Consent Mode, then the site's
   * Consent.whenAllowed callbacks (already compiled, so they start soonest), then the gated elements.
   */
  _carryOut(click) {
    this.verdicts = Object.assign({}, click.allowed);
    this.allowing = true;
    this.choseHere = true;
    pushUpdate(this.win, click.consent_mode || {});
    this._runCallbacks();
    if (!this.gate) this.gate = new Gate(this.win.document, (p) => this.allowed(p));
    this.gate.apply();
    this.gate.watch();
  }
}
