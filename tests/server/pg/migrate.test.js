// consentctl migrate --from=FILE --to=postgresql://… (issue #12 item 5): a
// store that consentd filled on its SQLite file is copied into an empty
// database of the fixture's cluster; `consentctl audit` passes on the copy, the
// copy serves the very checkpoint the file served, a subject's export is the
// same byte for byte, a retry gets the receipt the file answered, and the log
// goes on from there; an erased subject stays erased. A database that is not
// empty is refused.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnConsentd } = require('../../support/consentd_process.js');
const { SITE, consentctl, noticeFile, run, psql, subjectId, decisionBody, post, request } = require('./replica_harness.js');

const consentd = path.resolve(process.env.CONSENTD);
const clusterUrl = fs.readFileSync(process.env.CONSENT_PG_URL_FILE, 'utf8').trim();
const FLAGS = ['--port=0', '--rate-per-minute=1000000', '--rate-burst=1000000', '--log-requests=off'];

test('an SQLite store migrated to PostgreSQL audits clean, serves the same checkpoint, and goes on from there', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-migrate-'));
  const name = `consent_migrate_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const url = `${clusterUrl.slice(0, clusterUrl.lastIndexOf('/') + 1)}${name}`;
  const servers = [];
  t.after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    psql(clusterUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = path.join(dir, 'consent.db');
  const keys = `--keys=${path.join(dir, 'keys')}`;
  run(consentctl, ['init', `--database=${file}`, keys, `--site=${SITE}`, '--origin=https://velo.example']);
  run(consentctl, ['notice', 'publish', noticeFile, `--site=${SITE}`, `--database=${file}`, keys]);
  const auth = { Authorization: `Bearer ${run(consentctl, ['apikey', 'create', `--site=${SITE}`, `--database=${file}`]).trim()}` };

  // consentd fills the file: decisions, a server-side withdrawal, a backend's acknowledgement of it.
  const onFile = await spawnConsentd(consentd, [`--database=${file}`, keys, ...FLAGS]);
  servers.push(onFile);
  const notice = (await request('GET', `${onFile.url}/v1/sites/${SITE}/notice`)).json();
  const subjects = Array.from({ length: 5 }, subjectId);
  const bodies = [];
  for (let i = 0; i < 40; i += 1) {
    bodies.push(decisionBody(notice, subjects[i % subjects.length], { analytics: i % 2 === 0, marketing: i % 3 === 0 }));
    assert.equal((await post(onFile.url, bodies[i])).status, 201);
  }
  const withdrawal = await request('POST', `${onFile.url}/v1/sites/${SITE}/subjects/${subjects[0]}/withdrawals`,
    { ...auth, 'Content-Type': 'application/json' }, JSON.stringify({ purposes: ['marketing'] }));
  assert.equal(withdrawal.status, 201, withdrawal.text);
  const ack = await request('POST', `${onFile.url}/v1/sites/${SITE}/acknowledgements`,
    { ...auth, 'Content-Type': 'application/json' },
    JSON.stringify({ backend: 'newsletter', receipts: [withdrawal.json().receipt_id] }));
  assert.equal(ack.status, 200, ack.text);
  // An erased subject (issue #13) travels as erased: the blanked rows, the erasure receipt, the tag.
  const erasure = await request('POST', `${onFile.url}/v1/sites/${SITE}/subjects/${subjects[1]}/erasure`,
    { ...auth, 'Content-Type': 'application/json' }, JSON.stringify({ reason: 'subject_request' }));
  assert.equal(erasure.status, 201, erasure.text);
  assert.equal(erasure.json().erased, 8);
  const firstAnswer = (await post(onFile.url, bodies[7])).json();
  const checkpoint = (await request('GET', `${onFile.url}/v1/log/checkpoint`)).text;
  await onFile.stop();
  servers.pop();
  const exportOf = (database, subject = subjects[0]) =>
    run(consentctl, ['export', `--database=${database}`, keys, `--site=${SITE}`, `--subject=${subject}`]);
  const fileExport = exportOf(file);
  const erasedExport = exportOf(file, subjects[1]);
  assert.equal(JSON.parse(erasedExport).erased, true);

  psql(clusterUrl, `CREATE DATABASE ${name}`);
  const migrated = run(consentctl, ['migrate', `--from=${file}`, `--to=${url}`]);
  assert.match(migrated, /^migrated 42 receipts, \d+ checkpoints, 1 sites and 1 notice versions/);
  assert.match(run(consentctl, ['audit', `--database=${url}`, keys]), /^ok: .*8 erased receipts, each named with its leaf hash by one of 1 signed erasure receipts/m);
  assert.equal(exportOf(url), fileExport, "the subject's export, byte for byte");
  assert.equal(exportOf(url, subjects[1]), erasedExport, "the erased subject's export, byte for byte");

  const onPg = await spawnConsentd(consentd, [`--database=${url}`, keys, ...FLAGS]);
  servers.push(onPg);
  assert.equal((await request('GET', `${onPg.url}/v1/log/checkpoint`)).text, checkpoint, 'the same signed checkpoint');
  const retry = await post(onPg.url, bodies[7]);
  assert.equal(retry.status, 200);
  for (const k of ['receipt_id', 'receipt', 'log_index']) assert.equal(retry.json()[k], firstAnswer[k], k);
  const next = await post(onPg.url, decisionBody(notice, subjects[1], { analytics: true }));
  assert.equal(next.status, 201, next.text);
  assert.equal(next.json().log_index, 42, 'the log goes on where the file ended');
  assert.match(run(consentctl, ['audit', `--database=${url}`, keys]), /^ok/m);

  // Into a database that holds a log already: refused, and nothing changes.
  const again = spawnSync(consentctl, ['migrate', `--from=${file}`, `--to=${url}`], { encoding: 'utf8' });
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /migrate\.not_empty/);
  assert.equal(psql(url, 'SELECT COUNT(*) FROM receipts').trim(), '43');
});
