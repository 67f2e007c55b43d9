// Decisions on their way to consentd. A decision is applied locally at once and
// queued here; the queue lives in storage, so a reload or an offline afternoon
// loses nothing (and in memory when storage is full: storage.js). Each entry is
// sent until the server acknowledges it; the decision id makes a repeat
// harmless (the server answers with the same receipt), which also covers two
// tabs sending the same entry.
//
// An entry keeps the state that held before it was applied ("before"): if the
// server refuses it for good, the page falls back to that, the last state the
// server acknowledged (refusal.js). Subject tokens are kept in memory only,
// never in storage (identity.js).
import { checkReceipt } from './receipts.js';
import { boundOutbox, OUTBOX_LIMIT } from './outbox_bound.js';

export { OUTBOX_LIMIT };

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 5 * 60 * 1000;

// 1 s, 2 s, 4 s … capped at 5 min, with jitter so that many visitors coming back
// online together do not arrive in step. A server that says when to come back
// (Retry-After, RFC 9110 §10.2.3) is not asked sooner, nor later than the cap.
export function retryDelay(attempts, random, retryAfterMs) {
  const exp = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * Math.pow(2, Math.max(0, attempts - 1)));
  const backoff = Math.round(exp * (0.5 + random() / 2));
  return Math.min(MAX_RETRY_MS, Math.max(backoff, retryAfterMs || 0));
}

// A 404 ends a decision only when consentd itself says that what it names does
// not exist: a JSON error with one of these codes. Any other 404 — a proxy or
// CDN page, a route missing mid-deploy, consentd's generic request.not_found
// (which also answers a path it has no route for) — may be gone later, and the
// decision waits: dropping it would lose a choice the visitor made.
const GONE_CODES = ['site.unknown', 'site.not_found', 'notice.none_published'];

/**
 * What to do with an answer: 'ack' (the receipt of this decision), 'retry'
 * (the network failed; 408, 425, 429; 5xx, 503 storage.* included; a 404 that
 * is not a definite one; a 2xx that is no receipt at all), 'token' (a subject
 * token the server would not take: sent again without it), or 'refuse' (every
 * other 4xx, and a receipt of another subject or decision).
 */
