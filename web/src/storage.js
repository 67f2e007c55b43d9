// Everything the banner remembers, in localStorage under one prefix per site:
// the subject id, the current state, the last notice seen, the outbox and the
// signed receipts. Storage may be unavailable (private modes, quotas): then the
// banner still works for this page view and simply remembers nothing.

const KEYS = ['subject', 'state', 'notice', 'outbox', 'receipts', 'unapplied'];

function base64url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 128 random bits as base64url: a browser subject id is "b_" + this (DESIGN.md). */
export function randomId() {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

export class Store {
  constructor(site, storage) {
    this.prefix = 'consent:' + site + ':';
    this.memory = {};
    this.storage = storage;
  }

  get(key, fallback) {
    let text = this.memory[key];
    try {
      if (this.storage) text = this.storage.getItem(this.prefix + key);
    } catch (e) { /* unavailable: memory only */ }
    if (text == null) return fallback;
    try { return JSON.parse(text); } catch (e) { return fallback; }
  }

  set(key, value) {
    const text = JSON.stringify(value);
    this.memory[key] = text;
    try {
      if (this.storage) this.storage.setItem(this.prefix + key, text);
    } catch (e) { /* quota or disabled: memory only */ }
  }

  /** Whether a storage event from another tab concerns this site. */
  owns(storageKey) {
    return typeof storageKey === 'string' && KEYS.some((k) => storageKey === this.prefix + k);
  }

  subject() {
    let id = this.get('subject', '');
    if (!/^b_[A-Za-z0-9_-]{22}$/.test(id)) {
      id = 'b_' + randomId();
      this.set('subject', id);
    }
    return id;
  }
}
