// consentd behind Debian's nginx, with the shipped site file deploy/nginx/consentd.conf
// (issue #10 item 8): TLS with a throwaway certificate, banner routes and CORS
// through the proxy, one rate-limit bucket per client that nginx names (and none
// that a client names itself), the event stream unbuffered, and the stalls of
// item 4 absorbed by nginx so that consentd keeps answering through it.
//
// Addresses: Linux routes all of 127/8 to loopback. nginx listens on 127.0.0.1
// and reaches consentd from 127.0.0.2 (the site file's proxy_bind); consentd
// trusts 127.0.0.2 only. Each test's clients use their own 127.0.0.x, so their
// buckets never meet.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');
const { spawnConsentd, request } = require('../support/consentd_process.js');

const consentd = path.resolve(process.env.CONSENTD);
const consentctl = path.resolve(process.env.CONSENTCTL);
const noticeFile = path.resolve(process.env.CONSENT_TEST_DATA_DIR, 'notices', 'shop.json');
const siteFile = path.resolve(__dirname, '..', '..', 'deploy', 'nginx', 'consentd.conf');
const NGINX = '/usr/sbin/nginx';
const SITE = 'bike-shop';
const ORIGIN = 'https://velo.example';
const PROXY = '127.0.0.2';  // the site file's proxy_bind
const BANNER_BURST = 3;     // consentd's --rate-burst here (refilled once a minute)
const OPEN_BURST = 5;       // --open-rate-burst
const LIVENESS_MS = 2000;   // every probe through nginx must be answered within this
const HEADER_TIMEOUT_MS = 10000;  // the site file's client_header_timeout

let env;  // {dir, ca, nginxPort, consentdUrl, apiKey, stop()}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// A throwaway Ed25519 certificate for 127.0.0.1, valid for a day.
function makeCertificate(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'pipe' });
  fs.chmodSync(key, 0o600);  // read by nginx's master (root) only
  return { cert, key };
}

// The shipped site file with this machine's ports, certificate and log paths. Each
// replaced text must occur exactly once, so the test fails if the file changes shape.
function siteForTest(dir, ports, cert) {
  let text = fs.readFileSync(siteFile, 'utf8');
  const replace = (from, to) => {
    assert.equal(text.split(from).length, 2, `the site file should contain "${from}" once`);
    text = text.replace(from, to);
  };
  replace('listen 443 ssl http2;', `listen 127.0.0.1:${ports.nginx} ssl http2;`);
  replace('listen [::]:443 ssl http2;', '# (IPv6 listen left out by the test)');
  replace('/etc/ssl/certs/consent.example.com.pem', cert.cert);
  replace('/etc/ssl/private/consent.example.com.key', cert.key);
  replace('server 127.0.0.1:8710;', `server 127.0.0.1:${ports.consentd};`);
  replace('/var/log/nginx/consentd.access.log', path.join(dir, 'consentd.access.log'));
  return text;
}

// What Debian's /etc/nginx/nginx.conf provides around a site, but with every path
// in the temporary directory and the process in the foreground.
function mainConfig(dir) {
  const root = process.getuid && process.getuid() === 0;
  return [
    root ? 'user nobody nogroup;' : '',
    'worker_processes 1;',
    'daemon off;',
    `pid ${path.join(dir, 'nginx.pid')};`,
    `error_log ${path.join(dir, 'error.log')} info;`,
    'events { worker_connections 1024; }',
    'http {',
    '  default_type application/octet-stream;',
    `  access_log ${path.join(dir, 'access.log')};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${path.join(dir, k)};`),
    `  include ${path.join(dir, 'site.conf')};`,
    '}',
  ].join('\n');
}

async function startNginx(dir, ports) {
  fs.chmodSync(dir, 0o755);  // the workers (nobody) reach their temp paths; the key stays 0600
  const cert = makeCertificate(dir);
  fs.writeFileSync(path.join(dir, 'site.conf'), siteForTest(dir, ports, cert));
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, mainConfig(dir));
  const args = ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')];
  execFileSync(NGINX, [...args, '-t', '-q'], { stdio: 'pipe' });  // a bad file fails here, with nginx's words
  const child = spawn(NGINX, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => child.on('exit', r));
  for (let i = 0; ; ++i) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    if (await new Promise((r) => net.connect(ports.nginx, '127.0.0.1').on('connect', function () { this.destroy(); r(true); })
      .on('error', () => r(false)))) break;
    if (i > 100) throw new Error('nginx did not listen within 10 s');
    await sleep(100);
  }
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  return { ca: fs.readFileSync(cert.cert), stop };
}

