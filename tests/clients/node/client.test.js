// The Node client (clients/node) against a real consentd: each backend call,
// errors with the server's code, a real 503 (a locked database) retried, a
// timeout on a stopped consentd, and the event stream resumed after an id.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { ConsentClient, ConsentError } = require('../../../clients/node');
const { startSite, postDecision, subjectId, SITE } = require('../consentd_site.js');

const client = (site, options) => new ConsentClient(site.url, SITE, site.key, options);

test('checks answer what the subject chose, one by one and in a batch', async (t) => {
  const site = await startSite(t);
  const c = client(site);
  t.after(() => c.close());
  const who = subjectId(1);
  await postDecision(site, who, 'custom', { analytics: true, marketing: false });
  assert.equal((await c.check(who, 'analytics')).allowed, true);
  assert.equal((await c.check(who, 'marketing')).reason, 'denied');
  assert.equal((await c.check(subjectId(2), 'analytics')).reason, 'no_decision');
  const batch = await c.checkMany([[who, 'analytics'], [who, 'marketing'], [who, 'necessary']]);
  assert.deepEqual(batch.map((v) => v.allowed), [true, false, true]);
});

test('a server-side withdrawal denies the next check, its retry replays, the export holds both', async (t) => {
  const site = await startSite(t);
  const c = client(site);
  t.after(() => c.close());
  const who = subjectId(3);
  const granted = await postDecision(site, who, 'accept_all');
  const first = await c.withdraw(who, { purposes: ['marketing'], decisionId: 'srv-node-000001' });
  assert.equal((await c.check(who, 'marketing')).reason, 'withdrawn');
  assert.equal((await c.check(who, 'analytics')).allowed, true);
  const again = await c.withdraw(who, { purposes: ['marketing'], decisionId: 'srv-node-000001' });
  assert.equal(again.receipt_id, first.receipt_id);
  const bundle = await c.export(who);
  assert.deepEqual(bundle.receipts.map((r) => r.receipt_id), [granted.receipt_id, first.receipt_id]);
});

test('errors carry the server code, status and path', async (t) => {
  const site = await startSite(t);
  const bad = new ConsentClient(site.url, SITE, 'ck_nobody.secret');
  t.after(() => bad.close());
  await assert.rejects(bad.check(subjectId(1), 'analytics'),
    (e) => e instanceof ConsentError && e.status === 401 && e.code === 'auth.invalid_key' && !e.retryable);
  const c = client(site);
  t.after(() => c.close());
  await assert.rejects(c.withdraw(subjectId(1), { purposes: ['no_such_purpose'] }),
    (e) => e.status === 400 && e.code === 'decision.unknown_purpose' && e.path === '/purposes/0');
});

test('a retryable 503 is retried until the database is free, and stored once', async (t) => {
  const site = await startSite(t);
  // Another process holds the write lock; consentd waits its busy timeout (5 s), then answers 503.
  const locker = spawn('python3', ['-c', [
    'import sqlite3, sys', 'c = sqlite3.connect(sys.argv[1], isolation_level=None)', 'c.execute("BEGIN IMMEDIATE")',
    'print("locked", flush=True)', 'sys.stdin.read()', 'c.execute("ROLLBACK")',
  ].join('\n'), path.join(site.dir, 'db.sqlite')], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve) => locker.stdout.once('data', resolve));
  const c = client(site, { retries: 0, timeoutMs: 10000 });
  t.after(() => c.close());
  await assert.rejects(c.withdraw(subjectId(4), { decisionId: 'srv-locked-node-1' }),
    (e) => e.status === 503 && e.code === 'storage.unavailable' && e.retryable);
  setTimeout(() => locker.stdin.end(), 6000);
  const started = Date.now();
  const patient = client(site, { retries: 8, backoffMs: 200, timeoutMs: 10000 });
  t.after(() => patient.close());
  const answer = await patient.withdraw(subjectId(4), { decisionId: 'srv-locked-node-2' });
  assert.ok(Date.now() - started > 5000, 'the first attempt was refused');
  const bundle = await c.export(subjectId(4));
  assert.deepEqual(bundle.receipts.map((r) => r.receipt_id), [answer.receipt_id]);
});

test('every call has a timeout', async (t) => {
  const site = await startSite(t);
  const c = client(site, { timeoutMs: 500, retries: 1, backoffMs: 50 });
  t.after(() => c.close());
  site.pause();
  try {
    const started = Date.now();
    await assert.rejects(c.check(subjectId(1), 'analytics'), (e) => e.code === 'client.timeout');
    assert.ok(Date.now() - started < 5000);
  } finally {
    site.resume();
  }
});

test('the event stream resumes after the last event id', async (t) => {
  const site = await startSite(t);
  const c = client(site);
  t.after(() => c.close());
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await postDecision(site, subjectId(10 + i), 'reject_all'));
  const seen = [];
  const stream = c.events(answers[0].log_index, (e) => {
    if (e.type === 'receipt') seen.push(e);
    if (seen.length === 2) stream.close();
  });
  await stream.done.catch(() => {});
  assert.deepEqual(seen.map((e) => e.id), [answers[1].log_index, answers[2].log_index]);
  assert.equal(seen[0].data.decision.method, 'reject_all');
});
