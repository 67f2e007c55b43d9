// The Node mirror (clients/node, over the core's wasm module consent-mirror) against a real consentd
// (issue #15 items 3 and 6): its answers equal consentd's checks on a random
// workload; it follows restarts without a gap; it fails closed when its
// stream is cut or goes quiet.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { ConsentClient, Mirror, loadWasmCore } = require('../../../clients/node');
const { startSite, postDecision, subjectId, SITE } = require('../consentd_site.js');

const PURPOSES = ['necessary', 'analytics', 'marketing', 'unknown_purpose'];

// A small seeded generator (mulberry32): the same workload on every run.
function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: (list) => list[Math.floor(next() * list.length)], int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

async function setUp(t) {
  const site = await startSite(t, ['--heartbeat-seconds=1'], { fakeTime: true });
  const client = new ConsentClient(site.url, SITE, site.key);
  const mirror = await new Mirror(client, { staleAfterMs: 3000, clock: site.clock }).start();
  t.after(async () => {
    await mirror.stop();
    client.close();
  });
  return { site, client, mirror };
}

const mine = (mirror, pairs) => pairs.map(([s, p]) => {
  const v = mirror.verdict(s, p);
  return [v.allowed, v.reason, v.receipt_id || ''];
});
const theirs = async (client, pairs) => (await client.checkMany(pairs)).map((v) => [v.allowed, v.reason, v.receipt_id || '']);

test('the mirror answers as consentd does on a random workload', async (t) => {
  const { site, client, mirror } = await setUp(t);
  const rng = random(20261203);
  const subjects = Array.from({ length: 10 }, (_, i) => subjectId(100 + i));
  const pairs = [...subjects, subjectId(999)].flatMap((s) => PURPOSES.map((p) => [s, p]));
  const reasons = new Map();
  for (let step = 0; step < 60; step++) {
    const who = rng.pick(subjects);
    const op = rng.pick(step > 5 ? ['accept_all', 'reject_all', 'custom', 'gpc', 'withdraw', 'server_withdraw', 'notice', 'time']
      : ['accept_all', 'custom']);
    let eventId = mirror.eventId;
    let version = mirror.noticeVersion;
    if (op === 'time') {
      // 20 to 120 days and some seconds: grants (180 days) and refusals (90) expire on the way.
      site.advance(rng.int(20, 120) * 86400 + rng.int(0, 86399));
    } else if (op === 'notice') {
      const current = (await (await fetch(`${site.url}/v1/sites/${SITE}/notice`)).json()).notice;
      version = (await client.publishNotice({ ...current, version: current.version + 1, material: rng.next() < 0.5 })).version;
    } else if (op === 'server_withdraw') {
      eventId = (await client.withdraw(who, { purposes: rng.pick([undefined, ['marketing'], ['analytics']]) })).log_index;
    } else if (op === 'withdraw') {
      eventId = (await postDecision(site, who, 'withdraw', undefined, step, rng.pick([undefined, ['analytics']]))).log_index;
    } else if (op === 'custom' || op === 'gpc') {
      const choices = { analytics: rng.next() < 0.6 };
      if (op === 'custom') choices.marketing = rng.next() < 0.6;
      eventId = (await postDecision(site, who, op, choices, step)).log_index;
    } else {
      eventId = (await postDecision(site, who, op, undefined, step)).log_index;
    }
    assert.ok(await mirror.waitFor(eventId, version), `step ${step} (${op}) never reached the mirror`);
    const answers = mine(mirror, pairs);
    assert.deepEqual(answers, await theirs(client, pairs), `after step ${step}: ${op}`);
    for (const a of answers) reasons.set(a[1], (reasons.get(a[1]) || 0) + 1);
  }
  for (const reason of ['granted', 'denied', 'withdrawn', 'expired', 'notice_changed', 'no_decision', 'unknown_purpose', 'necessary'])
    assert.ok(reasons.has(reason), `no answer was ${reason}: ${JSON.stringify([...reasons])}`);
});

test('a withdrawal denies in the mirror, and a restart of consentd leaves no gap', async (t) => {
  const { site, client, mirror } = await setUp(t);
  const who = subjectId(1);
  assert.ok(await mirror.waitFor((await postDecision(site, who, 'accept_all')).log_index));
  assert.equal(mirror.allowed(who, 'marketing'), true);
  assert.ok(await mirror.waitFor((await client.withdraw(who, { purposes: ['marketing'] })).log_index));
  assert.equal(mirror.verdict(who, 'marketing').reason, 'withdrawn');
  await site.restart();
  const after = [];
  for (let i = 0; i < 3; i++) after.push(await postDecision(site, subjectId(2 + i), 'accept_all'));
  assert.ok(await mirror.waitFor(after.at(-1).log_index, 0, 20000));
  for (let i = 0; i < 3; i++) assert.equal(mirror.allowed(subjectId(2 + i), 'analytics'), true);
  assert.equal(mirror.subjects, 4);
});

