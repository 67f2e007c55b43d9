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
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k), map: m };
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
  const make = () => new Outbox(new Store('shop', storage), async (r) => { sent.push(r.decision_id); return typeof answer === 'function' ? answer(r) : answer; },
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
  answer = (r) => ({ status: 201, body: receiptAnswer(r) });
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

// ---- issue #10 item 6: storage faults, refusals, bounds (resilience.test.js has them in Chromium)

// localStorage that holds what it has but takes nothing more, as a full quota does.
function fullStorage(initial = {}) {
  const m = new Map(Object.entries(initial));
  const quota = () => { const e = new Error('quota'); e.name = 'QuotaExceededError'; throw e; };
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: quota, removeItem: (k) => m.delete(k), map: m };
}

test('with storage full, what this page wrote is what it reads back, and a stale stored state is removed', async () => {
  const { Store } = await src('storage.js');
  const storage = fullStorage({ 'consent:shop:state': JSON.stringify({ analytics: { state: 'granted' } }),
    'consent:shop:outbox': JSON.stringify([{ request: { decision_id: 'old-00000001' } }]) });
  const store = new Store('shop', storage);
  store.set('state', { analytics: { state: 'denied' } });
  assert.deepEqual(store.get('state'), { analytics: { state: 'denied' } }, 'the page runs on what it decided');
  assert.equal(storage.map.has('consent:shop:state'), false, 'the next page does not run on the grant it could not overwrite');
  store.set('outbox', []);
  assert.deepEqual(store.get('outbox'), []);
  assert.equal(storage.map.has('consent:shop:outbox'), true, 'older decisions still wait for the next page');
});

test('the outbox keeps subject tokens in memory only, and retries without one the server will not take', async () => {
  const { Outbox } = await src('outbox.js');
  const { Store } = await src('storage.js');
  const storage = memoryStorage();
  const sent = [];
  const forgotten = [];
  const box = new Outbox(new Store('shop', storage), async (r, token) => {
    sent.push(token || null);
    if (token) return { status: 403, body: { error: { code: 'subject.token_expired', message: 'expired' } } };
    return { status: 201, body: receiptAnswer(r) };
  }, () => {}, () => assert.fail('a withdrawal is taken without the token'), fakeTimers());
  box.onTokenRefused = (token) => forgotten.push(token);
  box.add({ decision_id: 'wd-00000001', subject_id: 'account-7', method: 'withdraw' }, { token: 'tok.en.sig' });
  assert.ok(![...storage.map.values()].some((v) => v.includes('tok.en.sig')), 'the token is not stored');
  await box.flush(true);
  assert.deepEqual(sent, ['tok.en.sig', null]);
  assert.deepEqual(forgotten, ['tok.en.sig']);
  assert.equal(box.pending(), 0);
});

// What consentd answers for request r: a receipt whose payload names r's subject and decision.
function receiptAnswer(r, change = {}) {
  const payload = Object.assign({ receipt_id: 'rcpt_' + r.decision_id, subject: r.subject_id, decision_id: r.decision_id,
    method: r.method, purposes: [] }, change);
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return { receipt_id: 'rcpt_' + r.decision_id, receipt: part({ alg: 'EdDSA' }) + '.' + part(payload) + '.c2ln' };
}

test('a receipt naming another subject or decision is refused; an answer that is no receipt at all is retried', async () => {
  const { Outbox } = await src('outbox.js');
  const { Store } = await src('storage.js');
  for (const [change, expect] of [[{ subject: 'b_someoneelse0000000000000' }, 'refused'], [{ decision_id: 'other-000001' }, 'refused'],
    [{ receipt_id: 'rcpt_other' }, 'refused'], [null, 'retried'], [{}, 'acked']]) {
    const outcome = [];
    const box = new Outbox(new Store('shop', memoryStorage()), async (r) => ({ status: 201,
      body: change === null ? '<html>portal</html>' : receiptAnswer(r, change) }),
    () => outcome.push('acked'), (r, e) => outcome.push('refused:' + e.code), fakeTimers());
    box.add({ decision_id: 'dec-00000001', subject_id: 'b_AAAAAAAAAAAAAAAAAAAAAA', method: 'accept_all' });
    await box.flush(true);
    if (expect === 'retried') assert.deepEqual([outcome, box.pending()], [[], 1], JSON.stringify(change));
    else if (expect === 'acked') assert.deepEqual(outcome, ['acked']);
    else assert.deepEqual(outcome, ['refused:receipt.mismatch'], JSON.stringify(change));
  }
});

