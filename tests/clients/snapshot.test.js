// GET /v1/sites/{site}/snapshot over real HTTP against a real consentd (issue
// #15 item 1): pages of every subject's state as of one event id that fit
// together whenever they are read (more receipts meanwhile, a restart between
// pages), and the event stream resumed from that id gives exactly the
// receipts after it: no gap, no duplicate.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { startSite, postDecision, subjectId, SITE } = require('./consentd_site.js');

const auth = (site) => ({ Authorization: `Bearer ${site.key}` });

async function page(site, query = '') {
  const r = await fetch(`${site.url}/v1/sites/${SITE}/snapshot${query}`, { headers: auth(site) });
  return { status: r.status, body: await r.json() };
}

// Every page at one event id, limit subjects each.
async function allPages(site, at, limit, between = async () => {}) {
  const subjects = [];
  let query = `?limit=${limit}${at === undefined ? '' : `&at=${at}`}`;
  let eventId;
  for (;;) {
    const { status, body } = await page(site, query);
    assert.equal(status, 200, JSON.stringify(body));
    eventId ??= body.event_id;
    assert.equal(body.event_id, eventId, 'every page is at the first page\'s event id');
    subjects.push(...body.subjects);
    if (!body.next) return { eventId, subjects };
    await between();
    query = `?limit=${limit}&at=${body.next.at}&after=${encodeURIComponent(body.next.after)}`;
  }
}

// The events of a stream opened with Last-Event-ID, until `count` receipts came.
function readEvents(site, lastEventId, count, query = '?notices=1') {
  return new Promise((resolve, reject) => {
    const headers = { ...auth(site), 'Last-Event-ID': String(lastEventId) };
    const req = http.get(`${site.url}/v1/sites/${SITE}/events${query}`, { headers }, (res) => {
      let buffer = '';
      const events = [];
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => l && !l.startsWith(':'))
            .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
          if (fields.event) events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
          if (events.filter((e) => e.event === 'receipt').length >= count) {
            req.destroy();
            resolve(events);
          }
        }
      });
    });
    req.on('error', (e) => { if (e.code !== 'ECONNRESET') reject(e); });
    setTimeout(() => { req.destroy(); reject(new Error('the stream did not deliver in time')); }, 15000);
  });
}

test('an empty site snapshots at event id -1 with no subject', async (t) => {
  const site = await startSite(t);
  const { status, body } = await page(site);
  assert.equal(status, 200);
  assert.equal(body.event_id, -1);
  assert.deepEqual(body.subjects, []);
  assert.equal(body.next, null);
  assert.equal(body.notice.version, 3);
  assert.equal(body.notice.notice.notice_id, 'bike-shop');
  assert.equal((await page(site, '?at=-1')).status, 200);
});

test('pages at one event id stay that state while receipts arrive and consentd restarts', async (t) => {
  const site = await startSite(t);
  for (let i = 0; i < 7; i++) await postDecision(site, subjectId(i), i % 2 ? 'accept_all' : 'reject_all');
  const before = await allPages(site, undefined, 100);
  assert.equal(before.eventId, 6);
  assert.equal(before.subjects.length, 7);
  assert.deepEqual(before.subjects.map((s) => s.subject), before.subjects.map((s) => s.subject).sort());

  // While the pages are read, every subject changes and new ones appear, and consentd restarts.
  let round = 0;
  const paged = await allPages(site, before.eventId, 2, async () => {
    round += 1;
    for (let i = 0; i < 7; i++) {
      await fetch(`${site.url}/v1/sites/${SITE}/subjects/${subjectId(i)}/withdrawals`,
        { method: 'POST', headers: auth(site) });
    }
    await postDecision(site, subjectId(100 + round), 'accept_all');
    if (round === 2) await site.restart();
  });
  assert.equal(paged.eventId, before.eventId);
  assert.deepEqual(paged.subjects, before.subjects, 'the pages hold the state at the event id, not the newest');

  const now = await allPages(site, undefined, 1000);
  assert.ok(now.eventId > before.eventId);
  assert.ok(now.subjects.length > before.subjects.length);
  const marketing = now.subjects.find((s) => s.subject === subjectId(1)).state.marketing;
  assert.equal(marketing.method, 'server_withdraw');
});

test('the stream resumed from a snapshot\'s event id gives every later receipt once, after the notice', async (t) => {
  const site = await startSite(t);
  for (let i = 0; i < 5; i++) await postDecision(site, subjectId(i), 'accept_all');
  const snap = await allPages(site, undefined, 2);
  const later = [];
  for (let i = 3; i < 9; i++) later.push(await postDecision(site, subjectId(i), i % 2 ? 'reject_all' : 'accept_all', undefined, 1));
  const events = await readEvents(site, snap.eventId, later.length);
  assert.equal(events[0].event, 'notice', 'the current notice comes first');
  assert.equal(events[0].data.version, 3);
  assert.equal(events[0].id, undefined, 'a notice event moves no Last-Event-ID');
  const receipts = events.filter((e) => e.event === 'receipt');
  assert.deepEqual(receipts.map((e) => Number(e.id)), later.map((r) => r.log_index));
  assert.deepEqual(receipts.map((e) => e.data.receipt_id), later.map((r) => r.receipt_id));
  // Each event carries the decision, as the core reads it from the signed receipt.
  assert.equal(receipts[0].data.decision.method, 'reject_all');
  assert.deepEqual(receipts[0].data.decision.purposes, { necessary: 'granted', analytics: 'denied', marketing: 'denied' });
  assert.equal(receipts[1].data.decision.method, 'accept_all');
});

test('a newly published notice reaches an open stream as a notice event', async (t) => {
  const site = await startSite(t);
  const notice = (await page(site)).body.notice.notice;
  const stream = readEvents(site, -1, 1);
  await new Promise((r) => setTimeout(r, 300));
  const next = { ...notice, version: 4, material: true };
  const published = await fetch(`${site.url}/v1/sites/${SITE}/notices`, {
    method: 'POST', headers: { ...auth(site), 'Content-Type': 'application/json' }, body: JSON.stringify(next),
  });
  assert.equal(published.status, 201);
  await postDecision(site, subjectId(1), 'accept_all');
  const events = await stream;
  assert.deepEqual(events.filter((e) => e.event === 'notice').map((e) => e.data.version), [3, 4]);
  assert.equal(events.at(-1).data.decision.notice_version, 4);
});

test('a snapshot refuses an event id ahead of the log, a bad limit or cursor, and a missing key', async (t) => {
  const site = await startSite(t);
  await postDecision(site, subjectId(1), 'accept_all');
  const cases = [
    ['?at=1', 400, 'snapshot.position_ahead'],
    ['?at=-2', 400, 'request.invalid_parameter'],
    ['?limit=0', 400, 'request.invalid_parameter'],
    ['?limit=5001', 400, 'request.invalid_parameter'],
    ['?after=not%20a%20subject', 400, 'request.invalid_subject'],
  ];
  for (const [query, status, code] of cases) {
    const r = await page(site, query);
    assert.equal(r.status, status, query);
    assert.equal(r.body.error.code, code, query);
  }
  const r = await fetch(`${site.url}/v1/sites/${SITE}/snapshot`);
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error.code, 'auth.missing_key');
});
