// Everything the banner remembers, in localStorage under one prefix per site:
// the subject id, the current state, the last notice seen, the outbox and the
// signed receipts. Storage may be unavailable or full (private modes, quotas,
// another script filling it): then what this page wrote is kept in memory and
// read back from there, so every choice still takes effect and is still sent
// for as long as the page lives. The subject token is never stored (identity.js).

const KEYS = ['subject', 'state', 'notice', 'outbox', 'receipts', 'unapplied', 'unapplied_notice'];

// A stored copy that could not be overwritten is removed, so the next page does
// not run on it (a grant the visitor has since withdrawn) — except where the old
// copy is still true: decisions waiting to be sent (each is idempotent by its
// id), and receipts (signed facts that never change).
const KEEP_STALE = ['outbox', 'receipts'];

function base64url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 128 random bits as base64url: a browser subject id is "b_" + this (DESIGN.md). */
export function randomId() {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** A browser-made subject id: b_ and 128 random bits in base64url (the core's is_browser_subject_id). */
export function isBrowserSubjectId(id) {
  return typeof id === 'string' && /^b_[A-Za-z0-9_-]{22}$/.test(id);
}

export class Store {
  constructor(site, storage) {
    this.prefix = 'consent:' + site + ':';
    this.memory = {};
    this.unsaved = {};       // keys whose newest value lives in memory only
    this.storage = storage;
  }

  get(key, fallback) {
    let text = this.memory[key];
    try {
      if (this.storage && !this.unsaved[key]) text = this.storage.getItem(this.prefix + key);
    } catch (e) { /* unavailable: memory only */ }
    if (text == null) return fallback;
    try { return JSON.parse(text); } catch (e) { return fallback; }
  }

  /** Keeps value for this page at once; returns whether it was also stored for the next one. */
  set(key, value) {
    const text = JSON.stringify(value);
    this.memory[key] = text;
    try {
      if (!this.storage) return false;
      this.storage.setItem(this.prefix + key, text);
      delete this.unsaved[key];
      return true;
    } catch (e) {
      // QuotaExceededError, or storage switched off: memory wins from now on.
      this.unsaved[key] = true;
      if (!KEEP_STALE.includes(key)) this._forget(key);
      return false;
    }
  }

  _forget(key) {
    try { this.storage.removeItem(this.prefix + key); } catch (e) { /* nothing more can be done */ }
  }

  /**
   * Forgets everything of this site, in storage and in memory (the visitor's records were erased): the next
   * page is a first visit, and the next subject() a new id.
   */
  clear() {
    this.memory = {};
    this.unsaved = {};
    if (this.storage) for (const key of KEYS) this._forget(key);
  }

  /** Whether a storage event from another tab concerns this site. */
  owns(storageKey) {
    return typeof storageKey === 'string' && KEYS.some((k) => storageKey === this.prefix + k);
  }

  subject() {
    let id = this.get('subject', '');
    if (!isBrowserSubjectId(id)) {
      id = 'b_' + randomId();
      this.set('subject', id);
    }
    return id;
  }
}