test('Retry-After is honoured within the backoff bounds; a 404 is dropped only when consentd says the site or notice does not exist', async () => {
  const { Outbox, retryDelay } = await src('outbox.js');
  const { Store } = await src('storage.js');
  assert.equal(retryDelay(1, () => 1, 30000), 30000);
  assert.equal(retryDelay(1, () => 1, 3600 * 1000), 300000, 'capped at 5 min');
  assert.equal(retryDelay(3, () => 1, 1000), 4000, 'never sooner than the backoff');
  const timers = fakeTimers();
  const box = new Outbox(new Store('shop', memoryStorage()), async () => ({ status: 503, retryAfterMs: 30000, body: null }),
    () => {}, () => assert.fail('kept'), timers);
  box.add({ decision_id: 'dec-00000001' });
  await box.flush(true);
  assert.equal(box.entries()[0].next_at, timers.now() + 30000);
  for (const [body, kept] of [[null, 1], ['<h1>Not Found</h1>', 1], [{ error: { code: 'request.not_found' } }, 1],
    [{ error: { code: 'site.unknown' } }, 0], [{ error: { code: 'notice.none_published' } }, 0]]) {
    const b = new Outbox(new Store('shop', memoryStorage()), async () => ({ status: 404, body }), () => {}, () => {}, fakeTimers());
    b.add({ decision_id: 'dec-00000001' });
    await b.flush(true);
    assert.equal(b.pending(), kept, JSON.stringify(body));
  }
});

test('the outbox stays bounded without dropping a withdrawal or the newest decision', async () => {
  const { Outbox, OUTBOX_LIMIT } = await src('outbox.js');
  const { Store } = await src('storage.js');
  const box = new Outbox(new Store('shop', memoryStorage()), async () => ({ status: 0 }), () => {}, () => {}, fakeTimers());
  const methods = [];
  for (let i = 0; i < 500; i++) {
    const method = ['accept_all', 'reject_all', 'withdraw'][i % 3];
    methods.push(method);
    box.add({ decision_id: 'dec-' + String(i).padStart(8, '0'), subject_id: 'b_AAAAAAAAAAAAAAAAAAAAAA', method,
      purposes: method === 'withdraw' ? ['analytics'] : undefined });
  }
  const kept = box.entries().map((e) => e.request);
  assert.ok(kept.length <= OUTBOX_LIMIT, `${kept.length} entries`);
  assert.equal(kept[kept.length - 1].decision_id, 'dec-00000499', 'the newest is kept');
  // Every withdrawal is still there, or the same choice made again later.
  for (let i = 0; i < 500; i++) {
    if (methods[i] === 'accept_all') continue;
    const later = kept.filter((r) => Number(r.decision_id.slice(4)) >= i);
    assert.ok(later.some((r) => r.method === methods[i]), `decision ${i} (${methods[i]}) is covered`);
  }
});

test('receipts kept per browser: the newest 20, plus the newest naming each purpose', async () => {
  const { keepReceipt, RECEIPT_LIMIT } = await src('receipts.js');
  let list = [];
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const receipt = (i, purposes) => ({ receipt_id: 'rcpt_' + i,
    receipt: part({}) + '.' + part({ purposes: purposes.map((id) => ({ id, state: 'granted' })) }) + '.c2ln' });
  list = keepReceipt(list, receipt(0, ['analytics', 'marketing']));
  for (let i = 1; i < 500; i++) list = keepReceipt(list, receipt(i, ['marketing']));
  list = keepReceipt(list, receipt(499, ['marketing']));   // the same receipt again: kept once
  assert.equal(RECEIPT_LIMIT, 20);
  assert.equal(list.length, 21);
  assert.equal(list[0].receipt_id, 'rcpt_0', 'the only receipt about analytics stays');
  assert.equal(list[list.length - 1].receipt_id, 'rcpt_499');
});

test('a refused decision falls back to the state before it, but never allows more than now, and later choices apply again', async () => {
  const { revertRefused } = await src('refusal.js');
  const { Store } = await src('storage.js');
  const store = new Store('shop', memoryStorage());
  const rec = (state) => ({ state, method: 'custom', notice_id: 'shop', notice_version: 1, decided_at: 1, receipt_id: '' });
  // Acknowledged: analytics granted. Refused: custom analytics off, marketing on. Queued after it: one more.
  store.set('state', { analytics: rec('denied'), marketing: rec('granted') });
  const entry = { request: { decision_id: 'refused-0001' }, before: { analytics: rec('granted') } };
  revertRefused(store, entry, [{ request: { decision_id: 'later-00001' } }]);
  assert.deepEqual(store.get('state'), { analytics: rec('denied') }, 'the grant goes, the withdrawal holds');
  assert.deepEqual(store.get('unapplied').map((r) => r.decision_id), ['later-00001']);
  // A choice made before the core ran was never applied: it is only taken back.
  store.set('unapplied', [{ decision_id: 'first-00001' }]);
  revertRefused(store, { request: { decision_id: 'first-00001' } }, []);
  assert.deepEqual(store.get('unapplied'), []);
  assert.deepEqual(store.get('state'), { analytics: rec('denied') });
});

