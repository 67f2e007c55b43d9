// consentd's HTTP edge is strict (issue #10): request heads are framed by
// consentd itself under named limits (RFC 9112 §2–§6), and every refusal is the
// JSON error shape followed by a close. Raw bytes over real TCP on 127.0.0.1.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { connect, exchange, parseResponses, sleep, residentMiB, probe, timedGet } = require('../support/raw_http.js');
const { startServer, openStream, waitFor, ORIGIN } = require('./edge_server.js');

const NOTICE = 'GET /v1/sites/bike-shop/notice HTTP/1.1\r\nHost: consentd\r\n';

async function only(port, bytes) {
  const answers = await exchange(port, bytes);
  assert.equal(answers.length, 1, `one answer expected for ${JSON.stringify(bytes.slice(0, 80))}`);
  return answers[0];
}

function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.body);
  assert.equal(answer.json().error.code, code);
  assert.equal(answer.headers.connection, 'close');
}

test('a NUL byte, a bare CR or an obs-fold in a header is refused with 400, never truncated', async (t) => {
  const server = await startServer(t);
  const allowed = await only(server.port, `${NOTICE}Origin: ${ORIGIN}\r\nConnection: close\r\n\r\n`);
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers['access-control-allow-origin'], ORIGIN);
  for (const bad of [`Origin: ${ORIGIN}\0.evil\r\n`, `Origin: ${ORIGIN}\r.evil\r\n`, `X-Folded: a\r\n b\r\n`,
    'Bad Name: x\r\n', ': no name\r\n', 'No-Colon\r\n']) {
    const answer = await only(server.port, `${NOTICE}${bad}\r\n`);
    assert.equal(answer.headers['access-control-allow-origin'], undefined);
    assertError(answer, 400, 'request.invalid_header');
  }
});

test('a head over 16 KiB or over 100 headers is refused with 431', async (t) => {
  const server = await startServer(t);
  assertError(await only(server.port, `${NOTICE}X-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`), 431, 'request.header_too_large');
  const many = Array.from({ length: 101 }, (_, i) => `X-H${i}: v\r\n`).join('');
  assertError(await only(server.port, `${NOTICE}${many}\r\n`), 431, 'request.header_too_large');
  const fine = Array.from({ length: 90 }, (_, i) => `X-H${i}: v\r\n`).join('');
  assert.equal((await only(server.port, `${NOTICE}${fine}Connection: close\r\n\r\n`)).status, 200);
});

test('16 clients sending a million headers each get 431 and the server stays small and live', async (t) => {
  const server = await startServer(t);
  const rssBefore = residentMiB(server.pid);
  const live = probe(server.base, server.ordinary);
  const line = Buffer.from('X-A: b\r\n'.repeat(1 << 14));  // 16 Ki headers per write, 64 writes: 1 Mi headers
  const flood = async () => {
    const c = await connect(server.port);
    c.socket.write(NOTICE);
    for (let i = 0; i < 64 && !c.closedAt && !c.error; ++i) {
      if (!c.socket.write(line)) await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.closed]);
    }
    await Promise.race([c.closed, sleep(10000)]);
    c.socket.destroy();
    return parseResponses(c.received);
  };
  const answers = await Promise.all(Array.from({ length: 16 }, flood));
  const report = await live.stop();
  assert.deepEqual(report.bad, []);
  const grown = residentMiB(server.pid) - rssBefore;
  assert.ok(grown < 200, `the process grew by ${grown.toFixed(0)} MiB`);
  for (const a of answers) {
    assert.equal(a.length, 1);
    assert.equal(a[0].status, 431);
  }
});

test('Content-Length must be one decimal number and Transfer-Encoding is refused on requests', async (t) => {
  const server = await startServer(t);
  const post = 'POST /v1/sites/bike-shop/checks HTTP/1.1\r\nHost: consentd\r\nContent-Type: application/json\r\n';
  for (const bad of ['Content-Length: 1,2\r\n', 'Content-Length: -1\r\n', 'Content-Length: 0x10\r\n',
    'Content-Length: 2\r\nContent-Length: 3\r\n', 'Content-Length: 99999999999999999999999\r\n'])
    assertError(await only(server.port, `${post}${bad}\r\n{}`), 400, 'request.invalid_content_length');
  assertError(await only(server.port, `${post}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`), 411,
    'request.length_required');
  assertError(await only(server.port, `${post}Transfer-Encoding: gzip\r\n\r\n`), 501, 'request.transfer_encoding_unsupported');
  assertError(await only(server.port, `${post}Content-Length: ${20 << 20}\r\n\r\n`), 413, 'request.body_too_large');
  assertError(await only(server.port, 'GET /healthz HTTP/1.1\r\n\r\n'), 400, 'request.invalid');  // no Host (RFC 9112 §3.2)
  assertError(await only(server.port, 'GET /healthz HTTP/2.0\r\nHost: a\r\n\r\n'), 505, 'request.http_version_unsupported');
});

