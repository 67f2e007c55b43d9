// consentd killed with SIGKILL at random moments while clients post decisions
// (DESIGN.md "Storage": acknowledged only after a durable commit). A real
// consentd on a real SQLite file; eight clients post grants, refusals and
// withdrawals under fresh decision ids, and retry earlier ones with the very
// same body, while the test kills consentd at least 100 times at moments drawn
// from a seeded PRNG (the seed is printed; CONSENT_KILL_SEED replays one) and
// restarts it on the same file each time. Every 2xx answer is recorded. At the
// end, on the file itself (sqlite3) and with `consentctl audit`:
// - every acknowledged receipt is stored exactly once, at its log index, with
//   the very JWS it was answered with (never a lost acknowledged receipt);
// - a retry after a kill of an acknowledged decision id got that same receipt;
// - a decision that got no answer is recorded at most once after its retries;
// - the log is gapless and its latest checkpoint covers all of it.
// CONSENTD is the ASan build that the test command builds; CONSENT_KILL_CONSENTD
// may name another (the release build starts faster), CONSENT_KILLS the count.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { spawnConsentd } = require('../support/consentd_process.js');

const consentd = path.resolve(process.env.CONSENT_KILL_CONSENTD || process.env.CONSENTD);
const consentctl = path.resolve(process.env.CONSENTCTL);
const noticeFile = path.resolve(process.env.CONSENT_TEST_DATA_DIR, 'notices', 'shop.json');
const KILLS = Number(process.env.CONSENT_KILLS || 100);
const SEED = Number(process.env.CONSENT_KILL_SEED || crypto.randomInt(1, 2 ** 31));
const CLIENTS = 8;
const SUBJECTS = 40;
const MAX_RUN_MS = 400;  // consentd lives 0..MAX_RUN_MS after it says it listens
const SITE = 'bike-shop';
const ORIGIN = 'https://velo.example';