// The banner's start-up (startup.js): every move of the table, each one taken from its state, and every
// other event ignored there, so that a late answer or a second click cannot move the page backwards.
const STARTUP_MOVES = [
  ['idle', 'firstVisit', 'fetchingView', 'a first visit asks consentd for the first-visit view'],
  ['idle', 'returning', 'loadingCore', 'a returning visitor needs the core at once'],
  ['fetchingView', 'viewShown', 'asking', 'the view and the DOM are there: the first layer is shown'],
  ['fetchingView', 'viewFailed', 'loadingCore', 'no view came: the core draws the question'],
  ['asking', 'answered', 'answered', 'accept or reject on the first layer, carried out from the server core\'s outcome'],
  ['asking', 'coreNeeded', 'loadingCore', 'the second layer, another tab\'s choice or a refusal needs the core'],
  ['answered', 'coreNeeded', 'loadingCore', 'after a first-layer choice, the core comes only when asked for'],
  ['loadingCore', 'coreReady', 'running', 'the core\'s banner takes the page over'],
  ['loadingCore', 'coreFailed', 'failed', 'no core: nothing gated runs'],
];

for (const [from, event, to, why] of STARTUP_MOVES) {
  test(`start-up: ${from} --${event}--> ${to} (${why})`, async () => {
    const { Startup, TRANSITIONS } = await src('startup.js');
    const entered = [];
    const onEnter = Object.fromEntries(Object.keys(TRANSITIONS).map((s) => [s, (data, was) => entered.push([s, data, was])]));
    const machine = new Startup(onEnter);
    machine.state = from;
    assert.equal(machine.send(event, { because: why }), true);
    assert.equal(machine.state, to);
    assert.deepEqual(entered, [[to, { because: why }, from]], 'the new state is entered once, with the event\'s data');
  });
}

test('start-up: the table has exactly these moves, and any other event leaves the state as it is', async () => {
  const { Startup, TRANSITIONS } = await src('startup.js');
  const moves = [];
  for (const [from, table] of Object.entries(TRANSITIONS)) for (const [event, to] of Object.entries(table)) moves.push([from, event, to]);
  assert.deepEqual(moves.sort(), STARTUP_MOVES.map((m) => m.slice(0, 3)).sort());
  const events = [...new Set(STARTUP_MOVES.map((m) => m[1]))];
  for (const state of Object.keys(TRANSITIONS)) {
    for (const event of events.filter((e) => !TRANSITIONS[state][e])) {
      let called = false;
      const machine = new Startup(Object.fromEntries(Object.keys(TRANSITIONS).map((s) => [s, () => { called = true; }])));
      machine.state = state;
      assert.equal(machine.send(event), false, `${state} ignores ${event}`);
      assert.equal(machine.state, state);
      assert.equal(called, false);
    }
  }
  assert.deepEqual(Object.keys(TRANSITIONS.running), [], 'running is final');
  assert.deepEqual(Object.keys(TRANSITIONS.failed), [], 'failed is final: fail closed');
});

test('start-up: a first visit answered on the first layer, then the second layer, walks the states in order', async () => {
  const { Startup } = await src('startup.js');
  const machine = new Startup({});
  for (const e of ['firstVisit', 'viewShown', 'answered', 'answered', 'coreNeeded', 'coreNeeded', 'coreReady', 'coreFailed'])
    machine.send(e);
  assert.deepEqual(machine.history, ['idle', 'fetchingView', 'asking', 'answered', 'loadingCore', 'running']);
});

test('after an erasure the store forgets every key of its site, and the next id is a new one', async () => {
  const { Store } = await src('storage.js');
  const storage = memoryStorage();
  storage.setItem('consent:other:subject', '"b_OTHERSITE000000000000"');
  const store = new Store('shop', storage);
  const first = store.subject();
  for (const key of ['state', 'receipts', 'outbox', 'unapplied', 'notice']) store.set(key, [key]);
  store.clear();
  assert.deepEqual([...storage.map.keys()], ['consent:other:subject'], 'another site\'s keys stay');
  assert.deepEqual(store.get('receipts', []), []);
  const next = store.subject();
  assert.match(next, /^b_[A-Za-z0-9_-]{22}$/);
  assert.notEqual(next, first);
});

