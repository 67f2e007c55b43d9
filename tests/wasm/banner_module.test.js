// consent-banner.wasm, the module a page's banner loads, under node: it answers the five operations the
// banner calls exactly as the full core does, nothing else, and with its own small strtod (wasm/
// banner_strtod.cpp) a fractional number still only ever meets "must be an integer".
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const coreDir = process.env.CONSENT_CORE_DIR;
const dataDir = process.env.CONSENT_TEST_DATA_DIR;
const { loadConsentCore, ConsentError } = require(path.join(coreDir, 'consent_core.js'));
const notice = JSON.parse(fs.readFileSync(path.join(dataDir, 'notices', 'shop.json'), 'utf8'));

// Node 20's global fetch trips Emscripten 3.1.6's loader: hand it the bytes.
const banner = () => loadConsentCore({ createModule: require(path.join(coreDir, 'consent-banner.js')),
  wasmBinary: fs.readFileSync(path.join(coreDir, 'consent-banner.wasm')) });
const full = () => loadConsentCore({ wasmBinary: fs.readFileSync(path.join(coreDir, 'consent-core.wasm')) });

test('the banner module parses and hashes a notice as the full core does', async () => {
  const [b, f] = await Promise.all([banner(), full()]);
  assert.deepEqual(b.parseNotice(notice), f.parseNotice(notice));
});

test('the banner module answers only the operations the page calls', async () => {
  const b = await banner();
  for (const op of ['jcs.canonicalize', 'banner.view', 'policy.is_allowed', 'receipt.verify'])
    assert.throws(() => b.call(op, {}), (e) => e instanceof ConsentError && e.code === 'api.unknown_operation', op);
});

test('a fractional or exponent number is refused as the full core refuses it, whatever its spelling', async () => {
  const [b, f] = await Promise.all([banner(), full()]);
  for (const spelling of ['1.5', '3.0', '3e0', '-0.25', '12.5e-1', '1e400']) {
    // Sent as JSON text, so the wasm's own number parser reads the spelling.
    const text = JSON.stringify(notice).replace('"version":3', `"version":${spelling}`);
    assert.notEqual(text, JSON.stringify(notice));
    const answer = callRaw(b, 'notice.parse', text);
    assert.equal(answer.ok, false, spelling);
    assert.deepEqual(answer, callRaw(f, 'notice.parse', text), spelling);
    // Not an integer; past double's range, not even a finite number.
    assert.equal(answer.error.code, spelling === '1e400' ? 'jcs.number_not_finite' : 'notice.wrong_type', spelling);
  }
});

// The JSON text as written (Core.call would JSON.stringify a value, which spells numbers its own way).
function callRaw(core, operation, text) {
  const m = core._m;
  const put = (s) => {
    const size = m.lengthBytesUTF8(s) + 1;
    const ptr = m._malloc(size);
    m.stringToUTF8(s, ptr, size);
    return ptr;
  };
  const op = put(operation);
  const input = put(text);
  const out = m._consent_call(op, input);
  try {
    return JSON.parse(m.UTF8ToString(out));
  } finally {
    m._free(op);
    m._free(input);
    m._consent_free(out);
  }
}
