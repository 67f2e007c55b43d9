#!/usr/bin/env node
// The shop's backend job that asks before it acts: every few seconds it goes
// through the newsletter's subscribers and, right before "sending" to each one,
// asks whether marketing is allowed for that person now. It asks the Node
// client's local mirror (clients/node): consentd's state loaded and kept
// current from its event stream, decided by the wasm core, so no check is a
// round trip; while the mirror's stream is cut it asks consentd instead. When
// a subscriber withdraws in the browser, the mirror hears of it at once, the
// sender stops for that person there and then, and the mirror acknowledges
// the withdrawal to consentd as backend "newsletter" (the subject's export
// shows when it stopped); a new grant resumes the emails.
//
// Nothing is really sent. Each step is one log line, printed and kept in
// memory for the shop's newsletter page (GET /log?subject=…&after=SEQ on
// 127.0.0.1; a visitor's page sees the general lines and its own only).
//
// Environment: CONSENTD_URL, DEMO_SITE, DEMO_API_KEY_FILE (the key itself is
// never logged), DEMO_SUBSCRIBERS, DEMO_SEND_INTERVAL (seconds, default 5),
// DEMO_SENDER_PORT (default 0: any free port; "listening on …" is printed).
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const { ConsentClient, Mirror } = require('../clients/node');
const { Subscribers, isSubject } = require('./subscribers.js');

const PURPOSE = 'marketing';
const LOG_KEEP = 1000;
const REQUEST_TIMEOUT_MS = 10000;
// consentd sends a heartbeat comment every 15 s: a silent stream is a dead one.
const STREAM_IDLE_MS = 45000;
const BACKEND = 'newsletter';  // the name its acknowledgements carry

class Log {
  constructor() {
    this.entries = [];
    this.seq = 0;
  }

  /** kind: start|round|sent|skipped|stopped|resumed|event|stream|error; who: {subject, email} or null. */
  add(kind, text, who = null, extra = {}) {
    const entry = Object.assign({ seq: ++this.seq, time: Date.now(), kind, text }, extra);
    if (who) Object.assign(entry, { subject: who.subject, email: who.email });
    this.entries.push(entry);
    if (this.entries.length > LOG_KEEP) this.entries.splice(0, this.entries.length - LOG_KEEP);
    const clock = new Date(entry.time).toISOString().slice(11, 19);
    process.stdout.write(`${clock} ${text}\n`);
    return entry;
  }

  /** The lines after seq that are general or about this subject. */
  since(after, subject) {
    return this.entries.filter((e) => e.seq > after && (!e.subject || e.subject === subject));
  }
}

class Sender {
  constructor({ consentd, site, apiKey, subscribers, intervalMs }) {
    this.consentd = consentd;
    this.site = site;
    this.subscribers = subscribers;
    this.intervalMs = intervalMs;
    this.log = new Log();
    this.verdicts = new Map();  // subject -> last known {allowed, reason}
    this.issue = 0;             // the newsletter's issue number, one per round
    this.stopped = false;
    this.timer = null;
    this.client = new ConsentClient(consentd, site, apiKey, { timeoutMs: REQUEST_TIMEOUT_MS });
    this.mirror = new Mirror(this.client, {
      backend: BACKEND, staleAfterMs: STREAM_IDLE_MS, fallback: 'ask',
      onReceipt: (data) => { if (isSubject(data.subject)) this.onReceipt(data); },
    });
  }

  /** May we use this subject's data for marketing right now? The mirror answers (consentd while it is cut). */
  ask(subject) {
    return this.mirror.verdictAsync(subject, PURPOSE);
  }

  /**
   * Logs what consentd says about a subscriber when it is news: the first answer
   * or a flip (source: "check" in a round, "event" from the stream). Returns
   * whether it logged.
   */
  note(who, verdict, source, method = '') {
    const before = this.verdicts.get(who.subject);
    this.verdicts.set(who.subject, verdict);
    if (before && before.allowed === verdict.allowed) return false;
    const via = source === 'event' ? `event stream: ${method} receipt` : 'asked before sending';
    const extra = { via: source, method, reason: verdict.reason };
    if (verdict.allowed && before) {
      this.log.add('resumed', `▶ ${who.email}: marketing granted (${via}) — emails may go out again`, who, extra);
    } else if (!verdict.allowed && before && before.allowed) {
      this.log.add('stopped', `■ ${who.email}: marketing ${verdict.reason} (${via}) — stopped, no more emails to this person`, who, extra);
    } else if (!verdict.allowed) {
      this.log.add('skipped', `· ${who.email}: not sending — consentd says marketing is not allowed (${verdict.reason})`, who, extra);
    } else {
      return false;  // a first "yes": the "sent" line says it
    }
    return true;
  }

