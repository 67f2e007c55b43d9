// consent-banner.wasm, the module a page's banner loads, under node: it answers the five operations the
// banner calls exactly as the full core does (its core is built on SmallJson instead of nlohmann: every
// differential case and every notice, byte for byte), nothing else, and with its own small strtod (wasm/
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

// The banner's module has no Emscripten glue: its host is wasm/js/banner_module.js, as in the page.
const { imports, moduleOf } = require('../../wasm/js/banner_module.js');
const banner = () => loadConsentCore({ createModule: () => WebAssembly.instantiate(
  fs.readFileSync(path.join(coreDir, 'consent-banner.wasm')), imports()).then((r) => moduleOf(r.instance)) });
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

// Every notice the project keeps (valid and invalid), read from its own text.
function noticeFiles() {
  const dir = path.join(dataDir, 'notices');
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) for (const f of fs.readdirSync(path.join(dir, entry.name))) out.push(path.join(dir, entry.name, f));
    else if (entry.name.endsWith('.json')) out.push(path.join(dir, entry.name));
  }
  return out;
}

// The differential cases (tests/data/differential) as the page's operations: a view, verdict or Consent
// Mode case is asked as banner.evaluate (which answers all three), and as banner.click for each button.
function pageCases(f) {
  const cases = JSON.parse(fs.readFileSync(path.join(dataDir, 'differential', 'cases.json'), 'utf8'));
  const hash = callRaw(f, 'notice.parse', JSON.stringify(notice)).value.hash;
  const fill = (v) => {
    if (v === '@notice:shop') return notice;
    if (v === '@hash:shop') return hash;
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const out = [];
  for (const c of cases) {
    const input = fill(c.input);
    if (c.operation === 'decision.make' || c.operation === 'state.apply') out.push([c.name, c.operation, input]);
    if (!['banner.view', 'policy.is_allowed', 'policy.needs_prompt', 'consent_mode.state'].includes(c.operation)) continue;
    const args = Object.assign({}, input);
    delete args.purpose;
    out.push([c.name, 'banner.evaluate', args]);
    for (const click of ['accept', 'reject', 'save']) out.push([c.name + ' ' + click, 'banner.click', Object.assign({ click }, args)]);
    out.push([c.name + ' save choices', 'banner.click', Object.assign({ click: 'save', choices: { analytics: true, marketing: false } }, args)]);
  }
  return out;
}

test('the banner module answers every page case and every notice byte for byte as the full core does', async () => {
  const [b, f] = await Promise.all([banner(), full()]);
  const cases = pageCases(f);
  assert.ok(cases.length > 100, 'the differential cases are there');
  for (const [name, op, input] of cases) assert.equal(callText(b, op, JSON.stringify(input)), callText(f, op, JSON.stringify(input)), name);
  const files = noticeFiles();
  assert.ok(files.length >= 9, 'the project\'s notices are there');
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(callText(b, 'notice.parse', text), callText(f, 'notice.parse', text), file);
  }
});

test('the banner module refuses broken input as the full core does: the same code and path', async () => {
  const [b, f] = await Promise.all([banner(), full()]);
  const text = JSON.stringify(notice);
  const deep = (n) => '['.repeat(n) + ']'.repeat(n);
  const inputs = ['', '{', '[1,]', '{"a":1,"a":2}', text.replace('{', '{"version":1,'), text.slice(0, -1),
    text.replace('"bike-shop"', '"bike-\ud800shop"'), text.replace('"bike-shop"', '"bike-\u00e9shop"'),
    '\ufeff' + text, `{"notice":${deep(300)}}`, `{"notice":${deep(200)}}`, text.replace('"version":3', '"version":1e999'),
    text.replace('"version":3', '"version":18446744073709551616'), text.replace('"version":3', '"version":-3'),
    text.replace('"material":', '"materiel":'), '"just a string"', '[]', 'null'];
  for (const input of inputs) {
    const got = callRaw(b, 'notice.parse', input);
    const expected = callRaw(f, 'notice.parse', input);
    assert.equal(got.ok, expected.ok, input.slice(0, 80));
    if (expected.ok) assert.deepEqual(got, expected);
    // A malformed text's message says where in its own words; its code is the same and it has no path.
    else if (expected.error.code === 'json.parse_error') assert.deepEqual([got.error.code, got.error.path], [expected.error.code, expected.error.path]);
    else assert.deepEqual(got.error, expected.error, input.slice(0, 80));
  }
  // Bytes that are not UTF-8, as the page never sends them but a caller could.
  const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}')]);
  assert.equal(callBytes(b, 'notice.parse', bytes).error.code, callBytes(f, 'notice.parse', bytes).error.code);
});

// The JSON text as written (Core.call would JSON.stringify a value, which spells numbers its own way).
function callRaw(core, operation, text) {
  return JSON.parse(callText(core, operation, text));
}

// The answer's text as the module wrote it.
function callText(core, operation, text) {
  return callBytes(core, operation, Buffer.from(text, 'utf8'), true);
}

function callBytes(core, operation, bytes, asText) {
  const m = core._m;
  const put = (buf) => {
    const ptr = m._malloc(buf.length + 1);
    m.HEAPU8.set(buf, ptr);
    m.HEAPU8[ptr + buf.length] = 0;
    return ptr;
  };
  const op = put(Buffer.from(operation));
  const input = put(bytes);
  const out = m._consent_call(op, input);
  try {
    const text = m.UTF8ToString(out);
    return asText ? text : JSON.parse(text);
  } finally {
    m._free(op);
    m._free(input);
    m._consent_free(out);
  }
}
