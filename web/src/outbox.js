// Decisions on their way to consentd. A decision is applied locally at once and
// queued here; the queue lives in storage, so a reload or an offline afternoon
// loses nothing. Each entry is sent until the server acknowledges it; the
// decision id makes a repeat harmless (the server answers with the same receipt),
// which also covers two tabs sending the same entry.

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 5 * 60 * 1000;

// 1 s, 2 s, 4 s … capped at 5 min, with jitter so that many visitors coming back
// online together do not arrive in step.
export function retryDelay(attempts, random) {
  const exp = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * Math.pow(2, Math.max(0, attempts - 1)));
  return Math.round(exp * (0.5 + random() / 2));
}

// Statuses worth trying again: the server may take the same request later.
function retryable(status) {
  return status === 0 || status === 408 || status === 425 || status === 429 || status >= 500;
}

export class Outbox {
  /**
   * send(request, token) resolves to {status, body}; status 0 means the network failed.
   * onAck(request, answer) stores a receipt; onReject(request, error) is told of
   * a request the server will never take (it is dropped, and logged).
   */
  constructor(store, send, onAck, onReject, timers) {
    this.store = store;
    this.send = send;
    this.onAck = onAck;
    this.onReject = onReject;
    this.timers = timers || { now: () => Date.now(), set: (f, ms) => setTimeout(f, ms), clear: (t) => clearTimeout(t) };
    this.timer = null;
    this.flushing = false;
  }

  entries() { return this.store.get('outbox', []); }

  /** token: the subject token that vouches for a known account id (identity.js), kept with the entry for its retries. */
  add(request, token) {
    const entries = this.entries();
    const entry = { request, attempts: 0, next_at: 0 };
    if (token) entry.token = token;
    entries.push(entry);
    this.store.set('outbox', entries);
  }

  pending() { return this.entries().length; }

  _remove(decisionId) {
    this.store.set('outbox', this.entries().filter((e) => e.request.decision_id !== decisionId));
  }

  _postpone(decisionId) {
    const now = this.timers.now();
    const entries = this.entries();
    for (const e of entries) {
      if (e.request.decision_id !== decisionId) continue;
      e.attempts += 1;
      e.next_at = now + retryDelay(e.attempts, Math.random);
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

  /** Sends every due entry, oldest first (a withdrawal never overtakes the grant it withdraws). */
  async flush(force) {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (const entry of this.entries()) {
        if (!force && entry.next_at > this.timers.now()) break;
        let answer;
        try {
          answer = await this.send(entry.request, entry.token);
        } catch (e) {
          answer = { status: 0, body: null };
        }
        if (answer.status === 200 || answer.status === 201) {
          this._remove(entry.request.decision_id);
          this.onAck(entry.request, answer.body);
        } else if (retryable(answer.status)) {
          this._postpone(entry.request.decision_id);
          break;  // keep the order: later entries wait for this one
        } else {
          this._remove(entry.request.decision_id);
          this.onReject(entry.request, (answer.body && answer.body.error) || { code: 'http.' + answer.status });
        }
      }
    } finally {
      this.flushing = false;
      this._schedule();
    }
  }
}
