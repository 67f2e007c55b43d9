// consentctl verify and audit, against proof bundles exported from a real
// consentd and then tampered with in JavaScript: each tampering must be named
// by its own error code (and receipt), the untouched bundle must verify. A
// second consentd with its own keys provides a foreign checkpoint and a
// foreign consistency proof. Uses the real consentctl and consentd binaries.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnConsentd, request } = require('../support/consentd_process.js');

const consentd = path.resolve(process.env.CONSENTD);
const consentctl = path.resolve(process.env.CONSENTCTL);
const noticeFile = path.resolve(process.env.CONSENT_TEST_DATA_DIR, 'notices', 'shop.json');
const SITE = 'bike-shop';
const ORIGIN = 'https://velo.example';
const SUBJECT = 'b_dmVyaWZ5LWJ1bmRsZS0wMQ';
const OTHER_SUBJECT = 'b_b3RoZXItdmVyaWZ5LTAwMQ';

// sysexits.h, as consentctl uses them.
const EX_USAGE = 64;
const EX_DATAERR = 65;

function ctl(args, cwd = os.tmpdir()) {
  const r = spawnSync(consentctl, args, { cwd, encoding: 'utf8', timeout: 30000 });
  assert.equal(r.error, undefined, `consentctl ${args.join(' ')} could not run: ${r.error}`);
  assert.equal(r.signal, null, `consentctl ${args.join(' ')} died of ${r.signal}`);
  return r;
}

