// Issue #10 item 5: a storage fault never drops a decision. Real faults on a
// real consentd: its SQLite file locked by another process, and a full disk
// (the file-size limit of the running process lowered with prlimit). Each
// decision is answered 503 storage.unavailable with Retry-After — which the
// banner's outbox and any client retries — never 404 and never a partial
// write; reads keep answering; once the fault clears the same decision is
// stored exactly once and the audit passes.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const { startServer } = require('./edge_server.js');
const { request } = require('../support/consentd_process.js');

const SITE = 'bike-shop';

function withdrawal(server, subject, decisionId) {
  return request('POST', `${server.base}/v1/sites/${SITE}/subjects/${subject}/withdrawals`,
    { ...server.auth(SITE), 'Content-Type': 'application/json' }, JSON.stringify({ decision_id: decisionId }));
}

async function receiptCount(server) {
  const health = await request('GET', `${server.base}/healthz`);
  assert.equal(health.status, 200);
  return JSON.parse(health.text).receipts;
}

function assertUnavailable(answer) {
  assert.equal(answer.status, 503, answer.text);
  assert.equal(JSON.parse(answer.text).error.code, 'storage.unavailable');
  assert.ok(Number(answer.headers['retry-after']) >= 1, 'a 503 says when to come back');
}

function audit(server) {
  return execFileSync(process.env.CONSENTCTL, ['audit', ...server.common], { encoding: 'utf8' });
}

// Another process holds the file's write lock until its stdin closes.
async function lockDatabase(file) {
  const locker = spawn('python3', ['-c', [
    'import sqlite3, sys',
    'c = sqlite3.connect(sys.argv[1], isolation_level=None)',
    'c.execute("BEGIN IMMEDIATE")',
    'print("locked", flush=True)',
    'sys.stdin.read()',
    'c.execute("ROLLBACK")',
  ].join('\n'), file], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    locker.stdout.once('data', resolve);
    locker.once('exit', (code) => reject(new Error(`the locker exited with ${code}`)));
  });
  return { release: () => new Promise((resolve) => { locker.once('exit', resolve); locker.stdin.end(); }) };
}

test('a locked database: decisions get a retryable 503, checks still answer, the retry is stored once', async (t) => {
  const server = await startServer(t);
  const before = await receiptCount(server);
  const lock = await lockDatabase(server.database);
  try {
    assertUnavailable(await withdrawal(server, 'b_bG9ja2VkLXZpc2l0b3ItMQ', 'dec-locked-0001'));
    // WAL readers are not blocked by a writer: a check answers (no decision yet), /healthz too.
    const check = await request('GET', server.ordinary[0], server.ordinary[1]);
    assert.equal(check.status, 200, check.text);
    assert.equal(await receiptCount(server), before, 'nothing of the refused decision was written');
  } finally {
    await lock.release();
  }
  const stored = await withdrawal(server, 'b_bG9ja2VkLXZpc2l0b3ItMQ', 'dec-locked-0001');
  assert.ok(stored.status === 200 || stored.status === 201, stored.text);
  const again = await withdrawal(server, 'b_bG9ja2VkLXZpc2l0b3ItMQ', 'dec-locked-0001');
  assert.equal(JSON.parse(again.text).receipt_id, JSON.parse(stored.text).receipt_id, 'a retry gets the same receipt');
  assert.equal(await receiptCount(server), before + 1);
  assert.match(audit(server), /^ok: /);
});

test('a full disk: every decision gets a retryable 503 until there is room, then each is stored once', async (t) => {
  const server = await startServer(t);
  const before = await receiptCount(server);
  // RLIMIT_FSIZE of the running consentd: no file may grow past 4 KiB (the soft limit; the hard one stays, so it can be raised again), so the
  // WAL cannot take another frame (EFBIG, as on a full disk; SIGXFSZ is ignored).
  execFileSync('prlimit', ['--pid', String(server.pid), '--fsize=4096:unlimited']);
  const ids = ['dec-full-0001', 'dec-full-0002', 'dec-full-0003'];
  try {
    for (const [i, id] of ids.entries()) assertUnavailable(await withdrawal(server, `b_ZnVsbC12aXNpdG9yLTA${i}`, id));
    assert.equal(await receiptCount(server), before, 'nothing half-written');
  } finally {
    execFileSync('prlimit', ['--pid', String(server.pid), '--fsize=unlimited:unlimited']);
  }
  for (const [i, id] of ids.entries()) {
    const stored = await withdrawal(server, `b_ZnVsbC12aXNpdG9yLTA${i}`, id);
    assert.ok(stored.status === 200 || stored.status === 201, stored.text);
  }
  assert.equal(await receiptCount(server), before + ids.length);
  assert.match(audit(server), /^ok: /);
});
