// consentctl, the operator's command line, run as a real binary against real
// SQLite files and key directories in fresh temporary directories, and checked
// against a real consentd where a command's effect is only visible there.
// Every failure must be one line on stderr with a non-zero exit, and must
// write nothing (DESIGN.md; the issue: "never a crash, never a partial write").
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const jose = require('jose');
const { spawnConsentd, request: sharedRequest } = require('../support/consentd_process.js');

const consentd = path.resolve(process.env.CONSENTD);
const consentctl = path.resolve(process.env.CONSENTCTL);
const noticeFile = path.resolve(process.env.CONSENT_TEST_DATA_DIR, 'notices', 'shop.json');
const SITE = 'bike-shop';
const ORIGIN = 'https://velo.example';

// sysexits.h, as consentctl uses them.
const EX_USAGE = 64;
const EX_DATAERR = 65;
const EX_NOINPUT = 66;

// A fresh directory per test, with the database and key paths every command takes.
function workspace(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consentctl-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'db.sqlite');
  const keys = path.join(dir, 'keys');
  return { dir, db, keys, common: [`--database=${db}`, `--keys=${keys}`] };
}

// Runs consentctl; every run's stderr is kept so a test can check no secret leaked.
function ctl(ws, args) {
  const r = spawnSync(consentctl, args, { cwd: ws.dir, encoding: 'utf8', timeout: 30000 });
  assert.equal(r.error, undefined, `consentctl ${args.join(' ')} could not run: ${r.error}`);
  assert.equal(r.signal, null, `consentctl ${args.join(' ')} died of ${r.signal}`);
  (ws.stderrs ??= []).push(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(ws, args) {
  const r = ctl(ws, args);
  assert.equal(r.status, 0, `consentctl ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}

// A failure: the given exit code, nothing on stdout, exactly one stderr line
// that starts with the expected words (an error code, or the message's start).
function fails(ws, args, exitCode, firstWords) {
  const r = ctl(ws, args);
  assert.equal(r.status, exitCode, `consentctl ${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`);
  assert.equal(r.stdout, '', `consentctl ${args.join(' ')} printed on stdout: ${r.stdout}`);
  assert.match(r.stderr, /^consentctl: [^\n]+\n$/, `not one stderr line: ${JSON.stringify(r.stderr)}`);
  assert.ok(r.stderr.startsWith(`consentctl: ${firstWords}`), `stderr ${JSON.stringify(r.stderr)} should start with ${firstWords}`);
  return r;
}

function init(ws) {
  return ok(ws, ['init', ...ws.common, `--site=${SITE}`, `--origin=${ORIGIN}`]);
}

function publish(ws, file = noticeFile) {
  return ok(ws, ['notice', 'publish', file, `--site=${SITE}`, ...ws.common]);
}

// shop.json with changes, written into the workspace.
function noticeVariant(ws, name, change) {
  const notice = JSON.parse(fs.readFileSync(noticeFile, 'utf8'));
  change(notice);
  const file = path.join(ws.dir, name);
  fs.writeFileSync(file, JSON.stringify(notice));
  return file;
}

function sqlite(ws, sql) {
  return spawnSync('sqlite3', [ws.db, sql], { encoding: 'utf8', timeout: 10000 });
}

function keyFiles(ws) {
  return fs.readdirSync(ws.keys).filter((n) => n.endsWith('.key')).sort();
}

// Starts consentd on the workspace's database and keys, stopped when the test ends.
async function startServer(t, ws) {
  const server = await spawnConsentd(consentd, [...ws.common, '--port=0']);
  t.after(server.stop);
  return { base: server.url, stop: server.stop };
}

// The shared request, with the body parsed (every answer here is JSON).
const request = (...args) => sharedRequest(...args).then((r) => ({ status: r.status, body: r.text ? r.json() : null }));
const getJson = (url, headers = {}) => request('GET', url, headers);

async function postDecision(base, decisionId, subjectId, choices) {
  const notice = (await getJson(`${base}/v1/sites/${SITE}/notice`)).body;
  const r = await request('POST', `${base}/v1/sites/${SITE}/decisions`, { 'Content-Type': 'application/json', Origin: ORIGIN },
    JSON.stringify({
      decision_id: decisionId, subject_id: subjectId, notice_id: SITE, notice_version: notice.notice.version,
      notice_hash: notice.hash, language: 'en', method: 'custom', choices,
    }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

const SUBJECT = 'b_Y29uc2VudGN0bC10ZXN0MQ';

test('init makes the database and a private key directory, and running it again keeps the key', async (t) => {
  const ws = workspace(t);
  const first = init(ws);
  assert.equal(first.stdout, `site ${SITE} added\n`);
  assert.ok(fs.statSync(ws.db).isFile());
  assert.equal(fs.statSync(ws.keys).mode & 0o777, 0o700);
  const files = keyFiles(ws);
  assert.equal(files.length, 1);
  assert.equal(fs.statSync(path.join(ws.keys, files[0])).mode & 0o777, 0o600);
  const kid = files[0].replace(/\.key$/, '');

  // Again, with the same arguments and without a site: no new key, same site.
  init(ws);
  ok(ws, ['init', ...ws.common]);
  assert.deepEqual(keyFiles(ws), files);
  assert.equal(sqlite(ws, 'SELECT site_id, allowed_origins FROM sites').stdout, `${SITE}|["${ORIGIN}"]\n`);
  // The same site with other origins is not silently changed.
  fails(ws, ['init', ...ws.common, `--site=${SITE}`, '--origin=https://other.example'], EX_DATAERR, `site ${SITE} already exists`);
  assert.equal(sqlite(ws, 'SELECT allowed_origins FROM sites').stdout, `["${ORIGIN}"]\n`);

  publish(ws);
  const server = await startServer(t, ws);
  const jwks = await getJson(`${server.base}/.well-known/jwks.json`);
  assert.deepEqual(jwks.body.keys.map((k) => k.kid), [kid]);
});

test('init with a bad site id or origin writes nothing', (t) => {
  const ws = workspace(t);
  fails(ws, ['init', ...ws.common, '--site=Bike Shop', `--origin=${ORIGIN}`], EX_USAGE, 'site id must match');
  fails(ws, ['init', ...ws.common, `--site=${SITE}`, '--origin=velo.example'], EX_USAGE, 'not an origin');
  fails(ws, ['init', ...ws.common, `--orgin=${ORIGIN}`], EX_USAGE, 'unknown option --orgin');
  assert.deepEqual(fs.readdirSync(ws.dir), []);
});

test('site add refuses a bad id, a bad origin and an existing site, with one line each', (t) => {
  const ws = workspace(t);
  init(ws);
  const sitesBefore = sqlite(ws, 'SELECT * FROM sites').stdout;
  fails(ws, ['site', 'add', 'Not_Lower', `--origin=${ORIGIN}`, ...ws.common], EX_USAGE, 'site id must match');
  fails(ws, ['site', 'add', '-x', ...ws.common], EX_USAGE, 'site id must match');
  fails(ws, ['site', 'add', 'blog', '--origin=ftp//nope', ...ws.common], EX_USAGE, 'not an origin');
  fails(ws, ['site', 'add', 'blog', `--origin=${ORIGIN}/path`, ...ws.common], EX_USAGE, 'not an origin');
  fails(ws, ['site', 'add', SITE, '--origin=https://evil.example', ...ws.common], EX_DATAERR, `site ${SITE} already exists`);
  assert.equal(sqlite(ws, 'SELECT * FROM sites').stdout, sitesBefore);

  assert.equal(ok(ws, ['site', 'add', 'blog', '--origin=https://blog.example', '--origin=http://localhost:8080', ...ws.common]).stdout,
    'site blog added\n');
  assert.equal(sqlite(ws, "SELECT allowed_origins FROM sites WHERE site_id = 'blog'").stdout,
    '["https://blog.example","http://localhost:8080"]\n');
});

test('notice publish prints the version and the same hash as notice hash; bad input changes nothing', async (t) => {
  const ws = workspace(t);
  init(ws);
  const hash = ok(ws, ['notice', 'hash', noticeFile]).stdout.trim();
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(publish(ws).stdout, `notice ${SITE} version 3 published for site ${SITE}, sha256 ${hash}\n`);

  const pub = (file) => ['notice', 'publish', file, `--site=${SITE}`, ...ws.common];
  fails(ws, pub(path.join(ws.dir, 'missing.json')), EX_NOINPUT, 'cannot read');
  const malformed = path.join(ws.dir, 'malformed.json');
  fs.writeFileSync(malformed, fs.readFileSync(noticeFile, 'utf8').replace('"version": 3', '"version": 4').slice(0, 400));
  fails(ws, pub(malformed), EX_DATAERR, 'json.parse_error');
  const multiline = path.join(ws.dir, 'multiline.json');
  fs.writeFileSync(multiline, '{"notice_id": "bike-shop",\n\n "version": 4,\n oops\n}');
  fails(ws, pub(multiline), EX_DATAERR, 'json.parse_error');
  const prechecked = noticeVariant(ws, 'prechecked.json', (n) => {
    n.version = 4;
    n.purposes.find((p) => p.id === 'analytics').default = true;
  });
  fails(ws, pub(prechecked), EX_DATAERR, 'notice.prechecked_forbidden at /purposes/1/default');
  fails(ws, pub(noticeFile), EX_DATAERR, 'storage.notice_version_exists');
  const otherText = noticeVariant(ws, 'same-version.json', (n) => { n.texts.en.title = 'Changed title'; });
  fails(ws, pub(otherText), EX_DATAERR, 'storage.notice_version_exists');
  fails(ws, ['notice', 'publish', noticeFile, '--site=no-such-site', ...ws.common], EX_DATAERR, 'request.not_found');
  fails(ws, ['notice', 'publish', noticeFile, ...ws.common], EX_USAGE, 'usage: consentctl notice publish');

  // Nothing of the failed publishes was written: version 3 is still the only and current one.
  assert.equal(sqlite(ws, 'SELECT version, content_hash FROM notices').stdout, `3|${hash}\n`);
  const server = await startServer(t, ws);
  const current = await getJson(`${server.base}/v1/sites/${SITE}/notice`);
  assert.equal(current.status, 200);
  assert.equal(current.body.hash, hash);
  assert.equal(current.body.notice.version, 3);
  await server.stop();

  // A valid next version is published and becomes the current one.
  const v4 = noticeVariant(ws, 'v4.json', (n) => { n.version = 4; n.material = false; });
  const hash4 = ok(ws, ['notice', 'hash', v4]).stdout.trim();
  assert.equal(publish(ws, v4).stdout, `notice ${SITE} version 4 published for site ${SITE}, sha256 ${hash4}\n`);
  assert.equal(sqlite(ws, 'SELECT version FROM notices ORDER BY version').stdout, '3\n4\n');
});

test('apikey create prints one key that works against consentd until it is revoked', async (t) => {
  const ws = workspace(t);
  init(ws);
  publish(ws);
  const created = ok(ws, ['apikey', 'create', `--site=${SITE}`, ...ws.common]);
  assert.match(created.stdout, /^ck_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
  const key = created.stdout.trim();
  const [keyId, secret] = key.slice(3).split('.');
  assert.ok(secret.length >= 32, 'the secret should carry at least 192 bits');
  assert.match(created.stderr, /^consentctl: [^\n]+\n$/);
  assert.ok(created.stderr.includes(keyId), 'the note names the key id');
  assert.ok(!created.stderr.includes(secret), 'the secret is never on stderr');

  const server = await startServer(t, ws);
  const url = `${server.base}/v1/sites/${SITE}/subjects/${SUBJECT}/purposes/analytics`;
  const granted = await getJson(url, { Authorization: `Bearer ${key}` });
  assert.equal(granted.status, 200, JSON.stringify(granted.body));
  const wrongSecret = await getJson(url, { Authorization: `Bearer ck_${keyId}.${secret.slice(0, -1)}x` });
  assert.equal(wrongSecret.status, 401);

  assert.equal(ok(ws, ['apikey', 'revoke', keyId, ...ws.common]).stdout, `API key ${keyId} revoked\n`);
  const revoked = await getJson(url, { Authorization: `Bearer ${key}` });
  assert.equal(revoked.status, 401);
  assert.equal(revoked.body.error.code, 'auth.invalid_key');
  // Revoking again keeps the first revocation; an unknown key id is an error.
  ok(ws, ['apikey', 'revoke', keyId, ...ws.common]);
  fails(ws, ['apikey', 'revoke', 'nosuchkey123', ...ws.common], EX_DATAERR, 'storage.unknown_api_key');
  fails(ws, ['apikey', 'create', '--site=no-such-site', ...ws.common], EX_DATAERR, 'no site no-such-site');
  fails(ws, ['apikey', 'create', ...ws.common], EX_USAGE, 'usage: consentctl apikey');
  assert.equal(sqlite(ws, 'SELECT COUNT(*) FROM api_keys').stdout, '1\n');
});

test('apikey create --backend registers a backend: consentctl backends lists it, behind, before it acknowledges', (t) => {
  const ws = workspace(t);
  init(ws);
  publish(ws);
  const created = ok(ws, ['apikey', 'create', `--site=${SITE}`, '--backend=billing', ...ws.common]);
  assert.match(created.stderr, /backend billing/);
  const view = JSON.parse(ok(ws, ['backends', `--site=${SITE}`, ...ws.common]).stdout);
  assert.deepEqual(view.backends.map((b) => [b.backend, b.registered, b.acknowledgements]), [['billing', true, 0]]);
  fails(ws, ['apikey', 'create', `--site=${SITE}`, '--backend=Not A Name', ...ws.common], EX_USAGE, '--backend must match');
  assert.equal(sqlite(ws, "SELECT backend FROM api_keys").stdout, 'billing\n');
});

test('keys rotate: the JWKS then has both keys and a receipt from before still verifies', async (t) => {
  const ws = workspace(t);
  init(ws);
  publish(ws);
  const [oldFile] = keyFiles(ws);
  const oldKid = oldFile.replace(/\.key$/, '');

  let server = await startServer(t, ws);
  const before = await postDecision(server.base, 'dec-rotate-000001', SUBJECT, { analytics: true });
  await server.stop();

  const rotated = ok(ws, ['keys', 'rotate', ...ws.common]);
  const newKid = rotated.stdout.match(/^new signing key ([A-Za-z0-9_-]{43}) is active/)[1];
  assert.notEqual(newKid, oldKid);
  assert.deepEqual(keyFiles(ws), [oldFile, `${newKid}.key`].sort());
  for (const f of keyFiles(ws)) assert.equal(fs.statSync(path.join(ws.keys, f)).mode & 0o777, 0o600);

  server = await startServer(t, ws);
  const served = (await getJson(`${server.base}/.well-known/jwks.json`)).body;
  assert.deepEqual(served.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());
  const jwks = jose.createLocalJWKSet(served);
  const old = await jose.compactVerify(before.receipt, jwks);
  assert.equal(old.protectedHeader.kid, oldKid);
  const after = await postDecision(server.base, 'dec-rotate-000002', SUBJECT, { analytics: false });
  const fresh = await jose.compactVerify(after.receipt, jwks);
  assert.equal(fresh.protectedHeader.kid, newKid);

  fails(ws, ['keys', 'rotate', `--keys=${path.join(ws.dir, 'no-such-keys')}`], EX_NOINPUT, 'keys.missing_dir');
  assert.ok(!fs.existsSync(path.join(ws.dir, 'no-such-keys')));
});

test('export prints the subject\'s receipts as JSON', async (t) => {
  const ws = workspace(t);
  init(ws);
  publish(ws);
  const server = await startServer(t, ws);
  const first = await postDecision(server.base, 'dec-export-000001', SUBJECT, { analytics: true });
  const second = await postDecision(server.base, 'dec-export-000002', SUBJECT, { analytics: false, marketing: false });
  await postDecision(server.base, 'dec-export-000003', 'b_b3RoZXItc3ViamVjdC0wMQ', { marketing: true });
  await server.stop();

  const out = ok(ws, ['export', `--site=${SITE}`, `--subject=${SUBJECT}`, ...ws.common]);
  const bundle = JSON.parse(out.stdout);
  assert.equal(bundle.site, SITE);
  assert.equal(bundle.subject, SUBJECT);
  assert.deepEqual(bundle.receipts.map((r) => [r.receipt_id, r.jws]),
    [[first.receipt_id, first.receipt], [second.receipt_id, second.receipt]]);
  const jwks = jose.createLocalJWKSet(bundle.keys);
  for (const r of bundle.receipts) await jose.compactVerify(r.jws, jwks);
  assert.ok(bundle.notices['3'], 'the notice version shown is in the bundle');
  assert.ok(!out.stdout.includes('secret_key') && !out.stdout.includes('"d"'), 'no private key in an export');

  const nobody = JSON.parse(ok(ws, ['export', `--site=${SITE}`, '--subject=b_bm9ib2R5LWF0LWFsbC0wMQ', ...ws.common]).stdout);
  assert.deepEqual(nobody.receipts, []);
  fails(ws, ['export', '--site=no-such-site', `--subject=${SUBJECT}`, ...ws.common], EX_DATAERR, 'request.not_found');
  fails(ws, ['export', `--site=${SITE}`, ...ws.common], EX_USAGE, 'usage: consentctl export');
});

test('rebuild --check passes on a healthy database and names a tampered current state', async (t) => {
  const ws = workspace(t);
  init(ws);
  publish(ws);
  assert.match(ok(ws, ['rebuild', '--check', ...ws.common]).stdout, /from 0 receipts/);
  const server = await startServer(t, ws);
  await postDecision(server.base, 'dec-rebuild-00001', SUBJECT, { analytics: true, marketing: false });
  await server.stop();
  assert.equal(ok(ws, ['rebuild', '--check', ...ws.common]).stdout, 'current state equals the rebuild from 1 receipts\n');

  const tamper = sqlite(ws, `UPDATE current_state SET state = 'granted' WHERE subject_id = '${SUBJECT}' AND purpose = 'marketing'`);
  assert.equal(tamper.status, 0, tamper.stderr);
  assert.equal(sqlite(ws, `SELECT state FROM current_state WHERE purpose = 'marketing'`).stdout, 'granted\n');
  fails(ws, ['rebuild', '--check', ...ws.common], EX_DATAERR, 'storage.state_mismatch');
  // A check never repairs: it fails again, and the row is as tampered.
  fails(ws, ['rebuild', '--check', ...ws.common], EX_DATAERR, 'storage.state_mismatch');

  // A check of a database that is not there fails and does not create one.
  const missing = path.join(ws.dir, 'typo.sqlite');
  fails(ws, ['rebuild', '--check', `--database=${missing}`], EX_NOINPUT, 'cli.no_database');
  assert.ok(!fs.existsSync(missing));
});

test('unknown commands and missing arguments exit 64 with a one-line usage hint; help exits 0', (t) => {
  const ws = workspace(t);
  fails(ws, ['frobnicate'], EX_USAGE, 'unknown command "frobnicate" (try: consentctl help)');
  fails(ws, ['site'], EX_USAGE, 'usage: consentctl site add');
  fails(ws, ['site', 'add'], EX_USAGE, 'usage: consentctl site add');
  fails(ws, ['notice'], EX_USAGE, 'usage: consentctl notice publish');
  fails(ws, ['notice', 'hash'], EX_USAGE, 'usage: consentctl notice validate|hash|show FILE');
  fails(ws, ['notice', 'hash', path.join(ws.dir, 'missing.json')], EX_NOINPUT, 'cannot read');
  fails(ws, ['apikey', 'revoke'], EX_USAGE, 'usage: consentctl apikey');
  fails(ws, ['keys'], EX_USAGE, 'usage: consentctl keys rotate');
  fails(ws, ['rebuild'], EX_USAGE, 'usage: consentctl rebuild --check');
  fails(ws, ['rebuild', '--check=yes'], EX_USAGE, '--check takes no value');
  fails(ws, ['init', '--database='], EX_USAGE, '--database needs a value');
  fails(ws, ['core'], EX_USAGE, 'usage: consentctl core');
  assert.deepEqual(fs.readdirSync(ws.dir), [], 'no usage error writes a file');

  const help = ok(ws, ['help']);
  for (const command of ['init', 'site add', 'notice publish', 'apikey create', 'apikey revoke', 'keys rotate',
    'export', 'rebuild --check', 'notice validate', 'notice hash', 'core'])
    assert.ok(help.stdout.includes(command), `help lists ${command}`);
  assert.equal(help.stderr, '');
  assert.equal(ok(ws, ['--help']).stdout, help.stdout);
});

test('no secret reaches stderr, and the API key secret is not in the database', async (t) => {
  const ws = workspace(t);
  init(ws);
  publish(ws);
  const key = ok(ws, ['apikey', 'create', `--site=${SITE}`, ...ws.common]).stdout.trim();
  const secret = key.slice(key.indexOf('.') + 1);
  ok(ws, ['keys', 'rotate', ...ws.common]);
  const server = await startServer(t, ws);
  await postDecision(server.base, 'dec-secrets-00001', SUBJECT, { analytics: true });
  const check = await getJson(`${server.base}/v1/sites/${SITE}/subjects/${SUBJECT}/purposes/analytics`,
    { Authorization: `Bearer ${key}` });
  assert.equal(check.status, 200);
  await server.stop();
  ok(ws, ['export', `--site=${SITE}`, `--subject=${SUBJECT}`, ...ws.common]);
  ok(ws, ['rebuild', '--check', ...ws.common]);
  fails(ws, ['apikey', 'revoke', key, ...ws.common], EX_DATAERR, 'storage.unknown_api_key');
  fails(ws, ['notice', 'publish', path.join(ws.keys, keyFiles(ws)[0]), `--site=${SITE}`, ...ws.common],
    EX_DATAERR, 'notice.');

  const signingSecrets = keyFiles(ws).map((f) => JSON.parse(fs.readFileSync(path.join(ws.keys, f), 'utf8')).secret_key);
  assert.equal(signingSecrets.length, 2);
  // Not even the revoke given the whole key, nor the key file given as a notice.
  for (const stderr of ws.stderrs) {
    assert.ok(!stderr.includes(secret), `API key secret on stderr: ${stderr}`);
    for (const s of signingSecrets) assert.ok(!stderr.includes(s), `signing key on stderr: ${stderr}`);
  }
  // The database (and its WAL, if any is left) holds only the secret's hash.
  const dbFiles = fs.readdirSync(ws.dir).filter((n) => n.startsWith(path.basename(ws.db)));
  assert.ok(dbFiles.includes(path.basename(ws.db)));
  for (const f of dbFiles) {
    const bytes = fs.readFileSync(path.join(ws.dir, f));
    assert.ok(!bytes.includes(secret), `the API key secret is in ${f}`);
    for (const s of signingSecrets) assert.ok(!bytes.includes(s), `a signing key is in ${f}`);
  }
});

test('site subject-key registers a site backend key, and a token it signs lets a known account id grant', async (t) => {
  const ws = workspace(t);
  init(ws);
  publish(ws);
  const { publicKey, privateKey } = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  fails(ws, ['site', 'subject-key', SITE, 'not-a-key', ...ws.common], EX_USAGE, 'PUBLIC_KEY must be');
  const out = ok(ws, ['site', 'subject-key', SITE, jwk.x, ...ws.common]).stdout;
  const kid = await jose.calculateJwkThumbprint(jwk);
  assert.equal(out, `subject tokens for site ${SITE} may now be signed by kid ${kid}\n`);

  const server = await startServer(t, ws);
  const now = Math.floor(Date.now() / 1000);
  const token = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(
    { site: SITE, sub: 'user-42', iat: now, exp: now + 300 })))
    .setProtectedHeader({ alg: 'EdDSA', typ: 'consent-subject+jwt', kid })
    .sign(privateKey);
  const notice = await getJson(`${server.base}/v1/sites/${SITE}/notice`);
  const body = JSON.stringify({ decision_id: 'dec-ctl-token-01', subject_id: 'user-42', notice_id: SITE,
    notice_version: 3, notice_hash: notice.body.hash, language: 'en', method: 'accept_all' });
  const withToken = await request('POST', `${server.base}/v1/sites/${SITE}/decisions`,
    { 'Content-Type': 'application/json', 'Consent-Subject-Token': token }, body);
  assert.equal(withToken.status, 201);
});