function ok(args) {
  const r = ctl(args);
  assert.equal(r.status, 0, `consentctl ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}

// A failure: the exit code, nothing on stdout, one stderr line starting with the code.
function fails(args, exitCode, code) {
  const r = ctl(args);
  assert.equal(r.status, exitCode, `consentctl ${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`);
  assert.equal(r.stdout, '', `printed on stdout: ${r.stdout}`);
  assert.match(r.stderr, /^consentctl: [^\n]+\n$/, `not one stderr line: ${JSON.stringify(r.stderr)}`);
  assert.ok(r.stderr.startsWith(`consentctl: ${code}`), `stderr ${JSON.stringify(r.stderr)} should start with ${code}`);
  return r.stderr;
}

async function getText(url) {
  const r = await request('GET', url);
  assert.equal(r.status, 200, `GET ${url}: ${r.text}`);
  return r.text;
}

// A workspace with a site, the shop notice and a running consentd.
async function startLog(dirs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-verify-'));
  dirs.push(dir);
  const common = [`--database=${path.join(dir, 'db.sqlite')}`, `--keys=${path.join(dir, 'keys')}`];
  ok(['init', ...common, `--site=${SITE}`, `--origin=${ORIGIN}`]);
  ok(['notice', 'publish', noticeFile, `--site=${SITE}`, ...common]);
  const server = await spawnConsentd(consentd, [...common, '--port=0']);
  const base = server.url;
  const stop = server.stop;
  return { dir, common, base, stop };
}

let seq = 0;
async function decide(log, subject, method, extra = {}) {
  const notice = JSON.parse(await getText(`${log.base}/v1/sites/${SITE}/notice`));
  seq += 1;
  const r = await request('POST', `${log.base}/v1/sites/${SITE}/decisions`, { 'Content-Type': 'application/json', Origin: ORIGIN },
    JSON.stringify({
      decision_id: `dec-verify-${String(seq).padStart(6, '0')}`, subject_id: subject, notice_id: SITE,
      notice_version: notice.notice.version, notice_hash: notice.hash, language: 'en', method, ...extra,
    }));
  assert.equal(r.status, 201, r.text);
  return JSON.parse(r.text);
}

// The same history shape on every log: the subject grants, withdraws (between
// other subjects' decisions), a checkpoint is saved, then it grants again.
async function history(log) {
  await decide(log, SUBJECT, 'custom', { choices: { analytics: true, marketing: true } });
  await decide(log, OTHER_SUBJECT, 'accept_all');
  await decide(log, SUBJECT, 'withdraw');
  const oldNote = await getText(`${log.base}/v1/log/checkpoint`);
  const oldSize = Number(oldNote.split('\n')[1]);
  await decide(log, OTHER_SUBJECT, 'reject_all');
  await decide(log, SUBJECT, 'custom', { choices: { analytics: true, marketing: false } });
  const note = await getText(`${log.base}/v1/log/checkpoint`);
  const size = Number(note.split('\n')[1]);
  const consistency = await getText(`${log.base}/v1/log/proofs/consistency?from=${oldSize}&to=${size}`);
  return { oldNote, oldSize, note, size, consistency };
}

const dirs = [];
let main;   // the log the bundle comes from
let other;  // another consentd, with its own keys and the same history shape

test.before(async () => {
  const a = await startLog(dirs);
  const b = await startLog(dirs);
  try {
    main = { ...a, ...(await history(a)) };
    other = { ...b, ...(await history(b)) };
  } finally {
    await a.stop();
    await b.stop();
  }
  main.bundle = JSON.parse(ok(['export', `--site=${SITE}`, `--subject=${SUBJECT}`, ...main.common]).stdout);
  main.oldNoteFile = write('old.note', main.oldNote);
  main.consistencyFile = write('consistency.json', main.consistency);
  other.oldNoteFile = write('other-old.note', other.oldNote);
  other.consistencyFile = write('other-consistency.json', other.consistency);
});

test.after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function write(name, text) {
  const file = path.join(dirs[0], name);
  fs.writeFileSync(file, text);
  return file;
}

// A copy of the bundle, changed by f, written to a file for verify.
let variant = 0;
function bundleFile(f = () => {}) {
  const bundle = structuredClone(main.bundle);
  f(bundle);
  variant += 1;
  return write(`bundle-${variant}.json`, JSON.stringify(bundle, null, 2));
}

function payloadOf(jws) {
  return JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8'));
}

test('the untouched bundle verifies, one line per check', () => {
  assert.equal(main.bundle.receipts.length, 3);
  assert.equal(main.size, 5);
  const out = ok(['verify', bundleFile()]).stdout;
  for (const check of ['signatures:', 'notices:', 'chain:', 'checkpoint:', 'inclusion:'])
    assert.match(out, new RegExp(`^${check}`, 'm'));
  assert.ok(out.endsWith('ok: 3 receipts verified\n'), out);
});

test('one changed byte of a receipt payload fails its signature, naming the receipt', () => {
  const r = main.bundle.receipts[1];
  const err = fails(['verify', bundleFile((b) => {
    const [h, p, s] = b.receipts[1].jws.split('.');
    const text = Buffer.from(p, 'base64url').toString('utf8').replace('"withdraw"', '"withdrew"');
    assert.notEqual(text, Buffer.from(p, 'base64url').toString('utf8'));
    b.receipts[1].jws = [h, Buffer.from(text).toString('base64url'), s].join('.');
  })], EX_DATAERR, 'verify.signature_invalid');
  assert.ok(err.includes(`receipt ${r.receipt_id} (log index ${r.log_index})`), err);
});

test('a receipt dropped from the bundle (the withdrawal) breaks the chain', () => {
  assert.equal(payloadOf(main.bundle.receipts[1].jws).method, 'withdraw');
  const last = main.bundle.receipts[2];
  const err = fails(['verify', bundleFile((b) => { b.receipts.splice(1, 1); })], EX_DATAERR, 'verify.chain_broken');
  assert.ok(err.includes(`receipt ${last.receipt_id}`), err);
});

test('a bundle that leaves out the newest receipt still chains, but not past a receipt the subject holds', () => {
  const newest = main.bundle.receipts[2];
  const truncated = bundleFile((b) => { b.receipts.pop(); });
  ok(['verify', truncated]);
  const held = write('held-receipt.json', JSON.stringify({ receipt: newest.jws }));
  const err = fails(['verify', truncated, `--receipt=${held}`], EX_DATAERR, 'verify.receipt_missing');
  assert.ok(err.includes(`receipt ${newest.receipt_id}`), err);
  const out = ok(['verify', bundleFile(), `--receipt=${held}`]).stdout;
  assert.match(out, /^held:/m);
});

test('two receipts swapped fail the order check; indices edited back into order contradict the signed payload', () => {
  fails(['verify', bundleFile((b) => { [b.receipts[1], b.receipts[2]] = [b.receipts[2], b.receipts[1]]; })],
    EX_DATAERR, 'verify.order_invalid');
  fails(['verify', bundleFile((b) => { [b.receipts[0], b.receipts[1]] = [b.receipts[1], b.receipts[0]]; })],
    EX_DATAERR, 'verify.order_invalid');
  // The unsigned log_index fields swapped too: the signed payload says otherwise.
  fails(['verify', bundleFile((b) => {
    [b.receipts[1], b.receipts[2]] = [b.receipts[2], b.receipts[1]];
    [b.receipts[1].log_index, b.receipts[2].log_index] = [b.receipts[2].log_index, b.receipts[1].log_index];
  })], EX_DATAERR, 'verify.payload_mismatch');
});

test('an altered notice text fails the notice hash', () => {
  fails(['verify', bundleFile((b) => {
    const version = String(payloadOf(b.receipts[0].jws).notice.version);
    const notice = JSON.parse(b.notices[version].canonical_json);
    notice.texts.en.title = `${notice.texts.en.title} (edited)`;
    b.notices[version].canonical_json = JSON.stringify(notice);
  })], EX_DATAERR, 'verify.notice_hash_mismatch');
});

test('an altered inclusion proof element fails inclusion, naming the receipt', () => {
  const r = main.bundle.receipts[2];
  assert.ok(r.inclusion_proof.length > 0);
  const err = fails(['verify', bundleFile((b) => {
    const bytes = Buffer.from(b.receipts[2].inclusion_proof[0], 'base64');
    bytes[7] ^= 0x01;
    b.receipts[2].inclusion_proof[0] = bytes.toString('base64');
  })], EX_DATAERR, 'verify.inclusion_invalid');
  assert.ok(err.includes(`receipt ${r.receipt_id} (log index ${r.log_index})`), err);
});

test('a checkpoint from another server fails the checkpoint check', () => {
  assert.equal(other.size, main.size);
  fails(['verify', bundleFile((b) => { b.log.checkpoint = other.note; })], EX_DATAERR, 'verify.checkpoint_invalid');
});

test('an older checkpoint with the log\'s consistency proof verifies; a foreign proof or note does not', () => {
  const out = ok(['verify', bundleFile(), `--checkpoint=${main.oldNoteFile}`, `--consistency=${main.consistencyFile}`]).stdout;
  assert.match(out, new RegExp(`^consistency: tree size ${main.oldSize} is a prefix of tree size ${main.size}$`, 'm'));
  assert.ok(out.endsWith('ok: 3 receipts verified\n'), out);

  assert.equal(other.oldSize, main.oldSize);
  fails(['verify', bundleFile(), `--checkpoint=${main.oldNoteFile}`, `--consistency=${other.consistencyFile}`],
    EX_DATAERR, 'verify.consistency_invalid');
  fails(['verify', bundleFile(), `--checkpoint=${other.oldNoteFile}`, `--consistency=${main.consistencyFile}`],
    EX_DATAERR, 'verify.checkpoint_invalid');
});

test('verify usage errors exit 64', () => {
  fails(['verify', bundleFile(), `--checkpoint=${main.oldNoteFile}`], EX_USAGE, 'usage:');
  fails(['verify'], EX_USAGE, 'usage: consentctl verify');
  fails(['verify', bundleFile(), '--checkpont=x'], EX_USAGE, 'unknown option --checkpont');
});

test('audit passes on the log\'s database and fails on a tampered state or checkpoint note', () => {
  const db = path.join(main.dir, 'db.sqlite');
  assert.match(ok(['audit', ...main.common]).stdout, /^ok: state equals the rebuild from 5 receipts; each receipt's columns match its signed JWS and its signature verifies; \d+ checkpoints of consentd\/receipts verify\n$/);

  const sqlite = (sql) => {
    const r = spawnSync('sqlite3', [db, sql], { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 0, r.stderr);
  };
  sqlite(`UPDATE current_state SET state = 'granted' WHERE subject_id = '${SUBJECT}' AND purpose = 'marketing'`);
  fails(['audit', ...main.common], EX_DATAERR, 'storage.state_mismatch');
  sqlite(`UPDATE current_state SET state = 'denied' WHERE subject_id = '${SUBJECT}' AND purpose = 'marketing'`);
  ok(['audit', ...main.common]);

  // A checkpoint note whose signature line was rewritten: the row's size and root still match the log.
  sqlite(`DROP TRIGGER checkpoints_no_update;
          UPDATE checkpoints SET note = replace(note, substr(note, length(note) - 8, 4), 'AAAA')
          WHERE tree_size = (SELECT MIN(tree_size) FROM checkpoints)`);
  fails(['audit', ...main.common], EX_DATAERR, 'audit.checkpoint_invalid');
});

// Issue #13: a subject erased by consentctl erase. Its export carries no receipt,
// "erased": true and the erasure receipt; the receipts it kept (with the
// checkpoint it was handed) still verify against it, and a bundle that drops the
// erasure receipt is caught.
test('an erased subject\'s export verifies with the receipts it kept; without its erasure receipt it does not', async () => {
  const log = await startLog(dirs);
  const subject = 'b_ZXJhc2VkLXZlcmlmeS0wMQ';
  let kept;
  let heldNote;
  try {
    const first = await decide(log, subject, 'accept_all');
    await decide(log, OTHER_SUBJECT, 'reject_all');
    const second = await decide(log, subject, 'custom', { choices: { analytics: true, marketing: false } });
    kept = [first, second].map((answer, i) => write(`erased-held-${i}.json`, JSON.stringify(answer)));
    heldNote = await getText(`${log.base}/v1/log/checkpoint`);
  } finally {
    await log.stop();
  }
  const erased = ok(['erase', `--site=${SITE}`, `--subject=${subject}`, '--reason=subject_request', ...log.common]);
  assert.match(erased.stdout, /^erased 2 receipts; erasure receipt /);
  const bundle = JSON.parse(ok(['export', `--site=${SITE}`, `--subject=${subject}`, ...log.common]).stdout);
  assert.equal(bundle.erased, true);
  assert.equal(bundle.receipts.length, 0);
  assert.equal(bundle.erasures.length, 1);
  assert.ok(!JSON.stringify(bundle.erasures).includes(subject), 'the erasure receipt names the subject');

  // The checkpoint the subject held, and the log's consistency proof from it to the bundle's.
  const size = Number(bundle.log.checkpoint.split('\n')[1]);
  const heldSize = Number(heldNote.split('\n')[1]);
  const server = await spawnConsentd(consentd, [...log.common, '--port=0']);
  let consistency;
  try {
    consistency = await getText(`${server.url}/v1/log/proofs/consistency?from=${heldSize}&to=${size}`);
  } finally {
    await server.stop();
  }
  const bundleAt = write('erased-bundle.json', JSON.stringify(bundle));
  const args = ['verify', bundleAt, `--checkpoint=${write('erased-held.note', heldNote)}`,
    `--consistency=${write('erased-consistency.json', consistency)}`, ...kept.map((f) => `--receipt=${f}`)];
  const out = ok(args).stdout;
  assert.match(out, /^erasures: 1 signed erasure receipt names 2 erased receipts of this subject/m);
  assert.match(out, /^held: every receipt the subject kept is in the bundle or erased \(2 named/m);
  assert.match(out, /^consistency: tree size 3 is a prefix of tree size 4$/m);
  assert.ok(out.endsWith('ok: 0 receipts verified; 2 erased, named by 1 signed erasure receipts\n'), out);

  const dropped = structuredClone(bundle);
  delete dropped.erasures;
  dropped.erased = false;
  fails(['verify', write('erased-dropped.json', JSON.stringify(dropped)), ...kept.map((f) => `--receipt=${f}`)],
    EX_DATAERR, 'verify.receipt_missing');
  // The audit of the database: each erased leaf named by the signed erasure receipt.
  assert.match(ok(['audit', ...log.common]).stdout, /2 erased receipts, each named with its leaf hash by one of 1 signed erasure receipts/);
});