test('two pipelined requests are both answered, in order', async (t) => {
  const server = await startServer(t);
  const answers = await exchange(server.port, 'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n' +
    'GET /.well-known/jwks.json HTTP/1.1\r\nHost: a\r\n\r\n' +
    'GET /v1/sites/bike-shop/notice HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
  assert.equal(answers[0].json().status, 'ok');
  assert.ok(Array.isArray(answers[1].json().keys));
  assert.equal(answers[2].json().notice.version, 3);
});

test('a request body split over several packets is framed whole, and keep-alive serves the next', async (t) => {
  const server = await startServer(t);
  const c = await connect(server.port);
  const body = JSON.stringify({ checks: [{ subject: 'b_Q2xhcmEtYnJvd3Nlci0wMQ', purpose: 'analytics' }] });
  c.socket.write(`POST /v1/sites/bike-shop/checks HTTP/1.1\r\nHost: a\r\nAuthorization: ${server.auth('bike-shop').Authorization}\r\n`);
  await sleep(100);
  c.socket.write(`Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  await sleep(100);
  c.socket.write(body.slice(10));
  await waitFor(() => parseResponses(c.received).length === 1, 5000, 'the first answer');
  c.socket.write('GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  await c.closed;
  const answers = parseResponses(c.received);
  assert.deepEqual(answers.map((a) => a.status), [200, 200]);
  assert.equal(answers[0].json().results.length, 1);
});

test('PUT or DELETE on a known route is 405 with Allow, an unknown path stays 404', async (t) => {
  const server = await startServer(t);
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    const a = await only(server.port, `${method} /v1/sites/bike-shop/notice HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n`);
    assert.equal(a.status, 405);
    assert.equal(a.json().error.code, 'request.method_not_allowed');
    assert.deepEqual(a.headers.allow.split(', ').sort(), ['GET', 'HEAD', 'OPTIONS']);
  }
  const post = await only(server.port, 'POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  const missing = await only(server.port, 'PUT /v1/nothing HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  assert.equal(missing.status, 404);
  assert.equal(missing.json().error.code, 'request.not_found');
});

test('the event stream delivers every receipt, heartbeats, and resumes after Last-Event-ID without gap or duplicate', async (t) => {
  const server = await startServer(t);
  const made = [];
  for (let i = 0; i < 3; ++i) made.push((await server.withdraw('bike-shop', `acct-before-${i}`)).json());
  const first = await openStream(server, 'bike-shop');
  assert.equal(first.status, 200);
  assert.match(first.headers['content-type'], /^text\/event-stream/);
  await waitFor(() => first.events().length === 3, 5000, 'the stored receipts');
  for (let i = 0; i < 3; ++i) made.push((await server.withdraw('bike-shop', `acct-live-${i}`)).json());
  await waitFor(() => first.events().length === 6, 5000, 'the live receipts');
  await waitFor(() => first.heartbeats() >= 1, 5000, 'a heartbeat');
  assert.deepEqual(first.events().map((e) => e.id), made.map((m) => m.log_index));
  assert.deepEqual(first.events().map((e) => e.data.receipt_id), made.map((m) => m.receipt_id));
  assert.equal(first.events()[0].data.method, 'server_withdraw');
  first.close();

  const resumed = await openStream(server, 'bike-shop', { lastEventId: made[3].log_index });
  t.after(() => resumed.close());
  await waitFor(() => resumed.events().length === 2, 5000, 'the receipts after Last-Event-ID');
  await sleep(300);
  assert.deepEqual(resumed.events().map((e) => e.id), made.slice(4).map((m) => m.log_index));
  const refused = await openStream(server, 'bike-shop', { lastEventId: 'x1' });
  assert.equal(refused.status, 400);
});

test('a client over its connection cap is refused with 503 while other clients are served', async (t) => {
  const server = await startServer(t, ['--max-connections-per-client=8']);
  const held = await Promise.all(Array.from({ length: 8 }, () => connect(server.port)));
  const extra = await connect(server.port);
  await Promise.race([extra.closed, sleep(5000)]);
  const answer = parseResponses(extra.received);
  assert.equal(answer.length, 1);
  assertError(answer[0], 503, 'request.too_many_connections');
  const other = await timedGet(`${server.base}/healthz`);
  assert.equal(other.status, 200);
  for (const c of held) c.socket.destroy();
});
