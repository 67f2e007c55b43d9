// A local mirror of one site's consent state, answering allowed() from memory
// (issue #15). It loads the snapshot (every subject's state as of one event
// id), follows the event stream from exactly that id, folds each receipt's
// decision with the core's state.apply and takes each notice event as the
// notice in force; allowed() asks the core's policy.is_allowed (the wasm
// core: the banner's and consentd's own rules), memoized per subject and
// purpose for the current second only. A new state or notice replaces the
// memo the moment it arrives.
//
// Fail closed: while the stream is cut, or has sent nothing (no event, no
// heartbeat) for staleAfterMs, allowed() answers false (verdictAsync() asks
// consentd instead with fallback: 'ask').
'use strict';
const { loadWasmCore } = require('./wasm_core.js');

const STALE = Object.freeze({ allowed: false, reason: 'mirror_stale', receipt_id: '' });

class Mirror {
  constructor(client, { core = null, staleAfterMs = 30000, fallback = 'deny', clock = () => Date.now() / 1000,
    pageLimit = 1000, backend = null, reconnectMs = 200, onReceipt = null } = {}) {
    if (fallback !== 'deny' && fallback !== 'ask') throw new TypeError("fallback is 'deny' or 'ask'");
    Object.assign(this, { client, staleAfterMs, fallback, backend });
    this._core = core;
    this._clock = clock;
    this._pageLimit = pageLimit;
    this._reconnectMs = reconnectMs;
    this._onReceipt = onReceipt;  // (data) after each receipt is applied: a backend reacts at once
    this._subjects = new Map();  // subject -> {state, text, memo: Map(purpose -> {now, notice, verdict})}
    this._notice = null;         // {text, version, lastMaterial, unknown: Map(purpose -> {now, verdict})}
    this.eventId = -1;
    this._liveUntil = 0;         // performance.now() deadline; 0 while cut
    this._stopping = false;
    this._stream = null;
    this._waiters = new Set();
    this._pendingAcks = [];
    this.errors = [];
  }

  allowed(subject, purpose) { return this.verdict(subject, purpose).allowed; }

  verdict(subject, purpose) {
    const notice = this._notice;
    if (notice === null || performance.now() > this._liveUntil) return STALE;
    const now = Math.floor(this._clock());
    const entry = this._subjects.get(subject);
    if (entry === undefined) {
      const hit = notice.unknown.get(purpose);
      if (hit !== undefined && hit.now === now) return hit.verdict;
      const verdict = this._evaluate(notice, now, purpose, '{}');
      notice.unknown.set(purpose, { now, verdict });
      return verdict;
    }
    const memo = entry.memo.get(purpose);
    if (memo !== undefined && memo.now === now && memo.notice === notice) return memo.verdict;
    const verdict = this._evaluate(notice, now, purpose, entry.text);
    entry.memo.set(purpose, { now, notice, verdict });
    return verdict;
  }

  /** As verdict(), but a stale mirror with fallback 'ask' asks consentd. */
  async verdictAsync(subject, purpose) {
    if (this.live || this.fallback === 'deny') return this.verdict(subject, purpose);
    try {
      return await this.client.check(subject, purpose);
    } catch {
      return STALE;
    }
  }

  _evaluate(notice, now, purpose, stateText) {
    const text = `{"notice":${notice.text},"last_material_version":${notice.lastMaterial},"now":${now},` +
      `"purpose":${JSON.stringify(purpose)},"state":${stateText}}`;
    const envelope = JSON.parse(this._core.callText('policy.is_allowed', text));
    if (!envelope.ok) return { allowed: false, reason: envelope.error.code, receipt_id: '' };
    return envelope.value;
  }

  get live() { return this._notice !== null && performance.now() <= this._liveUntil; }
  get noticeVersion() { return this._notice ? this._notice.version : 0; }
  get subjects() { return this._subjects.size; }

