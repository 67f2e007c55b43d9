// consentd as a service (issue #16 item 2, and the backups of item 6): real
// binaries on real files in fresh temporary directories, real HTTP on 127.0.0.1.
// - a configuration file read with --config, flags overriding it;
// - one request log line per request with its id (the X-Request-Id answered),
//   method, route template, status, latency and size, and never a subject id,
//   an API key, a subject token or a query string;
// - SIGTERM: new connections refused, a request already under way answered,
//   every acknowledged receipt stored, exit 0;
// - consentctl backup while decisions are written: the copy audits, holds
//   every receipt acknowledged before it began, and a consentd serves it.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawnConsentd, request } = require('../support/consentd_process.js');

const consentd = path.resolve(process.env.CONSENTD);
const consentctl = path.resolve(process.env.CONSENTCTL);
const noticeFile = path.resolve(process.env.CONSENT_TEST_DATA_DIR, 'notices', 'shop.json');
const VERSION = process.env.CONSENT_VERSION;
const SITE = 'bike-shop';
const ORIGIN = 'https://velo.example';
// Load from one address: the banner's per-client rate limit would refuse most of it.
const UNLIMITED = ['--rate-per-minute=1000000', '--rate-burst=1000000', '--log-requests=off'];

function ctl(args) {
  const r = spawnSync(consentctl, args, { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, `consentctl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// consentctl without blocking the event loop (clients keep posting meanwhile).
function ctlAsync(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(consentctl, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

function sqlite(db, sql) {
  const r = spawnSync('sqlite3', [db, sql], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

// A site with the shop notice and an API key, in a fresh directory.
function workspace(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consentd-service-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'consent.db');
  const keys = path.join(dir, 'keys');
  const common = [`--database=${db}`, `--keys=${keys}`];
  ctl(['init', ...common, `--site=${SITE}`, `--origin=${ORIGIN}`]);
  ctl(['notice', 'publish', noticeFile, `--site=${SITE}`, ...common]);
  const apiKey = ctl(['apikey', 'create', `--site=${SITE}`, ...common]).trim();
  return { dir, db, keys, common, apiKey };
}

const subjectId = () => `b_${crypto.randomBytes(16).toString('base64url').slice(0, 22)}`;

let noticeCache = null;
async function decisionBody(base, subject, choices = { analytics: true, marketing: false }) {
  noticeCache ??= (await request('GET', `${base}/v1/sites/${SITE}/notice`)).json();
  return JSON.stringify({
    decision_id: `dec-${crypto.randomBytes(9).toString('base64url')}`, subject_id: subject, notice_id: SITE,
    notice_version: noticeCache.notice.version, notice_hash: noticeCache.hash, language: 'en', method: 'custom', choices,
  });
}

const json = { 'Content-Type': 'application/json', Origin: ORIGIN };

// Clients posting decisions until stopped; acks are {receipt_id, subject, at}.
function load(base, clients) {
  const acks = [];
  let running = true;
  let failures = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const one = async () => {
    while (running) {
      const subject = subjectId();
      const body = await decisionBody(base, subject);
      const answer = await new Promise((resolve) => {
        const req = http.request(`${base}/v1/sites/${SITE}/decisions`, { method: 'POST', agent, headers: json, timeout: 15000 },
          (res) => {
            let text = '';
            res.on('data', (d) => { text += d; });
            res.on('end', () => resolve({ status: res.statusCode, text }));
            res.on('error', () => resolve(null));
          });
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(null));
        req.end(body);
      });
      if (answer && answer.status >= 200 && answer.status < 300) {
        acks.push({ receipt_id: JSON.parse(answer.text).receipt_id, subject, at: Date.now() });
      } else {
        failures += 1;
        if (failures > 50 && running) await new Promise((r) => setTimeout(r, 20));  // consentd is going away
      }
    }
  };
  const done = Promise.all(Array.from({ length: clients }, one));
  return {
    acks,
    get failures() { return failures; },
    until: async (n) => { while (acks.length < n) await new Promise((r) => setTimeout(r, 10)); },
    stop: async () => { running = false; await done; agent.destroy(); },
  };
}

test('consentd and consentctl print their version and a help line per option', () => {
  for (const program of [consentd, consentctl]) {
    const version = spawnSync(program, ['--version'], { encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout, `${path.basename(program)} ${VERSION}\n`);
    const help = spawnSync(program, ['--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage/);
  }
  const help = spawnSync(consentd, ['--help'], { encoding: 'utf8' }).stdout;
  for (const option of ['config', 'database', 'keys', 'port', 'trusted-proxy', 'log-requests', 'log-file', 'stop-timeout-seconds'])
    assert.match(help, new RegExp(`^  --${option}=\\S+ +\\S`, 'm'), `--help lacks --${option}`);
  const bad = spawnSync(consentd, ['--prot=1'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^consentd: unknown option --prot \(consentd --help lists the options\)\n$/);
});

test('a request log line per request names the route template, never a subject, key, token or query', async (t) => {
  const ws = workspace(t);
  const logFile = path.join(ws.dir, 'requests.log');
  const conf = path.join(ws.dir, 'consentd.conf');
  // The file sets the paths and a port the flag overrides; a wrong line would stop start-up.
  fs.writeFileSync(conf, `# test\ndatabase = ${ws.db}\nkeys = ${ws.keys}\nport = 1\nlog-requests = on\n`);
  const server = await spawnConsentd(consentd, [`--config=${conf}`, '--port=0', `--log-file=${logFile}`]);
  t.after(server.stop);
  const base = server.url;

  const subject = subjectId();
  const account = 'user-4711@velo.example';
  const token = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyLTQ3MTEifQ.c2lnbmF0dXJlLW5vdC12YWxpZA';
  const secretQuery = 'q-7c1f3a9e-do-not-log';
  const answers = [];
  answers.push(await request('POST', `${base}/v1/sites/${SITE}/decisions`, json, await decisionBody(base, subject)));
  answers.push(await request('POST', `${base}/v1/sites/${SITE}/decisions`, { ...json, 'Consent-Subject-Token': token },
    await decisionBody(base, account)));
  const auth = { Authorization: `Bearer ${ws.apiKey}` };
  answers.push(await request('GET', `${base}/v1/sites/${SITE}/subjects/${subject}/purposes/analytics?${secretQuery}=1`, auth));
  answers.push(await request('GET', `${base}/v1/sites/${SITE}/subjects/${account}/export`, auth));
  answers.push(await request('GET', `${base}/v1/sites/${SITE}/banner-view?languages=de&gpc=1&${secretQuery}`));
  answers.push(await request('GET', `${base}/no/such/${subject}`));
  assert.deepEqual(answers.map((a) => a.status), [201, 403, 200, 200, 200, 404]);
  await server.stop();

  const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.length >= answers.length, `${lines.length} log lines for ${answers.length} requests`);
  for (const line of lines) {
    assert.deepEqual(Object.keys(line), ['time', 'id', 'method', 'route', 'status', 'latency_us', 'bytes']);
    assert.ok(Number.isInteger(line.latency_us) && line.latency_us >= 0);
    assert.ok(Number.isInteger(line.bytes) && line.bytes > 0);
  }
  const byId = new Map(lines.map((l) => [l.id, l]));
  const expected = [
    ['POST', `/v1/sites/{site}/decisions`, 201],
    ['POST', `/v1/sites/{site}/decisions`, 403],
    ['GET', `/v1/sites/{site}/subjects/{subject}/purposes/{purpose}`, 200],
    ['GET', `/v1/sites/{site}/subjects/{subject}/export`, 200],
    ['GET', `/v1/sites/{site}/banner-view`, 200],
    ['GET', '-', 404],
  ];
  answers.forEach((answer, i) => {
    const id = answer.headers['x-request-id'];
    assert.match(id ?? '', /^[A-Za-z0-9_-]{8}-[0-9a-f]{6,}$/);
    const line = byId.get(id);
    assert.ok(line, `no log line for request ${id}`);
    assert.deepEqual([line.method, line.route, line.status], expected[i]);
    assert.ok(line.bytes > Buffer.byteLength(answer.text), `bytes of ${id} count the head and the body`);
  });
  assert.equal(new Set(lines.map((l) => l.id)).size, lines.length, 'request ids are unique');

  const everything = fs.readFileSync(logFile, 'utf8');
  for (const secret of [subject, account, encodeURIComponent(account), ws.apiKey, ws.apiKey.split('.')[1], token,
    token.split('.')[2], secretQuery, SITE])
    assert.ok(!everything.includes(secret), `the request log holds ${secret}`);
});

