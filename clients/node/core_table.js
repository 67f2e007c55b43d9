// One consent::StateTable in the wasm core (consent_table_* of
// clients/core_shared/consent_c_table.cpp): every subject's state of one site
// and the notice in force, held in the core's own types in wasm memory. The
// Node mirror folds receipts into it and asks it every question, as Python's
// mirror does through ctypes: no consent rule is repeated in JavaScript.
//
// A check writes its two strings into a scratch buffer the table keeps in the
// module's memory and gets one int back (the allowed bit and the reason's
// number), so answering from memory costs one call into wasm, no allocation
// and no JSON.
'use strict';

const ALLOWED_BIT = 0x100;
const RECEIPT_BYTES = 256;  // where a verdict's receipt id is copied (receipt ids are far shorter)

// A table nobody freed is freed when it is collected.
const unreleased = new FinalizationRegistry(({ m, handle, scratch, flag }) => {
  m._consent_table_free(handle);
  m._free(scratch);
  m._free(flag);
});

class CoreTable {
  constructor(m, strings, reasons, coreError) {
    this._m = m;
    this._strings = strings;
    this._reasons = reasons;
    this._coreError = coreError;
    this._handle = m._consent_table_new();
    if (!this._handle) throw new Error('the core could not allocate a table');
    this._flag = m._malloc(4);  // apply's "must acknowledge" answer
    this._capacity = 0;         // bytes for each of subject and purpose in the scratch buffer
    this._scratch = 0;
    this._grow(128);
    this._now = NaN;            // the last time asked, and the same as a BigInt (a check takes int64)
    this._nowBig = 0n;
    this._resources = { m, handle: this._handle, scratch: this._scratch, flag: this._flag };
    unreleased.register(this, this._resources, this);
  }

  free() {
    if (!this._handle) return;
    unreleased.unregister(this);
    this._m._consent_table_free(this._handle);
    this._m._free(this._scratch);
    this._m._free(this._flag);
    this._handle = 0;
  }

  /** {"notice": {…}, "version": N, "last_material_version": M}, as consentd's snapshot and stream send it. */
  setNotice(noticeJson) { this._withText(noticeJson, (ptr) => this._m._consent_table_set_notice(this._handle, ptr)); }

  /** One snapshot row: the subject's state as consentd folded it (JSON text). */
  putState(subject, stateJson) {
    const subjectPtr = this._strings.copy(subject);
    try {
      this._withText(stateJson, (ptr) => this._m._consent_table_put_state(this._handle, subjectPtr, ptr));
    } finally {
      this._m._free(subjectPtr);
    }
  }

  /** One receipt event's data (JSON text), in log order; true when the backend must acknowledge it. */
  apply(receiptJson) {
    this._withText(receiptJson, (ptr) => this._m._consent_table_apply(this._handle, ptr, this._flag));
    return this._m.HEAPU8[this._flag] !== 0;
  }

  clear() { this._m._consent_table_clear(this._handle); }

  /** An erased subject (an erasure event): it answers no_decision from now on; true if it was held. */
  forget(subject) {
    const subjectPtr = this._strings.copy(subject);
    try {
      return this._m._consent_table_forget(this._handle, subjectPtr) !== 0;
    } finally {
      this._m._free(subjectPtr);
    }
  }

  allowed(subject, purpose, now) {
    return (this._check(subject, purpose, now, 0, 0) & ALLOWED_BIT) !== 0;
  }

  /** {allowed, reason, receipt_id}: the core's verdict ('' when it rests on no receipt). */
  verdict(subject, purpose, now) {
    const answer = this._check(subject, purpose, now, this._scratch, RECEIPT_BYTES);
    const number = answer & 0xff;
    return {
      allowed: (answer & ALLOWED_BIT) !== 0,
      reason: number < this._reasons.length ? this._reasons[number] : 'denied',
      receipt_id: this._m.UTF8ToString(this._scratch),
    };
  }

  get subjects() { return this._m._consent_table_subjects(this._handle) >>> 0; }
  get noticeVersion() { return Number(this._m._consent_table_notice_version(this._handle)); }

  _check(subject, purpose, now, receiptPtr, receiptBytes) {
    if (now !== this._now) {
      this._now = now;
      this._nowBig = BigInt(now);
    }
    const at = this._scratch + RECEIPT_BYTES;
    if (!this._strings.writeAt(subject, at, this._capacity) ||
      !this._strings.writeAt(purpose, at + this._capacity, this._capacity)) {
      // Longer strings than ever before: a bigger buffer (UTF-8 takes at most 3 bytes a UTF-16 unit), then again.
      this._grow(3 * Math.max(subject.length, purpose.length) + 1);
      return this._check(subject, purpose, now, receiptPtr ? this._scratch : 0, receiptBytes);
    }
    return this._m._consent_table_check(this._handle, at, at + this._capacity, this._nowBig, receiptPtr, receiptBytes);
  }

  _grow(capacity) {
    const m = this._m;
    const scratch = m._malloc(RECEIPT_BYTES + 2 * capacity);
    if (!scratch) throw new Error('the core could not allocate a check buffer');
    if (this._scratch) m._free(this._scratch);
    this._scratch = scratch;
    this._capacity = capacity;
    if (this._resources) this._resources.scratch = scratch;
  }

  // Hands text to one table call, which answers NULL or an error envelope.
  _withText(text, fn) {
    if (!this._handle) throw new Error('the table was freed');
    const ptr = this._strings.copy(text);
    let answer = 0;
    try {
      answer = fn(ptr);
    } finally {
      this._m._free(ptr);
    }
    if (answer) {
      const envelope = JSON.parse(this._m.UTF8ToString(answer));
      this._m._consent_free(answer);
      throw this._coreError(envelope.error || { code: 'api.unknown', message: '' });
    }
  }
}

module.exports = { CoreTable };