  /** One round: ask before each email, send only on a yes. */
  async round() {
    const list = this.subscribers.list();
    for (const [subject] of this.verdicts) if (!list.some((s) => s.subject === subject)) this.verdicts.delete(subject);
    if (!list.length) return;
    this.issue += 1;
    this.log.add('round', `round ${this.issue}: ${list.length} subscriber(s), asking consentd before each email`, null,
      { issue: this.issue });
    for (const who of list) {
      if (this.stopped) return;
      let verdict;
      try {
        verdict = await this.ask(who.subject);
      } catch (e) {
        this.log.add('error', `! could not ask consentd about ${who.email}: ${e.message} — not sending`, who);
        continue;
      }
      this.note(who, verdict, 'check');
      // Sent in the same step as the yes: nothing can come between the answer and the send.
      if (verdict.allowed) {
        this.log.add('sent', `✉ sent issue #${this.issue} to ${who.email} (marketing granted, receipt ${verdict.receipt_id})`, who,
          { issue: this.issue, receipt_id: verdict.receipt_id });
      }
    }
  }

  schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      try { await this.round(); } catch (e) { this.log.add('error', `! round failed: ${e.message}`); }
      this.schedule();
    }, this.intervalMs);
  }

  /** A receipt for a subscriber: ask again now instead of waiting for the next round. */
  async onReceipt(event) {
    const who = this.subscribers.find(event.subject);
    if (!who) return;
    let verdict;
    try {
      verdict = await this.ask(who.subject);
    } catch (e) {
      this.log.add('error', `! could not ask consentd about ${who.email}: ${e.message}`, who);
      return;
    }
    if (this.note(who, verdict, 'event', event.method)) return;
    // No change (a round got there first, or another purpose changed): still say what the stream brought.
    this.log.add('event', `~ ${who.email}: ${event.method} receipt on the event stream; marketing ${verdict.allowed ? 'still allowed'
      : `not allowed (${verdict.reason})`}`, who, { via: 'event', method: event.method, reason: verdict.reason });
  }

  async start() {
    this.log.add('start', `newsletter sender started: a round every ${this.intervalMs / 1000} s, asking consentd's local mirror before each email`);
    try {
      await this.mirror.start();
      this.log.add('stream', '~ following consentd\'s event stream (SSE) in the local mirror; withdrawals are acknowledged as "newsletter"');
    } catch (e) {
      this.log.add('error', `! the mirror did not load (${e.message}); asking consentd until it does`);
    }
    this.schedule();
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.mirror.stop();
    this.client.close();
  }
}

function serveLog(sender, port) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let body;
    if (url.pathname === '/log') {
      const subject = url.searchParams.get('subject') || '';
      const after = Number.parseInt(url.searchParams.get('after') || '0', 10) || 0;
      body = { entries: sender.log.since(after, subject), interval_seconds: sender.intervalMs / 1000 };
    } else if (url.pathname === '/healthz') {
      body = { status: 'ok', issue: sender.issue };
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      return res.end('{"error":{"code":"demo.not_found","message":"no such route"}}');
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const env = process.env;
  for (const name of ['CONSENTD_URL', 'DEMO_SITE', 'DEMO_API_KEY_FILE', 'DEMO_SUBSCRIBERS']) {
    if (!env[name]) {
      process.stderr.write(`newsletter_sender: ${name} is not set\n`);
      process.exit(64);
    }
  }
  const intervalSeconds = Number(env.DEMO_SEND_INTERVAL || 5);
  if (!(intervalSeconds >= 0.2 && intervalSeconds <= 3600)) {
    process.stderr.write('newsletter_sender: DEMO_SEND_INTERVAL must be between 0.2 and 3600 seconds\n');
    process.exit(64);
  }
  const sender = new Sender({
    consentd: env.CONSENTD_URL.replace(/\/+$/, ''),
    site: env.DEMO_SITE,
    apiKey: fs.readFileSync(env.DEMO_API_KEY_FILE, 'utf8').trim(),
    subscribers: new Subscribers(env.DEMO_SUBSCRIBERS),
    intervalMs: Math.round(intervalSeconds * 1000),
  });
  const server = await serveLog(sender, Number(env.DEMO_SENDER_PORT || 0));
  process.stdout.write(`sender listening on http://127.0.0.1:${server.address().port}\n`);
  await sender.start();
  const stop = () => {
    sender.stop();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) main();

module.exports = { Sender };