export function classify(answer, request, sentToken) {
  const { status, body } = answer;
  const code = body && body.error && typeof body.error.code === 'string' ? body.error.code : '';
  if (status === 200 || status === 201) {
    const check = checkReceipt(request, body);
    return check === 'ok' ? 'ack' : check === 'mismatch' ? 'refuse' : 'retry';
  }
  if (status === 0 || status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  if (status === 404) return GONE_CODES.includes(code) ? 'refuse' : 'retry';
  // A withdrawal needs no token (DESIGN.md "Subjects and trust"): an expired one must not stop it.
  if (sentToken && /^subject\.token_/.test(code) && code !== 'subject.token_required') return 'token';
  return status >= 400 && status < 500 ? 'refuse' : 'retry';
}

function refusal(answer, verdict) {
  if (answer.status < 300 && verdict === 'refuse')
    return { code: 'receipt.mismatch', message: 'the answer is the receipt of another subject or decision' };
  return (answer.body && answer.body.error) || { code: 'http.' + answer.status };
}

export class Outbox {
  /**
   * send(request, token) resolves to {status, body, retryAfterMs?}; status 0 means the network failed.
   * onAck(request, answer) stores a receipt; onReject(request, error, entry, later) is told of
   * a request the server will never take (it is dropped; later: the entries queued after it).
   */
  constructor(store, send, onAck, onReject, timers) {
    this.store = store;
    this.send = send;
    this.onAck = onAck;
    this.onReject = onReject;
    this.timers = timers || { now: () => Date.now(), set: (f, ms) => setTimeout(f, ms), clear: (t) => clearTimeout(t) };
    this.timer = null;
    this.flushing = false;
    this.tokens = new Map();              // decision id -> subject token, for this page's lifetime only
    this.tokenFor = () => undefined;      // the page's current token for a subject (identity.js)
    this.onTokenRefused = () => {};
    this.refusedTokens = new Set();       // tokens the server would not take: not sent again
    this.held = false;                    // an erasure is on its way: nothing is sent meanwhile
    this.inFlight = Promise.resolve();    // the flush under way, if any
  }

  /**
   * Stops sending until resume(): an erasure must not race a decision recorded under the same id after it.
   * Resolves once no entry is in flight.
   */
  hold() {
    this.held = true;
    if (this.timer) this.timers.clear(this.timer);
    this.timer = null;
    return this.inFlight;
  }

  resume() {
    this.held = false;
    this.flush(true);
  }

  /** Drops every entry (the visitor's records were erased: what was not sent yet is not sent at all). */
  clear() {
    this.tokens.clear();
    this.store.set('outbox', []);
  }

  entries() { return this.store.get('outbox', []); }

  /** before: the state before this decision was applied (absent: not applied yet); token: vouches for an account id. */
  add(request, { before, token } = {}) {
    const entry = { request, attempts: 0, next_at: 0 };
    if (before !== undefined) entry.before = before;
    if (token) this.tokens.set(request.decision_id, token);
    const entries = boundOutbox(this.entries().concat([entry]), OUTBOX_LIMIT);
    this.store.set('outbox', entries);
  }

  pending() { return this.entries().length; }

  /** The state before decisionId, once it is applied (banner.js applies choices made before the core ran). */
  setBefore(decisionId, before) {
    const entries = this.entries();
    const entry = entries.find((e) => e.request.decision_id === decisionId);
    if (!entry) return;
    entry.before = before;
    this.store.set('outbox', entries);
  }

  _remove(decisionId) {
    this.tokens.delete(decisionId);
    const entries = this.entries();
    const at = entries.findIndex((e) => e.request.decision_id === decisionId);
    if (at < 0) return { entry: null, later: entries };
    const [entry] = entries.splice(at, 1);
    this.store.set('outbox', entries);
    return { entry, later: entries.slice(at) };
  }

  _postpone(decisionId, retryAfterMs) {
    const now = this.timers.now();
    const entries = this.entries();
    for (const e of entries) {
      if (e.request.decision_id !== decisionId) continue;
      e.attempts += 1;
      e.next_at = now + retryDelay(e.attempts, Math.random, retryAfterMs);
      // What the server asked for holds even for a forced flush (a new click, "online").
      if (retryAfterMs) e.not_before = e.next_at;
      else delete e.not_before;
    }
    this.store.set('outbox', entries);
  }

  _schedule() {
    if (this.timer) this.timers.clear(this.timer);
    this.timer = null;
    const entries = this.entries();
    if (!entries.length) return;
    const due = Math.min(...entries.map((e) => e.next_at));
    this.timer = this.timers.set(() => this.flush(), Math.max(0, due - this.timers.now()));
  }

  _due(force) {
    const head = this.entries()[0];
    if (!head) return null;
    const now = this.timers.now();
    if ((head.not_before || 0) > now || (!force && head.next_at > now)) return null;
    return head;
  }

  /** Sends one entry and carries out the answer; returns false when the queue must wait. */
  async _deliver(entry) {
    const { request } = entry;
    let token = this.tokens.get(request.decision_id) || this.tokenFor(request.subject_id);
    if (this.refusedTokens.has(token)) token = undefined;
    let answer;
    try {
      answer = await this.send(request, token);
    } catch (e) {
      answer = { status: 0, body: null };
    }
    const verdict = classify(answer, request, token);
    if (verdict === 'ack') {
      this._remove(request.decision_id);
      this.onAck(request, answer.body);
    } else if (verdict === 'token') {
      this.refusedTokens.add(token);
      this.onTokenRefused(token);          // sent again at once, without it
    } else if (verdict === 'retry') {
      this._postpone(request.decision_id, answer.retryAfterMs);
      return false;                        // keep the order: later entries wait for this one
    } else {
      const { later } = this._remove(request.decision_id);
      this.onReject(request, refusal(answer, verdict), entry, later);
    }
    return true;
  }

  /** Sends every due entry, oldest first (a withdrawal never overtakes the grant it withdraws). */
  flush(force) {
    if (this.flushing || this.held) return this.inFlight;
    this.flushing = true;
    this.inFlight = this._flush(force);
    return this.inFlight;
  }

  async _flush(force) {
    try {
      for (let entry = this._due(force); entry && !this.held; entry = this._due(force)) {
        if (!(await this._deliver(entry))) break;
      }
    } finally {
      this.flushing = false;
      if (!this.held) this._schedule();
    }
  }
}