// Polls (bounded) until the mirror denies: an erasure reaches it through the stream.
async function deniedWithin(mirror, who, purpose, ms = 5000) {
  const deadline = performance.now() + ms;
  while (mirror.allowed(who, purpose) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return !mirror.allowed(who, purpose);
}

test('an erased subject answers no_decision in the mirror, as consentd forgets it', async (t) => {
  const { site, client, mirror } = await setUp(t);
  const who = subjectId(20);
  const other = subjectId(21);
  await postDecision(site, who, 'accept_all');
  assert.ok(await mirror.waitFor((await postDecision(site, other, 'accept_all')).log_index));
  assert.equal(mirror.allowed(who, 'analytics'), true);
  const erased = await client.erase(who);
  assert.ok(await deniedWithin(mirror, who, 'analytics'));
  assert.equal(mirror.verdict(who, 'analytics').reason, 'no_decision');
  assert.equal((await client.check(who, 'analytics')).reason, 'no_decision');
  assert.ok(mirror.eventId >= erased.log_index);
  assert.equal(mirror.allowed(other, 'analytics'), true);
  assert.equal(mirror.subjects, 1);
  assert.deepEqual(mirror.errors, []);
});

test('an erasure consentd cannot name (consentctl erase) reloads the snapshot', async (t) => {
  const { site, mirror } = await setUp(t);
  const who = subjectId(22);
  const other = subjectId(23);
  assert.ok(await mirror.waitFor((await postDecision(site, who, 'accept_all')).log_index));
  assert.equal(mirror.allowed(who, 'analytics'), true);
  // consentctl erases in its own process: consentd never learns whom, so its
  // stream sends the erasure without subjects when the next receipt wakes it.
  site.ctl(['erase', `--site=${SITE}`, `--subject=${who}`, '--reason=subject_request']);
  const later = await postDecision(site, other, 'accept_all');
  assert.ok(await deniedWithin(mirror, who, 'analytics', 10000));
  assert.ok(await mirror.waitFor(later.log_index, 0, 10000));
  assert.equal(mirror.verdict(who, 'analytics').reason, 'no_decision');
  assert.equal(mirror.allowed(other, 'analytics'), true);
  assert.equal(mirror.subjects, 1);
});

test('a mirror that loses its stream starts denying', async (t) => {
  const { site, mirror } = await setUp(t);
  const who = subjectId(5);
  assert.ok(await mirror.waitFor((await postDecision(site, who, 'accept_all')).log_index));
  assert.equal(mirror.allowed(who, 'analytics'), true);
  site.pause();  // quiet: no heartbeat; after staleAfterMs the mirror denies
  try {
    const deadline = Date.now() + 10000;
    while (mirror.allowed(who, 'analytics') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(mirror.verdict(who, 'analytics').reason, 'mirror_stale');
  } finally {
    site.resume();
  }
  assert.ok(await mirror.waitFor(-1, 0, 20000));
  assert.equal(mirror.allowed(who, 'analytics'), true);
  site.kill();  // cut: the mirror denies at once
  const deadline = Date.now() + 2500;
  while (mirror.live && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(mirror.allowed(who, 'analytics'), false);
});

test('each applied withdrawal is acknowledged under the backend name and shows in the export', async (t) => {
  const { site, client } = await setUp(t);
  const newsletter = await new Mirror(client, { staleAfterMs: 3000, clock: site.clock, backend: 'newsletter' }).start();
  t.after(() => newsletter.stop());
  const who = subjectId(7);
  assert.ok(await newsletter.waitFor((await postDecision(site, who, 'accept_all')).log_index));
  const withdrawn = await client.withdraw(who, { purposes: ['marketing'] });
  // The visitor's own withdrawal of a purpose: acknowledged too.
  const byVisitor = await postDecision(site, who, 'withdraw', undefined, 1, ['analytics']);
  assert.ok(await newsletter.waitFor(byVisitor.log_index));
  let acks = [];
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    acks = (await client.export(who)).acknowledgements;
    if (acks.length === 2) break;
  }
  assert.deepEqual(acks.map((a) => [a.receipt_id, a.backend]),
    [[withdrawn.receipt_id, 'newsletter'], [byVisitor.receipt_id, 'newsletter']]);
  assert.ok(acks[0].acknowledged_at - withdrawn.server_time <= 1, 'stopped within the same second');
  const view = await client.backends();
  assert.equal(view.newest_withdrawal, byVisitor.log_index);
  assert.deepEqual(view.backends.map((b) => [b.backend, b.behind]), [['newsletter', false]]);
  // The operator's command says the same, read from the database.
  assert.deepEqual(JSON.parse(site.ctl(['backends', `--site=${SITE}`])), view);
  assert.deepEqual(newsletter.errors, []);
});

test("the core's table refuses what is not a notice, a state or a receipt with the core's error, and keeps answering", async () => {
  const table = (await loadWasmCore()).table();
  try {
    const refused = (fn) => assert.throws(fn, (e) => typeof e.code === 'string' && e.code.length > 0);
    refused(() => table.setNotice('not json'));
    refused(() => table.setNotice('{"notice":{},"version":1}'));
    refused(() => table.putState('s', '[1,2'));
    refused(() => table.apply('{"subject":"s","receipt_id":"r"}'));
    refused(() => table.apply('{"subject":7,"decision":{},"server_time":1,"receipt_id":"r"}'));
    assert.equal(table.subjects, 0);
    // No notice yet: denied, never a guess.
    assert.deepEqual(table.verdict('s', 'analytics', 1), { allowed: false, reason: 'no_decision', receipt_id: '' });
    assert.equal(table.allowed('s'.repeat(5000), 'ünïcode', 1), false);
  } finally {
    table.free();
  }
});
