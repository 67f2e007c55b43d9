// Two consentd replicas on one PostgreSQL database (issue #12 items 2 and 3),
// over real HTTP on 127.0.0.1: the throwaway cluster of pg_cluster.sh (the
// ctest fixture `postgresql`), a database of its own per test, the real
// consentctl and consentd binaries (replica_harness.js).
// - clients posting at both at once get one gapless log; a decision retried at
//   the other replica gets the very same receipt; every checkpoint either one
//   answered is a stored one, and `consentctl audit` proves each is a root of
//   the one tree;
// - a withdrawal through A: B's next check says denied, B's event stream
//   carries it; Last-Event-ID resumes at either replica without gap or
//   duplicate; a notice version published through A reaches B's checks
//   without waiting for B's notice cache;
// - a password in the --database URL is never printed, logged or put in an error.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const {
  SITE, consentctl, noticeFile, run, psql, replicas, subjectId, decisionBody, post, check, openStream, waitFor, request,
} = require('./replica_harness.js');

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

test('the database password is never printed or logged', async (t) => {
  const { database, common, notice } = await replicas(t, { count: 1 });
  const withPassword = database.replace('consent@', 'consent:s3cret-pw@');  // the test cluster trusts 127.0.0.1: it ignores it
  const args = [`--database=${withPassword}`, common[1], '--port=0', '--log-requests=on'];
  const child = spawn(process.env.CONSENTD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  t.after(() => child.kill('SIGKILL'));
  await waitFor(() => /listening on http:\/\/[0-9.]+:\d+/.test(output), 30000, 'consentd to listen');
  const base = output.match(/listening on (http:\/\/[0-9.]+:\d+)/)[1];
  assert.equal((await post(base, decisionBody(notice, subjectId(), { analytics: true }))).status, 201);
  assert.equal((await request('GET', `${base}/healthz`)).status, 200);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(output, /stores receipts in postgresql:\/\/consent:…@127\.0\.0\.1/);
  assert.ok(!output.includes('s3cret-pw'), output);
  // A URL that cannot be reached: the error names the server, not the password.
  const refused = spawnSync(process.env.CONSENTD, ['--database=postgresql://consent:s3cret-pw@127.0.0.1:1/x', common[1]],
    { encoding: 'utf8', timeout: 30000 });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /storage\.unavailable/);
  assert.ok(!`${refused.stdout}${refused.stderr}`.includes('s3cret-pw'));
});
