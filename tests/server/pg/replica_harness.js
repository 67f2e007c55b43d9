// consentd replicas on PostgreSQL for the node tests of tests/server/pg: a
// database of its own per test on a cluster (the ctest fixture's, or one the
// test started), the site with the shop notice and an API key made by the
// real consentctl, consentd processes on it, and small HTTP helpers.
'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { spawnConsentd, request } = require('../../support/consentd_process.js');

const consentd = path.resolve(process.env.CONSENTD);
const consentctl = path.resolve(process.env.CONSENTCTL);
const noticeFile = path.resolve(process.env.CONSENT_TEST_DATA_DIR, 'notices', 'shop.json');
const fixtureUrl = () => fs.readFileSync(process.env.CONSENT_PG_URL_FILE, 'utf8').trim();
const SITE = 'bike-shop';
const ORIGIN = 'https://velo.example';
const FLAGS = ['--port=0', '--rate-per-minute=1000000', '--rate-burst=1000000', '--log-requests=off',
  '--heartbeat-seconds=1'];

function run(binary, args) {
  const r = spawnSync(binary, args, { encoding: 'utf8', timeout: 60000, maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, `${path.basename(binary)} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// PostgreSQL 15's own client, as pg_cluster.sh uses its initdb (no pg_wrapper cluster lookup needed).
const PSQL = fs.existsSync('/usr/lib/postgresql/15/bin/psql') ? '/usr/lib/postgresql/15/bin/psql' : 'psql';
const psql = (url, sql) => run(PSQL, ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', url, '-c', sql]);

// A database of its own on the cluster, with the site, the shop notice, a key, and `count` replicas on it.
async function replicas(t, { count = 2, clusterUrl = fixtureUrl(), flags = [] } = {}) {
  const name = `consent_replicas_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  psql(clusterUrl, `CREATE DATABASE ${name}`);
  const database = `${clusterUrl.slice(0, clusterUrl.lastIndexOf('/') + 1)}${name}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-replicas-'));
  const servers = [];
  // Added before anything awaits: a test's later after hooks (stopping its own cluster) run after this one.
  t.after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    psql(clusterUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const common = [`--database=${database}`, `--keys=${path.join(dir, 'keys')}`];
  run(consentctl, ['init', ...common, `--site=${SITE}`, `--origin=${ORIGIN}`]);
  run(consentctl, ['notice', 'publish', noticeFile, `--site=${SITE}`, ...common]);
  const apiKey = run(consentctl, ['apikey', 'create', `--site=${SITE}`, ...common]).trim();
  for (let i = 0; i < count; i += 1) servers.push(await spawnConsentd(consentd, [...common, ...FLAGS, ...flags]));
  const notice = (await request('GET', `${servers[0].url}/v1/sites/${SITE}/notice`)).json();
  const start = () => spawnConsentd(consentd, [...common, ...FLAGS, ...flags]);
  return { database, common, apiKey, servers, notice, start, auth: { Authorization: `Bearer ${apiKey}` } };
}

const subjectId = () => `b_${crypto.randomBytes(16).toString('base64url').slice(0, 22)}`;

function decisionBody(notice, subject, choices) {
  return JSON.stringify({
    decision_id: `dec-${crypto.randomBytes(9).toString('base64url')}`, subject_id: subject, notice_id: SITE,
    notice_version: notice.notice.version, notice_hash: notice.hash, language: 'en', method: 'custom', choices,
  });
}

const post = (base, body) => request('POST', `${base}/v1/sites/${SITE}/decisions`,
  { 'Content-Type': 'application/json', Origin: ORIGIN }, body);

const check = async (base, auth, subject, purpose) =>
  (await request('GET', `${base}/v1/sites/${SITE}/subjects/${subject}/purposes/${purpose}`, auth)).json();

// GET …/events, collected as it arrives: {events() → [{id, data}], close()}.
function openStream(base, auth, lastEventId) {
  return new Promise((resolve, reject) => {
    const headers = { ...auth, Accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['Last-Event-ID'] = String(lastEventId);
    const req = http.get(`${base}/v1/sites/${SITE}/events`, { headers, agent: false }, (res) => {
      const stream = {
        status: res.statusCode, text: '',
        events: () => [...stream.text.matchAll(/id: (\d+)\nevent: receipt\ndata: ([^\n]*)\n\n/g)]
          .map((m) => ({ id: Number(m[1]), data: JSON.parse(m[2]) })),
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (d) => { stream.text += d; });
      res.on('error', () => {});
      resolve(stream);
    });
    req.on('error', reject);
  });
}

async function waitFor(condition, ms, what) {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}


module.exports = {
  SITE, consentctl, noticeFile, run, psql, replicas, subjectId, decisionBody, post, check, openStream, waitFor, request,
};