test('--log-requests=off writes no request line', async (t) => {
  const ws = workspace(t);
  const server = await spawnConsentd(consentd, [...ws.common, '--port=0', '--log-requests=off']);
  let stderr = '';
  server.child.stderr.on('data', (d) => { stderr += d; });
  t.after(server.stop);
  assert.equal((await request('GET', `${server.url}/healthz`)).status, 200);
  await server.stop();
  assert.doesNotMatch(stderr, /"route"/);
});

// Raw HTTP on one socket: a first request answered (so consentd holds the
// connection), then the head and part of a body, and the rest later.
function partialRequest(port, head, body, firstPart) {
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  socket.setEncoding('utf8');
  const closed = new Promise((resolve) => socket.on('close', () => resolve(answer)));
  socket.on('error', () => {});
  const opened = new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  return {
    start: async () => {
      await opened;
      await new Promise((resolve) => {
        let first = '';
        const onData = (d) => {
          first += d;
          if (!/\r\n\r\n\{[^\n]*\}$/.test(first)) return;
          socket.off('data', onData);
          socket.on('data', (more) => { answer += more; });
          resolve();
        };
        socket.on('data', onData);
        socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      });
      socket.write(head + body.slice(0, firstPart));
    },
    finish: () => socket.write(body.slice(firstPart)),
    closed,
  };
}

