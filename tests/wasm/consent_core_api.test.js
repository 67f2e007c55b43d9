// The browser-facing JS API of the wasm core, run under node's test runner.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const coreDir = process.env.CONSENT_CORE_DIR;
const dataDir = process.env.CONSENT_TEST_DATA_DIR;
const { loadConsentCore, ConsentError } = require(path.join(coreDir, 'consent_core.js'));
const notice = JSON.parse(fs.readFileSync(path.join(dataDir, 'notices', 'shop.json'), 'utf8'));
const NOW = 1767225600;

// Node 20's global fetch trips Emscripten 3.1.6's loader: hand it the bytes.
const load = () => loadConsentCore({ wasmBinary: fs.readFileSync(path.join(coreDir, 'consent-core.wasm')) });

test('the one async initializer gives a core that parses a notice and hashes it', async () => {
  const core = await load();
  const parsed = core.parseNotice(notice);
  assert.match(parsed.hash, /^[0-9a-f]{64}$/);
  assert.equal(parsed.notice.notice_id, 'bike-shop');
});

test('a pre-checked purpose is rejected with a ConsentError carrying code and path', async () => {
  const core = await load();
  const bad = structuredClone(notice);
  bad.purposes[1].default = true;
  assert.throws(() => core.parseNotice(bad), (e) =>
    e instanceof ConsentError && e.code === 'notice.prechecked_forbidden' && e.path === '/purposes/1/default');
});

test('the first layer shows every consent switch off and necessary on', async () => {
  const core = await load();
  const view = core.bannerView({ notice, now: NOW, languages: ['de-AT', 'en'] });
  assert.equal(view.language, 'de');
  assert.equal(view.prompt, true);
  for (const p of view.purposes) assert.equal(p.checked, p.necessary);
});

test('a decision applied in the browser allows exactly what was granted, and a withdrawal stops it', async () => {
  const core = await load();
  const { hash } = core.parseNotice(notice);
  const base = { decision_id: 'dec-js-000001', subject_id: 'abcdef0123456789', notice_id: 'bike-shop',
    notice_version: 3, notice_hash: hash, language: 'en' };
  const grant = core.makeDecision(notice, { ...base, method: 'custom', choices: { analytics: true } });
  let state = core.applyDecision({}, grant, NOW);
  assert.deepEqual(core.isAllowed({ notice, now: NOW, state, purpose: 'analytics' }).allowed, true);
  assert.deepEqual(core.isAllowed({ notice, now: NOW, state, purpose: 'marketing' }).allowed, false);
  const withdraw = core.makeDecision(notice, { ...base, decision_id: 'dec-js-000002', method: 'withdraw', purposes: ['analytics'] });
  state = core.applyDecision(state, withdraw, NOW + 1);
  assert.deepEqual(core.isAllowed({ notice, now: NOW + 1, state, purpose: 'analytics' }),
    { allowed: false, reason: 'withdrawn', receipt_id: null });
});

test('input that is not a valid JSON call fails cleanly, and the module keeps working', async () => {
  const core = await load();
  assert.throws(() => core.call('no.such.op', {}), (e) => e.code === 'api.unknown_operation');
  assert.throws(() => core.isAllowed({ notice: 5, now: NOW, purpose: 'x' }), (e) => e.code === 'api.wrong_type');
  assert.equal(core.canonicalize({ b: 1, a: [true, null] }), '{"a":[true,null],"b":1}');
});

test('many calls do not grow the heap: every answer is freed', async () => {
  const core = await load();
  const args = { notice, now: NOW, purpose: 'analytics' };
  for (let i = 0; i < 50; i++) core.isAllowed(args);
  const before = core._m.HEAP8.length;
  assert.ok(before > 0);
  // Each call allocates the input copy and the answer; a leak of either would
  // grow the heap by far more than its initial size over these calls.
  for (let i = 0; i < 600; i++) core.isAllowed({ ...args, padding: 'x'.repeat(20000) });
  assert.equal(core._m.HEAP8.length, before);
});
