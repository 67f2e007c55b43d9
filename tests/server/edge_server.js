// A real consentd for the HTTP edge tests: real consentctl-made keys and
// SQLite file in a fresh directory, two sites (bike-shop and other-site) with
// the shop notice and an API key each, the HTTP API on a free port of 127.0.0.1.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawnConsentd, request } = require('../support/consentd_process.js');

const consentd = process.env.CONSENTD;
const consentctl = process.env.CONSENTCTL;
const noticeFile = path.join(process.env.CONSENT_TEST_DATA_DIR, 'notices', 'shop.json');
const ORIGIN = 'https://velo.example';

async function startServer(t, flags = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-edge-'));
  const common = [`--database=${path.join(dir, 'db.sqlite')}`, `--keys=${path.join(dir, 'keys')}`];
  const ctl = (args) => execFileSync(consentctl, [...args, ...common], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  ctl(['init', '--site=bike-shop', `--origin=${ORIGIN}`]);
  ctl(['site', 'add', 'other-site', `--origin=${ORIGIN}`]);
  const keys = {};
  for (const site of ['bike-shop', 'other-site']) {
    ctl(['notice', 'publish', noticeFile, `--site=${site}`]);
    keys[site] = ctl(['apikey', 'create', `--site=${site}`]).trim();
  }
  const server = await spawnConsentd(consentd, [...common, '--port=0', '--rate-per-minute=1000000',
    '--rate-burst=1000000', '--heartbeat-seconds=1', ...flags]);
  t.after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const base = server.url;
  const auth = (site) => ({ Authorization: `Bearer ${keys[site]}` });
  return {
    base, port: server.port, pid: server.child.pid, keys, auth, common, database: path.join(dir, 'db.sqlite'),
    // An ordinary backend request of bike-shop: a consent check.
    ordinary: [`${base}/v1/sites/bike-shop/subjects/b_Q2xhcmEtYnJvd3Nlci0wMQ/purposes/analytics`, auth('bike-shop')],
    // A receipt for `site`: a server-side withdrawal of a fresh subject.
    withdraw: (site, subject) => request('POST', `${base}/v1/sites/${site}/subjects/${subject}/withdrawals`, auth(site)),
  };
}

/**
 * Opens GET /v1/sites/{site}/events (from `localAddress`) and collects the
 * de-chunked stream: {status, text, events() → [{id, data}], heartbeats(), close()}.
 */
function openStream(server, site, { lastEventId, localAddress = '127.0.0.2' } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { ...server.auth(site), Accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['Last-Event-ID'] = String(lastEventId);
    const req = http.get(`${server.base}/v1/sites/${site}/events`, { headers, agent: false, localAddress }, (res) => {
      const stream = {
        status: res.statusCode, headers: res.headers, text: '', ended: false,
        events: () => [...stream.text.matchAll(/id: (\d+)\nevent: receipt\ndata: ([^\n]*)\n\n/g)]
          .map((m) => ({ id: Number(m[1]), data: JSON.parse(m[2]) })),
        heartbeats: () => (stream.text.match(/^:[^\n]*\n\n/gm) ?? []).length,
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (d) => { stream.text += d; });
      res.on('end', () => { stream.ended = true; });
      res.on('error', () => { stream.ended = true; });
      resolve(stream);
    });
    req.on('error', reject);
  });
}

/** Resolves once `condition()` holds, or rejects after `ms`. */
async function waitFor(condition, ms, what) {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

module.exports = { startServer, openStream, waitFor, ORIGIN };