function refusesConnections(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', (e) => resolve(e.code === 'ECONNREFUSED'));
  });
}

test('SIGTERM: new connections are refused, requests under way are answered, every acknowledged receipt is stored', async (t) => {
  const ws = workspace(t);
  const server = await spawnConsentd(consentd, [...ws.common, '--port=0', ...UNLIMITED]);
  t.after(server.stop);
  let stdout = '';
  server.child.stdout.on('data', (d) => { stdout += d; });
  const exited = new Promise((resolve) => server.child.once('exit', (code, signal) => resolve({ code, signal })));

  const traffic = load(server.url, 8);
  await traffic.until(100);
  // A decision whose head and half its body are in when the signal comes.
  const late = subjectId();
  const body = await decisionBody(server.url, late);
  const head = `POST /v1/sites/${SITE}/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Origin: ${ORIGIN}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  const pending = partialRequest(server.port, head, body, 40);
  await pending.start();
  await new Promise((r) => setTimeout(r, 20));  // at the socket; read by the loop now or at the stop
  server.child.kill('SIGTERM');
  // While the pending request holds the drain open, the listener is already gone.
  let refused = false;
  for (let i = 0; i < 200 && !refused; i += 1) {
    refused = await refusesConnections(server.port);
    if (!refused) await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(refused, 'consentd still accepted connections after SIGTERM');
  pending.finish();
  const answer = await pending.closed;
  assert.match(answer, /^HTTP\/1\.1 201 /, `the request under way got: ${answer.slice(0, 200)}`);
  assert.match(answer, /\r\nConnection: close\r\n/i);
  const lateReceipt = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).receipt_id;

  const { code, signal } = await exited;
  await traffic.stop();
  assert.deepEqual({ code, signal }, { code: 0, signal: null });
  assert.match(stdout, /consentd stopping/);
  assert.match(stdout, /consentd stopped/);

  const acknowledged = [...traffic.acks.map((a) => a.receipt_id), lateReceipt];
  const stored = new Set(sqlite(ws.db, 'SELECT receipt_id FROM receipts').trim().split('\n'));
  const lost = acknowledged.filter((id) => !stored.has(id));
  assert.deepEqual(lost, [], `${lost.length} acknowledged receipts are not stored`);
  assert.equal(stored.size, acknowledged.length, 'a receipt is stored that no client was answered for');
  assert.match(ctl(['audit', ...ws.common]), /^ok: state equals the rebuild/);
  t.diagnostic(`${acknowledged.length} acknowledged receipts, all stored; ${traffic.failures} requests refused or cut at the stop`);
});

test('consentctl backup under load: the copy audits, holds every earlier receipt, and serves', async (t) => {
  const ws = workspace(t);
  const server = await spawnConsentd(consentd, [...ws.common, '--port=0', ...UNLIMITED]);
  t.after(server.stop);
  const traffic = load(server.url, 6);
  await traffic.until(200);
  const before = traffic.acks.slice();
  const copy = path.join(ws.dir, 'backup', 'consent-copy.db');
  fs.mkdirSync(path.dirname(copy));
  const backup = await ctlAsync(['backup', `--to=${copy}`, `--database=${ws.db}`]);
  const during = traffic.acks.length;
  await traffic.until(during + 50);  // writes went on through and after the copy
  await traffic.stop();
  await server.stop();
  assert.equal(backup.status, 0, backup.stderr);
  const reported = Number(backup.stdout.match(/^backup of (\d+) receipts \(schema version \d+, \d+ bytes\) written to /)?.[1]);
  assert.ok(reported >= before.length, `the backup has ${reported} receipts, ${before.length} were acknowledged before it`);
  assert.ok(reported < traffic.acks.length, 'the backup is a snapshot, not the final state');
  assert.deepEqual(fs.readdirSync(path.dirname(copy)), ['consent-copy.db'], 'one self-contained file, no -wal or partial left');

  const stored = new Set(sqlite(copy, 'SELECT receipt_id FROM receipts').trim().split('\n'));
  assert.equal(stored.size, reported);
  assert.deepEqual(before.filter((a) => !stored.has(a.receipt_id)), []);
  assert.match(ctl(['audit', `--database=${copy}`, `--keys=${ws.keys}`]), new RegExp(`^ok: state equals the rebuild from ${reported} receipts`));

  // Restore: put the copy in place of a lost database and serve it.
  const restored = path.join(ws.dir, 'restored.db');
  fs.copyFileSync(copy, restored);
  const again = await spawnConsentd(consentd, [`--database=${restored}`, `--keys=${ws.keys}`, '--port=0', '--log-requests=off']);
  t.after(again.stop);
  assert.equal((await request('GET', `${again.url}/healthz`)).json().receipts, reported);
  const check = await request('GET', `${again.url}/v1/sites/${SITE}/subjects/${before[0].subject}/purposes/analytics`,
    { Authorization: `Bearer ${ws.apiKey}` });
  assert.deepEqual([check.status, check.json().allowed, check.json().receipt_id], [200, true, before[0].receipt_id]);
  await again.stop();

  // A backup never overwrites, and a missing database is one line and exit 66.
  const exists = spawnSync(consentctl, ['backup', `--to=${copy}`, `--database=${ws.db}`], { encoding: 'utf8' });
  assert.equal(exists.status, 65);
  assert.match(exists.stderr, /^consentctl: backup\.exists: [^\n]+\n$/);
  const missing = spawnSync(consentctl, ['backup', `--to=${copy}.2`, `--database=${ws.db}.nope`], { encoding: 'utf8' });
  assert.equal(missing.status, 66);
  assert.match(missing.stderr, /^consentctl: backup\.no_source: /);
  assert.equal(fs.existsSync(`${copy}.2`), false);
});
