// A local mirror of one site's consent state, answering allowed() from memory
// (issue #15). It loads the snapshot (every subject's state as of one event
// id), then follows the event stream from exactly that id, folding each
// receipt's decision into the subject's state and taking each notice event as
// the notice in force. The states and the notice live in the core (a
// consent::StateTable in the mirror's wasm module, clients/core_shared, as in
// the Python mirror), so folding, the answer (time-based expiry, material
// notice changes, GPC, unknown purposes: the same code consentd's checks run)
// and which receipts to acknowledge are the core's; a check is one call into
// wasm, not a JSON round trip.
//
// An erasure event drops the subjects it names (they answer no_decision, as
// consentd's checks do at once; GDPR Art. 17(2)); one without subjects
// (consentd restarted and no longer knows whom) reloads the snapshot, stale
// meanwhile.
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
    this._table = null;          // the core's StateTable; null until the first snapshot has loaded
    this.eventId = -1;
    this._liveUntil = 0;         // performance.now() deadline; 0 while cut
    this._stopping = false;
    this._resync = false;        // an erasure without subjects: reload the snapshot before following on
    this._stream = null;
    this._waiters = new Set();
    this._pendingAcks = [];
    this.errors = [];
  }

  allowed(subject, purpose) {
    const table = this._table;
    if (table === null || performance.now() > this._liveUntil) return false;
    return table.allowed(subject, purpose, Math.floor(this._clock()));
  }

  verdict(subject, purpose) {
    const table = this._table;
    if (table === null || performance.now() > this._liveUntil) return STALE;
    return table.verdict(subject, purpose, Math.floor(this._clock()));
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

  get live() { return this._table !== null && performance.now() <= this._liveUntil; }
  get noticeVersion() { return this._table ? this._table.noticeVersion : 0; }
  get subjects() { return this._table ? this._table.subjects : 0; }

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
    if (!this._core) this._core = await loadWasmCore();
    // A table of its own: answers keep coming from the old one until this one is whole.
    const table = this._core.table();
    let eventId = -1;
    let first = true;
    try {
      for await (const page of this.client.snapshot(this._pageLimit)) {
        if (first) {
          table.setNotice(JSON.stringify(page.notice));
          eventId = page.event_id;
          first = false;
          // The site's newest withdrawal this snapshot holds: applied by loading it, so acknowledged
          // (a backend started after it would otherwise show as behind until the next one).
          if (this.backend && page.newest_withdrawal) this._pendingAcks.push(page.newest_withdrawal.receipt_id);
        }
        for (const row of page.subjects) table.putState(row.subject, JSON.stringify(row.state));
      }
    } catch (e) {
      table.free();
      throw e;
    }
    const old = this._table;
    this._table = table;
    this.eventId = eventId;
    if (old) old.free();  // nothing else holds it: JS runs one answer at a time
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
        if (!this._resync) this.errors.push(e);  // a stream this mirror closed itself is no fault
      }
      this._liveUntil = 0;  // cut: deny until the stream is back
      this._notify();
      if (this._stopping) return;
      if (this._resync) {  // reload at once, stale until then
        this._resync = false;
        loaded = false;
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 5000);
    }
  }

  _onEvent(event) {
    if (this._stopping || this._resync) return;
    if (event.type === 'erasure' && event.data && !this._erase(event)) return;
    if (event.type === 'receipt' && event.data) this._apply(event);
    else if (event.type === 'notice' && event.data && this._table) this._table.setNotice(JSON.stringify(event.data));
    this._liveUntil = performance.now() + this.staleAfterMs;
    if (this._pendingAcks.length) this._acknowledge();
    this._notify();
  }

  _apply(event) {
    const data = event.data;
    if (!this._table) return;
    // The core folds the decision and says whether a backend must acknowledge it
    // (consent::must_acknowledge: every withdrawal, and any receipt that ends a grant).
    const mustAcknowledge = this._table.apply(JSON.stringify(data));
    this.eventId = event.id;
    if (this.backend && mustAcknowledge) this._pendingAcks.push(data.receipt_id);
    if (this._onReceipt) {
      try {
        this._onReceipt(data);
      } catch (e) {
        this.errors.push(e);
      }
    }
  }

  // The erased subjects are forgotten, so they answer no_decision as consentd's
  // checks do. Without subjects the states may still hold one: stale (deny) and
  // reload; false then.
  _erase(event) {
    const subjects = event.data.subjects;
    if (!Array.isArray(subjects) || !this._table) {
      this._liveUntil = 0;
      this._resync = true;
      this._notify();
      if (this._stream) this._stream.close();
      return false;
    }
    for (const subject of subjects) if (typeof subject === 'string') this._table.forget(subject);
    this.eventId = event.id;
    return true;
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

module.exports = { Mirror, STALE };
