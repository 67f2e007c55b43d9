// The banner's controller: it asks the core (wasm) every question — what to
// show, whether to ask, what a click means, what is allowed — and carries out
// the answers on the page: gating, cookies, Consent Mode, events, the outbox.
import { Dialog } from './ui/dialog.js';
import { Gate } from './gating.js';
import { cookiePatterns, deleteCookies } from './cookies.js';
import { pushUpdate } from './consent_mode.js';
import { buildRequest } from './request.js';
import { loadErasure } from './erasure_loader.js';
import { isBrowserSubjectId } from './storage.js';

// Shown only when even the erasure's own texts could not be fetched (offline before they ever loaded).
const ERASURE_UNAVAILABLE = 'Deleting your records is not possible right now: please try again later. Nothing was deleted.';

const nowSeconds = () => Math.floor(Date.now() / 1000);

export class Banner {
  /** dialog: the first-visit dialog to take over (first_visit.js), if one is on screen. */
  constructor({ win, config, store, core, notice, events, outbox, identity, callbacks, dialog }) {
    this.win = win;
    this.doc = win.document;
    this.config = config;
    this.store = store;
    this.core = core;
    this.notice = notice;            // {notice, hash, lastMaterialVersion}
    this.events = events;
    this.outbox = outbox;
    this.identity = identity;
    this.callbacks = callbacks || null;   // Consent.whenAllowed's (allowed_callbacks.js)
    this.verdicts = {};
    this.snapshot = null;
    this.evaluatedAt = 0;
    this.gate = new Gate(this.doc, (p) => this.allowed(p));
    const handlers = {
      accept: () => this.decide('accept'),
      reject: () => this.decide('reject'),
      save: (choices) => this.decide('save', choices),
      download: () => this.download(),
      erase: () => this.erase(),
      close: () => {},
    };
    this.dialog = dialog || new Dialog(this.doc, handlers);
    this.dialog.on = handlers;
  }

  gpc() { return this.win.navigator.globalPrivacyControl === true; }

  state() { return this.store.get('state', {}); }

  _args(extra) {
    return Object.assign({
      notice: this.notice.notice,
      last_material_version: this.notice.lastMaterialVersion,
      now: nowSeconds(),
      gpc: this.gpc(),
      state: this.state(),
    }, extra);
  }

  /**
   * Asks the core everything at once — the view, a verdict per purpose, the
   * Consent Mode states — from one parse of the notice; kept until the state
   * changes, and asked again once a minute so a long-open page does not
   * outlive a choice's maximum age.
   */
  _evaluate(state) {
    const languages = this.config.lang ? [this.config.lang] : Array.from(this.win.navigator.languages || []);
    const extra = state === undefined ? { languages } : { languages, state };
    this.snapshot = this.core.evaluate(this._args(extra));
    this.evaluatedAt = Date.now();
    const verdicts = {};
    for (const [id, v] of Object.entries(this.snapshot.verdicts)) verdicts[id] = v.allowed;
    this.verdicts = verdicts;
    return verdicts;
  }

  view() {
    if (!this.snapshot || Date.now() - this.evaluatedAt > 60000) this._evaluate();
    return this.snapshot.view;
  }

  allowed(purpose) {
    if (Date.now() - this.evaluatedAt > 60000) this._evaluate();
    return this.verdicts[purpose] === true;
  }

  /** Choices made before the core ran (first_visit.js) take effect now, as made then; returns the last method. */
  _applyUnapplied() {
    const pending = this.store.get('unapplied', []);
    if (!pending.length) return null;
    let state = this.state();
    const shown = this._shownNotices();
    for (const request of pending) {
      // What a refusal of it falls back to (refusal.js).
      this.outbox.setBefore(request.decision_id, state);
      try {
        // Made on the notice it names: the version shown then, when that is not the current one any more.
        const notice = request.notice_hash === this.notice.hash || !shown[request.notice_hash]
          ? this.notice.notice : shown[request.notice_hash];
        const decision = this.core.makeDecision(notice, request);
        state = this.core.applyDecision(state, decision, Math.floor(request.client_time / 1000));
      } catch (error) {
        // Made on another notice version: the server still records it; here the visitor is asked again.
        console.warn('consent.js: an earlier choice is not applied here: ' + error.code);
      }
    }
    this.store.set('state', state);
    this.store.set('unapplied', []);
    this.store.set('unapplied_notice', null);
    return pending[pending.length - 1].method;
  }