  /** Resolves true once the mirror applied eventId (and this notice version) and is live; false after timeoutMs. */
  waitFor(eventId = -1, noticeVersion = 0, timeoutMs = 10000) {
    const ready = () => this.eventId >= eventId && this.noticeVersion >= noticeVersion && this.live;
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        if (!ready()) return;
        clearTimeout(timer);
        this._waiters.delete(waiter);
        resolve(true);
      };
      const timer = setTimeout(() => { this._waiters.delete(waiter); resolve(ready()); }, timeoutMs);
      this._waiters.add(waiter);
    });
  }

  async start({ timeoutMs = 30000 } = {}) {
    if (!this._core) this._core = await loadWasmCore();
    this._running = this._run();
    if (!(await this.waitFor(-1, 0, timeoutMs))) throw new Error(`the mirror did not load within ${timeoutMs} ms`);
    return this;
  }

  async stop() {
    this._stopping = true;
    this._liveUntil = 0;
    if (this._stream) this._stream.close();
    await this._running;
  }

  async loadSnapshot() {
    const subjects = new Map();
    let notice = null;
    let eventId = -1;
    for await (const page of this.client.snapshot(this._pageLimit)) {
      if (notice === null) {
        notice = noticeOf(page.notice);
        eventId = page.event_id;
        // The site's newest withdrawal this snapshot holds: applied by loading it, so acknowledged
        // (a backend started after it would otherwise show as behind until the next one).
        if (this.backend && page.newest_withdrawal) this._pendingAcks.push(page.newest_withdrawal.receipt_id);
      }
      for (const row of page.subjects) subjects.set(row.subject, entryOf(row.state));
    }
    this._subjects = subjects;
    this._notice = notice;
    this.eventId = eventId;
  }

  async _run() {
    let loaded = false;
    let backoff = this._reconnectMs;
    while (!this._stopping) {
      try {
        if (!loaded) {
          await this.loadSnapshot();
          loaded = true;
          if (this._pendingAcks.length) this._acknowledge();  // the withdrawal the snapshot held
        }
        this._stream = this.client.events(this.eventId, (e) => this._onEvent(e), { notices: true, idleMs: this.staleAfterMs });
        await this._stream.done;
        backoff = this._reconnectMs;
      } catch (e) {
        this.errors.push(e);
      }
      this._liveUntil = 0;  // cut: deny until the stream is back
      this._notify();
      if (this._stopping) return;
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 5000);
    }
  }

  _onEvent(event) {
    if (this._stopping) return;
    if (event.type === 'receipt' && event.data) this._apply(event);
    else if (event.type === 'notice' && event.data) this._notice = noticeOf(event.data);
    this._liveUntil = performance.now() + this.staleAfterMs;
    if (this._pendingAcks.length) this._acknowledge();
    this._notify();
  }

  _apply(event) {
    const data = event.data;
    const current = this._subjects.get(data.subject);
    const input = { decision: data.decision, decided_at: data.server_time, receipt_id: data.receipt_id };
    if (current) input.state = current.state;
    const state = this._core.call('state.apply', input);
    // A new entry, with an empty memo: an answer from the old state is never reused.
    this._subjects.set(data.subject, entryOf(state));
    this.eventId = event.id;
    // A withdrawal receipt is acknowledged even when nothing was granted:
    // consentd's operator view counts every withdrawal a backend must apply.
    if (this.backend && (WITHDRAWAL_METHODS.has(data.method) || withdraws(current, state))) this._pendingAcks.push(data.receipt_id);
    if (this._onReceipt) {
      try {
        this._onReceipt(data);
      } catch (e) {
        this.errors.push(e);
      }
    }
  }

  _acknowledge() {
    const receipts = this._pendingAcks;
    this._pendingAcks = [];
    this.client.acknowledge(this.backend, receipts).catch((e) => {
      this.errors.push(e);
      this._pendingAcks = receipts.concat(this._pendingAcks);  // the next event tries again
    });
  }

  _notify() { for (const waiter of [...this._waiters]) waiter(); }
}

function noticeOf(value) {
  return { text: JSON.stringify(value.notice), version: value.version, lastMaterial: value.last_material_version, unknown: new Map() };
}

function entryOf(state) { return { state, text: JSON.stringify(state), memo: new Map() }; }

const WITHDRAWAL_METHODS = new Set(['withdraw', 'server_withdraw']);

// A purpose granted before this receipt and not after it: processing must stop.
function withdraws(before, after) {
  if (!before) return false;
  return Object.entries(before.state).some(([purpose, record]) =>
    record.state === 'granted' && (!after[purpose] || after[purpose].state !== 'granted'));
}

module.exports = { Mirror, STALE };