test('a held outbox sends nothing until resumed, waits for the entry in flight, and clear() drops what waits', async () => {
  const { Outbox } = await src('outbox.js');
  const { Store } = await src('storage.js');
  const sent = [];
  let release;
  const gate = new Promise((r) => { release = r; });
  const box = new Outbox(new Store('shop', memoryStorage()), async (r) => {
    sent.push(r.decision_id);
    await gate;
    return { status: 503, body: null };
  }, () => {}, () => {}, fakeTimers());
  box.add({ decision_id: 'dec-00000001', subject_id: 'b_AAAAAAAAAAAAAAAAAAAAAA', method: 'accept_all' });
  box.flush(true);
  let settled = false;
  const held = box.hold().then(() => { settled = true; });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(settled, false, 'hold() waits for the request in flight');
  release();
  await held;
  await box.flush(true);
  assert.deepEqual(sent, ['dec-00000001'], 'nothing is sent while held');
  box.clear();
  assert.equal(box.pending(), 0);
  box.resume();
  await box.inFlight;
  assert.deepEqual(sent, ['dec-00000001']);
});

test('an erasure answer: a signed erasure receipt or "nothing there" forgets; offline, busy or refused forgets nothing', async () => {
  const { outcome } = await src('erasure/main.js');
  assert.equal(outcome({ status: 201, body: { erasure_id: 'rcpt_x', erasure: 'a.b.c' } }), 'erased');
  assert.equal(outcome({ status: 200, body: { erasure_id: 'rcpt_x', erasure: 'a.b.c', replayed: true } }), 'erased');
  assert.equal(outcome({ status: 404, body: { error: { code: 'subject.unknown' } } }), 'nothing');
  assert.equal(outcome({ status: 200, body: '<html>portal</html>' }), 'offline');
  assert.equal(outcome({ status: 0, body: null }), 'offline');
  assert.equal(outcome({ status: 503, body: { error: { code: 'storage.busy' } } }), 'offline');
  assert.equal(outcome({ status: 404, body: null }), 'offline');
  assert.equal(outcome({ status: 403, body: { error: { code: 'subject.token_required' } } }), 'refused');
  assert.equal(outcome({ status: 403, body: { error: { code: 'request.origin_not_allowed' } } }), 'refused');
});

test('Consent.whenAllowed: a callback runs once, when every purpose it names is allowed, in the order added; cancel, errors', async () => {
  const { AllowedCallbacks, drainQueue } = await src('allowed_callbacks.js');
  const callbacks = new AllowedCallbacks();
  const allowed = new Set();
  const ask = (p) => allowed.has(p);
  const ran = [];
  callbacks.add('analytics', () => ran.push('a'), ask);
  callbacks.add('analytics marketing', () => ran.push('a+m'), ask);
  callbacks.add(['marketing'], () => ran.push('m'), ask);
  const cancel = callbacks.add('analytics', () => ran.push('cancelled'), ask);
  cancel();
  callbacks.run(ask);
  assert.deepEqual(ran, [], 'nothing is allowed yet');
  allowed.add('analytics');
  callbacks.run(ask);
  assert.deepEqual(ran, ['a'], 'both purposes are needed for a+m');
  allowed.add('marketing');
  callbacks.run(ask);
  callbacks.run(ask);
  assert.deepEqual(ran, ['a', 'a+m', 'm'], 'each once, in the order added');
  callbacks.add('analytics', () => ran.push('now'), ask);
  assert.deepEqual(ran.slice(-1), ['now'], 'already allowed: at once');
  assert.throws(() => callbacks.add('', () => {}, ask), /at least one purpose/);
  assert.throws(() => callbacks.add('analytics', 'code', ask), /must be a function/);

  // The queue a site fills before consent.js runs, then pushes to afterwards.
  const errors = [];
  const original = console.error;
  console.error = (m) => errors.push(m);
  try {
    const win = { ConsentQueue: [['whenAllowed', 'analytics', () => ran.push('queued')], ['track', 'x']] };
    const seen = [];
    drainQueue(win, { whenAllowed: (purposes, fn) => { seen.push(purposes); fn(); } });
    win.ConsentQueue.push(['whenAllowed', 'marketing', () => ran.push('pushed')]);
    assert.deepEqual(seen, ['analytics', 'marketing']);
    assert.deepEqual(ran.slice(-2), ['queued', 'pushed']);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /unknown command "track"/);
  } finally {
    console.error = original;
  }
});