  /**
   * The notice a first visit's choices were made on (first_visit.js keeps it with them), by hash, once the
   * core has parsed it and it hashes to its claim: a choice made before the core ran applies as made, and
   * the policy then says whether a newer version still leaves it standing (a typo fix) or not (a material change).
   */
  _shownNotices() {
    const kept = this.store.get('unapplied_notice', null);
    if (!kept || !kept.notice || kept.hash === this.notice.hash) return {};
    try {
      const parsed = this.core.parseNotice(kept.notice);
      return parsed.hash === kept.hash ? { [kept.hash]: parsed.notice } : {};
    } catch (error) {
      return {};
    }
  }

  /**
   * ask: false when the question was already put (the first-visit view) or answered.
   * sync: another tab decided while this page waited for its core: carried out as a change.
   * before: what this page already carried out before its core ran (the server core's outcome of a
   * first-layer click, first_visit.js): the core's own verdicts are carried out as a change from it.
   */
  start({ ask = true, sync = false, before = null } = {}) {
    // What held before choices made while this page waited for its core (here,
    // or in another tab): the change from there is carried out like any other.
    this._evaluate(sync ? {} : undefined);
    if (before) this.verdicts = Object.assign({}, before);
    const applied = this._applyUnapplied();
    if (sync || applied || before) {
      // Already told, from the server's outcome: listeners hear only of what the core changes.
      this._changed(sync ? 'sync' : applied || 'rejected', { quiet: Boolean(before) && !sync });
    } else {
      // Consent Mode hears of an earlier choice before any tag it allows can run.
      if (Object.keys(this.state()).length) pushUpdate(this.win, this.snapshot.consent_mode);
      this._runCallbacks();
      this.gate.apply();
    }
    this.gate.watch();
    const view = this.view();
    this.dialog.showReopen(view, () => this.show());
    if (ask && view.prompt) this.dialog.showFirst(view);
    // Another tab decided: follow it here too.
    this.win.addEventListener('storage', (e) => {
      if (this.store.owns(e.key) && e.key.endsWith(':state')) this._changed('sync');
    });
  }

  /** Opens the second layer: every choice, as the visitor left it. */
  show() {
    const erasable = this.erasable();
    this.dialog.showChoices(this.view(), false, this.store.get('receipts', []).length, erasable);
    // Fetched now, while the visitor reads: "Delete my records" then works even if the network goes.
    if (erasable) loadErasure(this.win, this.config.base).catch(() => {});
  }

  /**
   * Whether this browser has records the visitor may have deleted from here: a choice made, and an id the
   * public endpoint erases (its own random id, or an account id the page vouched for with a token).
   */
  erasable() {
    const subject = this.identity.subject();
    const made = this.store.get('receipts', []).length || this.outbox.pending() || Object.keys(this.state()).length;
    return Boolean(made) && (isBrowserSubjectId(subject) || Boolean(this.identity.tokenFor(subject)));
  }

  /** "Delete my records": the explanation, the confirmation, the request and the forgetting (erasure/main.js). */
  erase() {
    const view = this.view();
    loadErasure(this.win, this.config.base).then((steps) => steps.open({
      doc: this.doc, dialog: this.dialog, view, server: this.config.server, site: this.config.site,
      subject: this.identity.subject(), token: this.identity.tokenFor(this.identity.subject()),
      hold: () => this.outbox.hold(),
      resume: () => this.outbox.resume(),
      forget: (answer) => this.forget(answer),
      back: () => this.show(),
    }), () => this.dialog.showStatus(view, ERASURE_UNAVAILABLE));
  }