before(async () => {
  assert.ok(fs.existsSync(NGINX), 'nginx is missing: scripts/setup.sh installs it');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-nginx-'));
  const common = [`--database=${path.join(dir, 'db.sqlite')}`, `--keys=${path.join(dir, 'keys')}`];
  execFileSync(consentctl, ['init', ...common, `--site=${SITE}`, `--origin=${ORIGIN}`], { stdio: 'pipe' });
  execFileSync(consentctl, ['notice', 'publish', noticeFile, `--site=${SITE}`, ...common], { stdio: 'pipe' });
  const apiKey = execFileSync(consentctl, ['apikey', 'create', `--site=${SITE}`, ...common], { stdio: 'pipe' })
    .toString().trim();
  const server = await spawnConsentd(consentd, [...common, '--host=127.0.0.1', '--port=0', '--heartbeat-seconds=1',
    `--trusted-proxy=${PROXY}/32`, '--rate-per-minute=1', `--rate-burst=${BANNER_BURST}`,
    '--open-rate-per-minute=1', `--open-rate-burst=${OPEN_BURST}`]);
  let nginx;
  try {
    nginx = await startNginx(dir, { nginx: await freePort(), consentd: server.port });
  } catch (e) {
    await server.stop();
    throw e;
  }
  env = {
    dir, ca: nginx.ca, apiKey, consentdUrl: server.url,
    nginxPort: Number(fs.readFileSync(path.join(dir, 'site.conf'), 'utf8').match(/listen 127\.0\.0\.1:(\d+)/)[1]),
    stop: async () => {
      await nginx.stop();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

after(async () => { if (env) await env.stop(); });

/** One HTTPS request through nginx from `from` (a 127.0.0.x), on its own connection. */
function viaNginx(from, method, urlPath, headers = {}, body = undefined, timeoutMs = 10000) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: env.nginxPort, path: urlPath, method, ca: env.ca, localAddress: from, agent: false,
      headers: { ...headers, Connection: 'close' }, timeout: timeoutMs,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, ms: Date.now() - started,
        json: () => JSON.parse(text) }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function decision(from, notice) {
  const body = JSON.stringify({
    decision_id: `dec-nginx-${crypto.randomBytes(6).toString('hex')}`,
    subject_id: `b_${crypto.randomBytes(16).toString('base64url')}`,
    notice_id: SITE, notice_version: notice.notice.version, notice_hash: notice.hash, language: 'en',
    method: 'reject_all',
  });
  return viaNginx(from, 'POST', `/v1/sites/${SITE}/decisions`,
    { Origin: ORIGIN, 'Content-Type': 'application/json' }, body);
}

test('a bad --trusted-proxy stops consentd at start with a message that says why', () => {
  for (const [flag, why] of [['--trusted-proxy=127.0.0.1/33', '"127.0.0.1/33": the prefix length must be 1 to 32'],
    ['--trusted-proxy=127.0.0.2,nginx.local', '"nginx.local" is not an IPv4 or IPv6 address or network'],
    ['--trusted-proxy=::/0', '"::/0" trusts every address']]) {
    const r = spawnSync(consentd, [flag, '--port=0'], { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 1, flag);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.startsWith(`consentd: invalid value for --trusted-proxy: ${why}`), r.stderr);
  }
});

test('the banner routes work over TLS through nginx and the CORS headers pass', async () => {
  const from = '127.0.0.10';
  const preflight = await viaNginx(from, 'OPTIONS', `/v1/sites/${SITE}/decisions`,
    { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], ORIGIN);
  assert.match(preflight.headers['access-control-allow-headers'], /Content-Type/);
  const notice = await viaNginx(from, 'GET', `/v1/sites/${SITE}/notice`, { Origin: ORIGIN });
  assert.equal(notice.status, 200);
  assert.equal(notice.headers['access-control-allow-origin'], ORIGIN);
  assert.equal(notice.headers.vary, 'Origin');
  assert.match(notice.headers['strict-transport-security'], /^max-age=\d{8}/);
  const posted = await decision(from, notice.json());
  assert.equal(posted.status, 201, posted.text);
  assert.equal(posted.headers['access-control-allow-origin'], ORIGIN);
  assert.ok(posted.json().receipt.split('.').length === 3, 'a compact JWS receipt comes back');
});

test('clients named by nginx have their own buckets and a client cannot name itself', async () => {
  const noticePath = `/v1/sites/${SITE}/notice`;
  const a = '127.0.0.11';
  const b = '127.0.0.12';
  for (let i = 0; i < BANNER_BURST; ++i) assert.equal((await viaNginx(a, 'GET', noticePath)).status, 200);
  const limited = await viaNginx(a, 'GET', noticePath);
  assert.equal(limited.status, 429);
  assert.equal(limited.json().error.code, 'request.rate_limited');
  // A forged X-Forwarded-For through nginx changes nothing: nginx writes $remote_addr.
  assert.equal((await viaNginx(a, 'GET', noticePath, { 'X-Forwarded-For': '198.51.100.77' })).status, 429);
  // Another visitor behind the same proxy still has a full bucket.
  assert.equal((await viaNginx(b, 'GET', noticePath)).status, 200);

  // Straight to consentd from 127.0.0.13 (not the trusted proxy): a fresh
  // X-Forwarded-For each time is ignored, the socket peer is the client.
  const statuses = [];
  for (let i = 0; i < BANNER_BURST + 2; ++i) {
    const r = await directGet('127.0.0.13', noticePath, { 'X-Forwarded-For': `198.51.100.${100 + i}` });
    statuses.push(r.status);
  }
  assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
});

function directGet(from, urlPath, headers) {
  return new Promise((resolve, reject) => {
    const req = require('node:http').get(`${env.consentdUrl}${urlPath}`,
      { localAddress: from, agent: false, headers: { ...headers, Connection: 'close' }, timeout: 10000 }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

test('the open routes (checkpoint, proofs, keys) are rate limited per client too', async () => {
  const from = '127.0.0.14';
  const statuses = [];
  for (const p of ['/v1/log/checkpoint', '/.well-known/jwks.json', '/v1/log/proofs/inclusion?leaf=0&size=1',
    '/v1/log/checkpoint', '/v1/log/proofs/consistency?from=1&to=1', '/v1/log/checkpoint']) {
    statuses.push((await viaNginx(from, 'GET', p)).status);
  }
  assert.deepEqual(statuses.slice(0, OPEN_BURST).filter((s) => s === 429), [], `statuses ${statuses}`);
  const refused = await viaNginx(from, 'GET', '/v1/log/checkpoint');
  assert.equal(refused.status, 429);
  assert.equal(refused.json().error.code, 'request.rate_limited');
  assert.equal(refused.headers['access-control-allow-origin'], '*', 'an auditor\'s page can read the refusal');
  // The banner's bucket of the same client is separate, and so is another client's open bucket.
  assert.equal((await viaNginx(from, 'GET', `/v1/sites/${SITE}/notice`)).status, 200);
  assert.equal((await viaNginx('127.0.0.19', 'GET', '/v1/log/checkpoint')).status, 200);
});

test('the event stream passes through nginx unbuffered', async (t) => {
  const from = '127.0.0.15';
  const size = (await viaNginx(from, 'GET', '/healthz')).json().receipts;
  const stream = await openStream(size - 1);  // resume after the last receipt so far: only new ones come
  t.after(() => stream.close());
  assert.equal(stream.status, 200);
  assert.match(stream.contentType, /^text\/event-stream/);
  // A heartbeat (every second here) is 3 bytes: a buffering proxy would sit on it.
  await waitFor(() => stream.raw().includes(':\n\n'), 5000, 'a heartbeat through nginx');
  const notice = (await viaNginx(from, 'GET', `/v1/sites/${SITE}/notice`)).json();
  const posted = await decision(from, notice);
  assert.equal(posted.status, 201, posted.text);
  await waitFor(() => stream.receipts().includes(posted.json().receipt_id), 5000, 'the new receipt\'s event');
});

function openStream(lastEventId) {
  return new Promise((resolve, reject) => {
    let raw = '';
    const req = https.request({
      host: '127.0.0.1', port: env.nginxPort, path: `/v1/sites/${SITE}/events`, ca: env.ca, agent: false,
      headers: { Authorization: `Bearer ${env.apiKey}`, 'Last-Event-ID': String(lastEventId) },
    }, (res) => {
      clearTimeout(timer);
      res.setEncoding('utf8');
      res.on('data', (d) => { raw += d; });
      resolve({
        status: res.statusCode,
        contentType: res.headers['content-type'],
        raw: () => raw,
        close: () => req.destroy(),
        receipts: () => [...raw.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]).receipt_id),
      });
    });
    // A buffering proxy may hold even the response head back.
    const timer = setTimeout(() => req.destroy(new Error('the stream did not answer within 5 s')), 5000);
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not arrive within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** A TLS connection to nginx from `from` that records when nginx closes it. */
function tlsConnect(from) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: env.nginxPort, ca: env.ca, localAddress: from });
    const conn = { socket, received: '', closedAt: null };
    conn.closed = new Promise((done) => socket.on('close', () => { conn.closedAt = Date.now(); done(); }));
    socket.setEncoding('latin1');
    socket.on('data', (d) => { conn.received += d; });
    socket.on('error', () => {});
    socket.once('secureConnect', () => resolve(conn));
    socket.once('error', reject);
  });
}

async function consentdRequests() {
  const r = await request('GET', `${env.consentdUrl}/metrics`);
  return Number(r.text.match(/^consentd_http_requests_total (\d+)$/m)[1]);
}

test('the stalls of item 4 sent to nginx never reach consentd, which keeps answering through it', async (t) => {
  const attacker = '127.0.0.17';
  const requestsBefore = await consentdRequests();
  const started = Date.now();
  // 32 half-open request heads and 40 heads trickled a byte a second (item 4), plus
  // 40 complete heads whose bodies trickle a byte a second.
  const heads = await Promise.all(Array.from({ length: 32 }, () => tlsConnect(attacker)));
  for (const c of heads) c.socket.write('GET /healthz HTTP/1.1\r\nHost: consentd\r\n');
  const trickles = await Promise.all(Array.from({ length: 40 }, () => tlsConnect(attacker)));
  for (const c of trickles) c.socket.write('GET /healthz HTTP/1.1\r\nX-Slow: ');
  const bodies = await Promise.all(Array.from({ length: 40 }, () => tlsConnect('127.0.0.18')));
  for (const c of bodies) {
    c.socket.write(`POST /v1/sites/${SITE}/decisions HTTP/1.1\r\nHost: consentd\r\nContent-Type: application/json\r\n` +
      'Content-Length: 200\r\n\r\n{');
  }
  const timer = setInterval(() => {
    for (const c of [...trickles, ...bodies]) if (c.closedAt === null) c.socket.write('a');
  }, 1000);

  // Probes from another client, one after the other, until nginx has dropped the heads.
  const probes = [];
  try {
    while (Date.now() - started < HEADER_TIMEOUT_MS + 2000) {
      const r = await viaNginx('127.0.0.16', 'GET', '/healthz', {}, undefined, LIVENESS_MS)
        .catch((e) => ({ error: e.message, ms: LIVENESS_MS }));
      probes.push(r);
      await sleep(100);
    }
  } finally {
    clearInterval(timer);
  }
  await Promise.race([Promise.all([...heads, ...trickles].map((c) => c.closed)), sleep(3000)]);
  const requestsAfter = await consentdRequests();
  for (const c of bodies) c.socket.destroy();

  const bad = probes.filter((p) => p.error || p.status !== 200 || p.ms > LIVENESS_MS);
  const slowest = Math.max(...probes.map((p) => p.ms));
  t.diagnostic(`${probes.length} probes through nginx during the stalls, the slowest ${slowest} ms`);
  assert.ok(probes.length > 20, `only ${probes.length} probes ran`);
  assert.deepEqual(bad.map((p) => p.error || `${p.status} in ${p.ms} ms`), [], 'every probe answered within 2 s');
  for (const c of [...heads, ...trickles]) {
    assert.ok(c.closedAt !== null && c.closedAt - started < HEADER_TIMEOUT_MS + 5000,
      'nginx closes an unfinished head at client_header_timeout');
  }
  // limit_conn: 32 requests in flight per client address, the other 8 refused at once, as JSON.
  const refused = bodies.filter((c) => c.received.startsWith('HTTP/1.1 429'));
  assert.equal(refused.length, 8, 'limit_conn refuses the requests beyond 32 of one client');
  assert.match(refused[0].received, /"code":"request\.rate_limited"/);
  // consentd answered the probes and the first /metrics read, nothing of the attack.
  assert.equal(requestsAfter - requestsBefore, probes.length + 1, 'no stalled request reached consentd');
});