// mulberry32: small, seedable, good enough to pick moments and actions.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ctl(args) {
  const r = spawnSync(consentctl, args, { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, `consentctl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// One POST on its own connection. Resolves {status, body} only for a complete
// answer; a connection reset, a cut body or a timeout rejects (no answer).
function post(base, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/v1/sites/${SITE}/decisions`, {
      method: 'POST', agent: false, timeout: 15000,
      headers: { 'Content-Type': 'application/json', Origin: ORIGIN, Connection: 'close' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('error', reject);
      res.on('close', () => (res.complete ? resolve({ status: res.statusCode, text }) : reject(new Error('cut'))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

// The world the clients see: consentd comes and goes; `ready` resolves while it is up.
class Server {
  constructor(args) {
    this.args = args;
    this.generation = 0;
    this.inflight = 0;
    this.ready = null;
  }
  async start() {
    this.process = await spawnConsentd(consentd, this.args);
    this.base = this.process.url;
    this.generation += 1;
    this.readyResolve?.();
    this.ready = Promise.resolve();
  }
  async kill() {
    this.ready = new Promise((resolve) => { this.readyResolve = resolve; });
    const inflight = this.inflight;
    const exited = new Promise((resolve) => this.process.child.once('exit', resolve));
    if (this.process.child.exitCode === null && this.process.child.signalCode === null) this.process.child.kill('SIGKILL');
    await exited;
    return inflight;
  }
}

// What the clients learned: every decision sent, by id, with its exact body,
// the generation of consentd it was first acknowledged by, and the answer.
class Ledger {
  constructor() {
    this.sent = new Map();  // decision_id -> {body, ack: {receipt_id, receipt, log_index, generation} | null}
    this.problems = [];
    this.retriesAfterKill = 0;
    this.answeredAfterNoAnswer = 0;
    this.committedUnanswered = 0;  // no answer, yet the retry found it committed before the kill
  }
  record(id, answer, generation, status) {
    const entry = this.sent.get(id);
    const got = { receipt_id: answer.receipt_id, receipt: answer.receipt, log_index: answer.log_index, generation };
    if (entry.ack === null) {
      if (entry.tries > 1) this.answeredAfterNoAnswer += 1;
      if (entry.tries > 1 && answer.replayed === true) this.committedUnanswered += 1;
      else if (status !== 201) this.problems.push(`${id}: a first send answered ${status}`);
      entry.ack = got;
      return;
    }
    if (status !== 200 || answer.replayed !== true) this.problems.push(`${id}: a retry answered ${status}, replayed ${answer.replayed}`);
    for (const k of ['receipt_id', 'receipt', 'log_index'])
      if (got[k] !== entry.ack[k]) this.problems.push(`${id}: a retry got another ${k}: ${got[k]} vs ${entry.ack[k]}`);
    if (generation > entry.ack.generation) this.retriesAfterKill += 1;
  }
}

function subjectIds(random) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return Array.from({ length: SUBJECTS }, () =>
    `b_${Array.from({ length: 22 }, () => alphabet[Math.floor(random() * 64)]).join('')}`);
}

// A fresh decision: a grant, a refusal, a mix, or a withdrawal.
function freshBody(random, id, subject, notice) {
  const base = { decision_id: id, subject_id: subject, notice_id: SITE, notice_version: notice.version,
    notice_hash: notice.hash, language: 'en' };
  const pick = random();
  if (pick < 0.3) return { ...base, method: 'accept_all' };
  if (pick < 0.5) return { ...base, method: 'reject_all' };
  if (pick < 0.75) return { ...base, method: 'custom', choices: { analytics: random() < 0.5, marketing: random() < 0.5 } };
  return random() < 0.5 ? { ...base, method: 'withdraw' } : { ...base, method: 'withdraw', purposes: ['marketing'] };
}

// One client: until told to stop, sends a fresh decision or (one time in
// four) the exact body of an earlier one again, answered or not.
async function client(n, server, ledger, notice, subjects, stop) {
  const random = prng(SEED + n);
  const mine = [];
  let count = 0;
  while (!stop.now) {
    await server.ready;
    let id;
    if (mine.length > 0 && random() < 0.25) {
      id = mine[Math.floor(random() * mine.length)];
    } else {
      id = `dec-c${n}-${String(count++).padStart(6, '0')}`;
      const subject = subjects[Math.floor(random() * subjects.length)];
      ledger.sent.set(id, { body: JSON.stringify(freshBody(random, id, subject, notice)), ack: null, tries: 0 });
      mine.push(id);
    }
    await send(server, ledger, id);
  }
}

async function send(server, ledger, id) {
  const entry = ledger.sent.get(id);
  const generation = server.generation;
  entry.tries += 1;
  server.inflight += 1;
  try {
    const r = await post(server.base, entry.body);
    if (r.status === 200 || r.status === 201) ledger.record(id, JSON.parse(r.text), generation, r.status);
    else ledger.problems.push(`${id}: answered ${r.status} ${r.text}`);
  } catch {
    // No answer: killed before, during or after the commit. A retry will tell.
  } finally {
    server.inflight -= 1;
  }
}

function sqliteJson(db, sql) {
  const r = spawnSync('sqlite3', ['-json', db, sql], { encoding: 'utf8', timeout: 60000, maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, `sqlite3: ${r.stderr}`);
  return r.stdout.trim() === '' ? [] : JSON.parse(r.stdout);
}

// The file against the ledger: each acknowledged receipt exactly once, as answered.
function checkFile(db, ledger) {
  const rows = sqliteJson(db, 'SELECT log_index, receipt_id, decision_id, jws FROM receipts ORDER BY log_index');
  rows.forEach((row, i) => assert.equal(row.log_index, i, `the log has a gap before index ${row.log_index}`));
  const byDecision = new Map();
  for (const row of rows) {
    assert.ok(ledger.sent.has(row.decision_id), `a receipt for a decision never sent: ${row.decision_id}`);
    assert.ok(!byDecision.has(row.decision_id), `decision ${row.decision_id} is recorded twice`);
    byDecision.set(row.decision_id, row);
  }
  let lost = 0;
  for (const [id, entry] of ledger.sent) {
    if (entry.ack === null) continue;
    const row = byDecision.get(id);
    if (!row || row.receipt_id !== entry.ack.receipt_id || row.jws !== entry.ack.receipt || row.log_index !== entry.ack.log_index) lost += 1;
  }
  const [latest] = sqliteJson(db, 'SELECT MAX(tree_size) AS size FROM checkpoints');
  return { rows: rows.length, lost, checkpointSize: latest.size };
}

test('consentd killed at random moments while clients post never loses an acknowledged receipt', { timeout: 600000 }, async (t) => {
  console.log(`sigkill test: seed ${SEED} (CONSENT_KILL_SEED=${SEED} replays the same moments), ${KILLS} kills, ${path.basename(path.dirname(path.dirname(consentd)))} build`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-sigkill-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'db.sqlite');
  const common = [`--database=${db}`, `--keys=${path.join(dir, 'keys')}`];
  ctl(['init', ...common, `--site=${SITE}`, `--origin=${ORIGIN}`]);
  ctl(['notice', 'publish', noticeFile, `--site=${SITE}`, ...common]);

  const random = prng(SEED);
  const server = new Server([...common, '--port=0', '--rate-per-minute=1000000', '--rate-burst=1000000']);
  await server.start();
  t.after(() => server.process.child.kill('SIGKILL'));
  const noticeAnswer = await fetch(`${server.base}/v1/sites/${SITE}/notice`).then((r) => r.json());
  const notice = { version: noticeAnswer.notice.version, hash: noticeAnswer.hash };
  const ledger = new Ledger();
  const stop = { now: false };
  const subjects = subjectIds(random);
  const clients = Array.from({ length: CLIENTS }, (_, n) => client(n, server, ledger, notice, subjects, stop));

  let killsInFlight = 0;
  for (let k = 0; k < KILLS; k += 1) {
    // Some kills come at once after start-up (recovery itself is interrupted), most mid-traffic.
    const wait = random() < 0.1 ? 0 : Math.floor(random() * MAX_RUN_MS);
    await new Promise((resolve) => setTimeout(resolve, wait));
    if ((await server.kill()) > 0) killsInFlight += 1;
    await server.start();
  }
  // The storm is over: every decision sent is retried once more on a live
  // consentd, with the same body, so unanswered ones settle and answered ones
  // must come back the same.
  stop.now = true;
  await Promise.all(clients);
  const ackedInStorm = [...ledger.sent.values()].filter((e) => e.ack !== null).length;
  const ids = [...ledger.sent.keys()];
  await Promise.all(Array.from({ length: CLIENTS }, async (_, n) => {
    for (let i = n; i < ids.length; i += CLIENTS) await send(server, ledger, ids[i]);
  }));
  const unsettled = [...ledger.sent.values()].filter((e) => e.ack === null).length;
  await server.kill();  // the last kill: the file is checked as a crash left it

  const file = checkFile(db, ledger);
  const acknowledged = [...ledger.sent.values()].filter((e) => e.ack !== null).length;
  const audit = ctl(['audit', ...common]);
  console.log(`sigkill test: ${KILLS + 1} kills survived (${killsInFlight} with requests in flight), ${ledger.sent.size} decisions, ` +
    `${acknowledged} acknowledged (${ackedInStorm} during the kills), ${file.lost} acknowledged receipts lost, ${ledger.answeredAfterNoAnswer} unanswered ones answered on a retry (${ledger.committedUnanswered} of them committed before their kill), ` +
    `${ledger.retriesAfterKill} retries after a kill got their receipt again, ${file.rows} receipts in the log`);
  assert.deepEqual(ledger.problems, []);
  assert.equal(file.lost, 0, 'acknowledged receipts lost');
  assert.equal(unsettled, 0, 'decisions still without an answer on a live consentd');
  assert.equal(file.rows, acknowledged, 'receipts stored that no client ended up holding');
  assert.equal(file.checkpointSize, file.rows, 'the latest checkpoint does not cover the whole log');
  assert.ok(ledger.retriesAfterKill > 0, 'no retry after a kill was made');
  assert.ok(killsInFlight >= KILLS / 2, `only ${killsInFlight} kills hit requests in flight`);
  assert.match(audit, /^ok: state equals the rebuild from \d+ receipts; each receipt's columns match its signed JWS and its signature verifies; \d+ checkpoints of consentd\/receipts verify\n$/);
});