  /**
   * The server erased the visitor's records: this browser forgets them too (its id, receipts, outbox, state),
   * and the page carries out "no choice" at once (what was allowed stops, its cookies go). The next page is a
   * first visit with a new id.
   */
  forget(answer) {
    this.outbox.clear();
    this.store.clear();
    this.outbox.resume();   // held for the erasure: a new choice made on this page is sent as usual
    this._changed('erased');
    this.events.emit('erased', { erasure_id: answer && answer.erasure_id });
  }

  _request(action, choices) {
    const n = this.notice.notice;
    return buildRequest({
      win: this.win, record: this.core.click(this._args({ click: action, choices })),
      subject: this.identity.subject(), language: this.view().language,
      meta: { notice_id: n.notice_id, notice_version: n.version, hash: this.notice.hash },
    });
  }

  /** A click: the core makes the decision, it applies here at once, and it is queued for the server. */
  decide(action, choices) {
    let request;
    let decision;
    try {
      request = this._request(action, choices || {});
      decision = this.core.makeDecision(this.notice.notice, request);
    } catch (error) {
      // The core refused the request: nothing is recorded or applied, and the dialog stays open.
      console.error('consent.js: the decision was refused: ' + error.code + ': ' + error.message);
      return;
    }
    const before = this.state();
    this.store.set('state', this.core.applyDecision(before, decision, nowSeconds()));
    this.outbox.add(request, { before, token: this.identity.tokenFor(request.subject_id) });
    this._changed(request.method);
    this.dialog.hideAfterChoice();
    // Sent from the next task: the click need not wait for a request to start (the outbox has it).
    setTimeout(() => this.outbox.flush(true), 0);
  }

  /**
   * The server refused a decision for good, and the state fell back (refusal.js): what was queued after it
   * applies again, the page carries the change out, and the visitor is told and sees the choices again.
   */
  refused() {
    this._applyUnapplied();
    this._changed('rejected');
    this.show();
    this.dialog.showStatus(this.view());
  }

  /** The site's Consent.whenAllowed callbacks whose purposes are all allowed now: before the gated elements. */
  _runCallbacks() {
    if (this.callbacks) this.callbacks.run((p) => this.allowed(p));
  }

  /** Carries a new state out on the page, in the same task: revoke, delete cookies, gate, tell listeners (quiet: only of a change). */
  _changed(method, { quiet = false } = {}) {
    const before = this.verdicts;
    const after = this._evaluate();
    const revoked = Object.keys(before).filter((p) => before[p] && !after[p]);
    const granted = Object.keys(after).filter((p) => after[p] && !before[p]);
    for (const p of revoked) deleteCookies(this.doc, cookiePatterns(this.notice.notice, p));
    if (revoked.length) this.gate.revoke();
    pushUpdate(this.win, this.snapshot.consent_mode);
    this._runCallbacks();
    this.gate.apply();
    const view = this.view();
    // Chosen in another tab: a question still open here is answered.
    if (method === 'sync' && this.dialog.isOpen() && !view.prompt) this.dialog.hide();
    this.dialog.showReopen(view, () => this.show());
    if (quiet && !granted.length && !revoked.length) return;
    this.events.emit('change', { allowed: Object.assign({}, after), granted, revoked, method });
  }

  /** The visitor's own copy of their signed receipts, as a JSON file. */
  download() {
    const body = JSON.stringify({
      format: 'consent-receipts/1',
      site: this.config.site,
      server: this.config.server,
      subject_id: this.identity.subject(),
      receipts: this.store.get('receipts', []),
    }, null, 2);
    const url = URL.createObjectURL(new Blob([body], { type: 'application/json' }));
    const a = this.doc.createElement('a');
    a.href = url;
    a.download = 'consent-receipts-' + this.config.site + '.json';
    this.doc.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}
