// Two consentd replicas on one PostgreSQL database (issue #12 items 2 and 3),
// over real HTTP on 127.0.0.1: the throwaway cluster of pg_cluster.sh (the
// ctest fixture `postgresql`), a database of its own per test, the real
// consentctl and consentd binaries.
// - clients posting at both at once get one gapless log; a decision retried at
//   the other replica gets the very same receipt; every checkpoint either one
//   answered is a stored one, and `consentctl audit` proves each is a root of
//   the one tree;
// - a withdrawal through A: B's next check says denied, B's event stream
//   carries it; Last-Event-ID resumes at either replica without gap or
//   duplicate; a notice version published through A reaches B's checks
//   without waiting for B's notice cache.
'use strict';
const test = require('node:test');
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
const clusterUrl = fs.readFileSync(process.env.CONSENT_PG_URL_FILE, 'utf8').trim();
const SITE = 'bike-shop';
const ORIGIN = 'https://velo.example';
const FLAGS = ['--port=0', '--rate-per-minute=1000000', '--rate-burst=1000000', '--log-requests=off',
  '--heartbeat-seconds=1'];

function run(binary, args) {
  const r = spawnSync(binary, args, { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, `${path.basename(binary)} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const psql = (url, sql) => run('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', url, '-c', sql]);

// A database of its own on the cluster, with the site, the shop notice, a key, and two replicas on it.
async function replicas(t, count = 2) {
  const name = `consent_replicas_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  psql(clusterUrl, `CREATE DATABASE ${name}`);
  const database = `${clusterUrl.slice(0, clusterUrl.lastIndexOf('/') + 1)}${name}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-replicas-'));
  const common = [`--database=${database}`, `--keys=${path.join(dir, 'keys')}`];
  run(consentctl, ['init', ...common, `--site=${SITE}`, `--origin=${ORIGIN}`]);
  run(consentctl, ['notice', 'publish', noticeFile, `--site=${SITE}`, ...common]);
  const apiKey = run(consentctl, ['apikey', 'create', `--site=${SITE}`, ...common]).trim();
  const servers = [];
  for (let i = 0; i < count; i += 1) servers.push(await spawnConsentd(consentd, [...common, ...FLAGS]));
  t.after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    psql(clusterUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const notice = (await request('GET', `${servers[0].url}/v1/sites/${SITE}/notice`)).json();
  return { database, common, apiKey, servers, notice, auth: { Authorization: `Bearer ${apiKey}` } };
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

test('two replicas storing at once keep one gapless log, answer retries with the same receipt, and every checkpoint is the one tree\'s', async (t) => {
  const { database, common, servers: [a, b], notice } = await replicas(t);
  const subjects = Array.from({ length: 6 }, subjectId);  // shared by both replicas' clients: chains cross
  const CLIENTS = 8;
  const PER_CLIENT = 25;
  const answers = [];
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    for (let i = 0; i < PER_CLIENT; i += 1) {
      const body = decisionBody(notice, subjects[(c + i) % subjects.length], { analytics: i % 2 === 0, marketing: c % 2 === 0 });
      const [here, there] = c % 2 === 0 ? [a, b] : [b, a];
      const first = await post(here.url, body);
      assert.equal(first.status, 201, first.text);
      answers.push(first.json());
      if (i % 5 === 0) {
        // The same request again, sent to the other replica (a banner's retry after a lost answer).
        const retry = await post(there.url, body);
        assert.equal(retry.status, 200, retry.text);
        const again = retry.json();
        assert.equal(again.replayed, true);
        for (const k of ['receipt_id', 'receipt', 'log_index']) assert.equal(again[k], first.json()[k], k);
      }
    }
  }));
  const indexes = answers.map((x) => x.log_index).sort((x, y) => x - y);
  assert.deepEqual(indexes, Array.from({ length: CLIENTS * PER_CLIENT }, (_, i) => i), 'one log, no gap, no duplicate');
  // Each answered checkpoint is the stored one of its size…
  const stored = new Map(JSON.parse(psql(database,
    "SELECT COALESCE(json_agg(json_build_array(tree_size, note)), '[]') FROM checkpoints")).map(([s, n]) => [s, n]));
  for (const x of answers) assert.equal(x.checkpoint, stored.get(x.tree_size), `the checkpoint of size ${x.tree_size}`);
  // …and the audit proves every stored checkpoint a root of the one stored tree (and every chain whole).
  const audit = run(consentctl, ['audit', ...common]);
  assert.match(audit, /^ok/m);
});

test('a withdrawal through one replica is denied at once by the other and reaches its stream; Last-Event-ID resumes at either', async (t) => {
  const { servers: [a, b], notice, auth } = await replicas(t);
  const subject = subjectId();
  const grant = await post(a.url, decisionBody(notice, subject, { analytics: true, marketing: true }));
  assert.equal(grant.status, 201, grant.text);
  assert.equal((await check(b.url, auth, subject, 'marketing')).allowed, true);
  const atB = await openStream(b.url, auth, grant.json().log_index);
  t.after(() => atB.close());
  assert.equal(atB.status, 200);
  const withdrawal = await request('POST', `${a.url}/v1/sites/${SITE}/subjects/${subject}/withdrawals`,
    { ...auth, 'Content-Type': 'application/json' }, JSON.stringify({ purposes: ['marketing'] }));
  assert.equal(withdrawal.status, 201, withdrawal.text);
  const withdrawn = withdrawal.json().log_index;
  // The very next check through B: no cache stands between it and A's commit.
  const after = await check(b.url, auth, subject, 'marketing');
  assert.equal(after.allowed, false);
  assert.equal(after.receipt_id, withdrawal.json().receipt_id);
  await waitFor(() => atB.events().length === 1, 5000, "the withdrawal on B's stream");
  assert.equal(atB.events()[0].id, withdrawn);
  assert.equal(atB.events()[0].data.method, 'server_withdraw');
  // One more receipt through B; resuming at either replica from the grant gives both, once each, in order.
  const later = await post(b.url, decisionBody(notice, subject, { analytics: false, marketing: false }));
  assert.equal(later.status, 201, later.text);
  for (const server of [a, b]) {
    const resumed = await openStream(server.url, auth, grant.json().log_index);
    await waitFor(() => resumed.events().length >= 2, 5000, 'the resumed stream');
    await new Promise((r) => setTimeout(r, 200));  // a duplicate would arrive now
    resumed.close();
    assert.deepEqual(resumed.events().map((e) => e.id), [withdrawn, later.json().log_index]);
  }
});

test('a notice version published through one replica reaches the other\'s checks without waiting for its notice cache', async (t) => {
  const { servers: [a, b], notice, auth } = await replicas(t);
  const subject = subjectId();
  assert.equal((await post(a.url, decisionBody(notice, subject, { analytics: true, marketing: true }))).status, 201);
  // B reads the notice now and caches it (kNoticeCacheSeconds: at least one second more).
  assert.equal((await check(b.url, auth, subject, 'analytics')).allowed, true);
  const next = { ...JSON.parse(fs.readFileSync(noticeFile, 'utf8')), version: notice.notice.version + 1, material: true };
  const published = await request('POST', `${a.url}/v1/sites/${SITE}/notices`,
    { ...auth, 'Content-Type': 'application/json' }, JSON.stringify(next));
  assert.equal(published.status, 201, published.text);
  // A material change asks again: the grant under the older version no longer allows. Well within the
  // cache's second: only the notification can have told B.
  await waitFor(async () => (await check(b.url, auth, subject, 'analytics')).allowed === false, 500,
    "B's check to see the new notice version");
  assert.equal((await check(b.url, auth, subject, 'analytics')).reason, 'notice_changed');
});
