// The newsletter's subscriber list: one JSON file in the demo's workspace,
// written by the shop's server (sign-up, unsubscribe) and read by the sender
// before every round. Each entry ties the address a visitor typed to the
// banner's subject id of their browser, which is what consentd is asked about.
// Writes go to a temporary file renamed over the old one, so a reader never
// sees half a list.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const SUBJECT = /^b_[A-Za-z0-9_-]{22}$/;
// Deliberately loose: one @, no spaces or angle brackets, a dot in the domain.
const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]+\.[^\s@<>"]+$/;

const isSubject = (s) => typeof s === 'string' && SUBJECT.test(s);
const isEmail = (s) => typeof s === 'string' && s.trim().length <= 254 && EMAIL.test(s.trim());

class Subscribers {
  constructor(file) {
    this.file = file;
  }

  /** Every subscriber, oldest first; an absent or unreadable file is an empty list. */
  list() {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8'));
      return Array.isArray(parsed.subscribers) ? parsed.subscribers.filter((s) => isSubject(s.subject) && isEmail(s.email)) : [];
    } catch (e) {
      return [];
    }
  }

  find(subject) {
    return this.list().find((s) => s.subject === subject) || null;
  }

  /** Adds the subject, or changes its address. */
  add(subject, email) {
    const all = this.list();
    const found = all.find((s) => s.subject === subject);
    const entry = found || { subject, email, since: Math.floor(Date.now() / 1000) };
    entry.email = email;
    if (!found) all.push(entry);
    this._write(all);
    return entry;
  }

  remove(subject) {
    this._write(this.list().filter((s) => s.subject !== subject));
  }

  _write(all) {
    const tmp = path.join(path.dirname(this.file), `.${path.basename(this.file)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify({ subscribers: all }, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}

module.exports = { Subscribers, isEmail, isSubject };
