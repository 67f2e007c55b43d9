// The banner's plain-JS parts that need no page: the outbox's order, retry and
// persistence rules, cookie patterns, and the subject id. (Everything that
// touches a page is tested in Chromium by the other files here.)
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const src = (f) => import(path.join(__dirname, '../../web/src', f));

// localStorage as the browser has it: strings in, strings out.
function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), map: m };
}

function fakeTimers(start = 1000) {
  const t = { time: start, pending: [], now: () => t.time, set: (f, ms) => { t.pending.push({ f, at: t.time + ms }); return t.pending.length; }, clear: () => {} };
  return t;
}

test('retry delays double from 1 s, are capped at 5 min, and carry jitter', async () => {
  const { retryDelay } = await src('outbox.js');
  assert.equal(retryDelay(1, () => 1), 1000);
  assert.equal(retryDelay(2, () => 1), 2000);
  assert.equal(retryDelay(4, () => 1), 8000);
  assert.equal(retryDelay(30, () => 1), 300000);
  assert.equal(retryDelay(3, () => 0), 2000, 'jitter takes at most half off');
});

test('the outbox sends in order, keeps what failed (and what follows it) for later, and survives a reload', async () => {
  const { Outbox } = await src('outbox.js');
  const { Store } = await src('storage.js');
  const storage = memoryStorage();
  const sent = [];
  let answer = { status: 503, body: null };
  const acked = [];
  const timers = fakeTimers();
  const make = () => new Outbox(new Store('shop', storage), async (r) => { sent.push(r.decision_id); return answer; },
    (r, a) => acked.push([r.decision_id, a.receipt_id]), () => assert.fail('nothing is refused here'), timers);
  const box = make();
  box.add({ decision_id: 'grant-0001' });
  box.add({ decision_id: 'withdraw-0002' });
  await box.flush(true);
  assert.deepEqual(sent, ['grant-0001'], 'the withdrawal does not overtake the grant');
  assert.equal(box.pending(), 2);
  assert.ok(box.entries()[0].next_at > timers.now(), 'postponed');
  // Not due yet: nothing is sent.
  await box.flush(false);
  assert.deepEqual(sent, ['grant-0001']);
  // "Reload": a new outbox over the same storage; the server is back.
  answer = { status: 201, body: { receipt_id: 'rcpt_x' } };
  const again = make();
  assert.equal(again.pending(), 2);
  await again.flush(true);
  assert.deepEqual(sent, ['grant-0001', 'grant-0001', 'withdraw-0002']);
  assert.equal(again.pending(), 0);
  assert.deepEqual(acked.map((a) => a[0]), ['grant-0001', 'withdraw-0002']);
});

test('a network failure is retried; a request the server refuses for good is dropped and reported', async () => {
  const { Outbox } = await src('outbox.js');
  const { Store } = await src('storage.js');
  const rejected = [];
  let mode = 'throw';
  const box = new Outbox(new Store('shop', memoryStorage()), async () => {
    if (mode === 'throw') throw new TypeError('Failed to fetch');
    return { status: 400, body: { error: { code: 'decision.unknown_purpose', message: 'no' } } };
  }, () => assert.fail('not acknowledged'), (r, e) => rejected.push([r.decision_id, e.code]), fakeTimers());
  box.add({ decision_id: 'dec-00000001' });
  await box.flush(true);
  assert.equal(box.pending(), 1);
  assert.equal(box.entries()[0].attempts, 1);
  mode = 'refuse';
  await box.flush(true);
  assert.equal(box.pending(), 0);
  assert.deepEqual(rejected, [['dec-00000001', 'decision.unknown_purpose']]);
});

test('429 and 5xx are retried, other 4xx are not', async () => {
  const { Outbox } = await src('outbox.js');
  const { Store } = await src('storage.js');
  for (const [status, kept] of [[429, 1], [500, 1], [503, 1], [408, 1], [400, 0], [403, 0], [409, 0], [413, 0]]) {
    const box = new Outbox(new Store('shop', memoryStorage()), async () => ({ status, body: null }), () => {}, () => {}, fakeTimers());
    box.add({ decision_id: 'dec-00000001' });
    await box.flush(true);
    assert.equal(box.pending(), kept, `status ${status}`);
  }
});

test('cookie patterns: exact names, and a trailing * as a prefix', async () => {
  const { cookieMatches, cookiePatterns } = await src('cookies.js');
  assert.equal(cookieMatches('_pk_id.1.abcd', '_pk_id*'), true);
  assert.equal(cookieMatches('_pk_ses', '_pk_id*'), false);
  assert.equal(cookieMatches('_ad_uid', '_ad_uid'), true);
  assert.equal(cookieMatches('_ad_uid2', '_ad_uid'), false);
  const notice = require('../data/notices/shop.json');
  assert.deepEqual(cookiePatterns(notice, 'analytics'), ['_pk_id*', '_pk_ses*']);
  assert.deepEqual(cookiePatterns(notice, 'marketing'), ['_ad_uid']);
  assert.deepEqual(cookiePatterns(notice, 'nothing'), []);
});

test('the subject id is 128 random bits as b_ + 22 base64url characters, kept per site', async () => {
  const { Store } = await src('storage.js');
  const storage = memoryStorage();
  const a = new Store('shop', storage).subject();
  assert.match(a, /^b_[A-Za-z0-9_-]{22}$/);
  assert.equal(new Store('shop', storage).subject(), a, 'the same browser keeps its id');
  assert.notEqual(new Store('blog', storage).subject(), a, 'another site gets another id');
  // Without storage (private mode, quota) the banner still works for this page.
  const broken = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('denied'); } };
  const s = new Store('shop', broken);
  assert.equal(s.subject(), s.subject());
});
