// consentd must not stall (issue #10): slow, silent or greedy clients on
// 127.0.0.2 must never keep /healthz and an ordinary check from another client
// (127.0.0.1) from being answered. Every probe must be answered within 2 s and
// none may fail (a liveness bound, not a speed: speeds are in bench/stalls.js).
// Only flags the server has always had are used, so the same tests show the
// stalls on a server without the fix.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { connect, probe, sleep, parseResponses, cpuSeconds } = require('../support/raw_http.js');
const { startServer, openStream, waitFor } = require('./edge_server.js');

const DEADLINE_MS = 10000;  // ServerConfig's default deadline for a whole request head and body
const SLACK_MS = 3000;

function assertLive(report, what) {
  assert.ok(report.answered > 10, `${what}: only ${report.answered} probes ran`);
  assert.deepEqual(report.bad, [], `${what}: probes failed or took over 2 s`);
}

test('32 half-open request heads neither stall the server nor outlive the request deadline', async (t) => {
  const server = await startServer(t);
  const started = Date.now();
  const conns = await Promise.all(Array.from({ length: 40 }, () => connect(server.port)));
  for (const c of conns) c.socket.write('GET /healthz HTTP/1.1\r\nHost: consentd\r\n');
  const live = probe(server.base, server.ordinary);
  await Promise.race([Promise.all(conns.map((c) => c.closed)), sleep(DEADLINE_MS + SLACK_MS)]);
  assertLive(await live.stop(), 'half-open heads');
  for (const c of conns) {
    assert.ok(c.closedAt !== null && c.closedAt - started < DEADLINE_MS + SLACK_MS, 'the deadline closes a half-open head');
    const answers = parseResponses(c.received);
    assert.equal(answers.length, 1, 'a half-open head is told why it is closed');
    assert.equal(answers[0].status, 408);
    assert.equal(answers[0].json().error.code, 'request.timeout');
  }
});

test('40 connections trickling a byte a second are closed at the deadline and never stall the server', async (t) => {
  const server = await startServer(t);
  const started = Date.now();
  const conns = await Promise.all(Array.from({ length: 40 }, () => connect(server.port)));
  for (const c of conns) c.socket.write('GET /healthz HTTP/1.1\r\nX-Slow: ');
  const live = probe(server.base, server.ordinary);
  const trickle = setInterval(() => { for (const c of conns) if (!c.closedAt) c.socket.write('a'); }, 1000);
  await Promise.race([Promise.all(conns.map((c) => c.closed)), sleep(DEADLINE_MS + SLACK_MS)]);
  clearInterval(trickle);
  assertLive(await live.stop(), 'trickles');
  for (const c of conns)
    assert.ok(c.closedAt !== null && c.closedAt - started < DEADLINE_MS + SLACK_MS, 'a trickle does not extend the deadline');
});

test('40 open event streams on one API key leave the server answering, and the key is bounded', async (t) => {
  const server = await startServer(t);
  const live = probe(server.base, server.ordinary);
  const streams = [];
  for (let i = 0; i < 40; ++i) streams.push(openStream(server, 'bike-shop'));
  const opened = await Promise.all(streams.map((p) => Promise.race([p, sleep(5000).then(() => null)])));
  await sleep(2000);
  assertLive(await live.stop(), 'open event streams');
  const accepted = opened.filter((s) => s && s.status === 200);
  const refused = opened.filter((s) => s && s.status === 429);
  assert.equal(accepted.length, 32, 'ServerConfig allows 32 streams per API key');
  assert.equal(refused.length, 8);
  for (const s of refused) assert.equal(JSON.parse(s.text).error.code, 'request.too_many_streams');
  for (const s of opened) if (s) s.close();
});

test('idle event streams use no CPU while another site receives receipts, and still get heartbeats', async (t) => {
  const server = await startServer(t);
  const streams = await Promise.all(Array.from({ length: 16 }, () => openStream(server, 'bike-shop')));
  for (const s of streams) assert.equal(s.status, 200);
  t.after(() => { for (const s of streams) s.close(); });
  // A receipt on other-site made the single "newest" counter move past every bike-shop stream.
  assert.equal((await server.withdraw('other-site', 'acct-warmup')).status, 201);
  await sleep(300);
  const before = cpuSeconds(server.pid);
  for (let i = 0; i < 10; ++i) {
    assert.equal((await server.withdraw('other-site', `acct-${i}`)).status, 201);
    await sleep(200);
  }
  const used = cpuSeconds(server.pid) - before;
  // A busy spin burns both cores (about 4 s here); ten receipts cost a small fraction of one.
  assert.ok(used < 1.0, `the process used ${used.toFixed(2)} s of CPU in 2 s with idle streams`);
  for (const s of streams) {
    assert.deepEqual(s.events(), [], 'a receipt of another site is never sent to this one');
    assert.ok(s.heartbeats() >= 1, 'an idle stream gets heartbeats');
  }
});

test('a stream wakes for a receipt of its own site at once and delivers it', async (t) => {
  const server = await startServer(t);
  const stream = await openStream(server, 'bike-shop');
  t.after(() => stream.close());
  assert.equal((await server.withdraw('other-site', 'acct-elsewhere')).status, 201);
  const mine = await server.withdraw('bike-shop', 'acct-mine');
  assert.equal(mine.status, 201);
  await waitFor(() => stream.events().length === 1, 5000, 'the receipt event');
  assert.equal(stream.events()[0].id, mine.json().log_index);
  assert.equal(stream.events()[0].data.receipt_id, mine.json().receipt_id);
});
