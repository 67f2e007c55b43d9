// "Delete my records" (docs/erasure.md "Who may ask"): in a real Chromium
// against a real consentd. Nothing happens on the first click; the confirmation
// erases at consentd (its export says erased, checks answer no_decision) and the
// page forgets (a new id on the next visit); cancel keeps everything; offline,
// nothing is forgotten. The proofs the banner kept before still verify against
// consentd's checkpoint after the erasure (issue #13: the log keeps every leaf).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startBench, load, visitShop, waitForReceipts, request, SITE } = require('./harness.js');

let bench;
test.before(async () => { bench = await startBench(); });
test.after(async () => { if (bench) await bench.close(); });

const PREFIX = `consent:${SITE}:`;

/** The full core in node, from the built files, to check proofs as anyone could. */
async function loadCore() {
  const dist = process.env.CONSENT_WEB_DIST || path.join(__dirname, '../../build/web/dist');
  const file = (name) => path.join(dist, bench.file(name));
  const { loadConsentCore } = require(file('consent_core.js'));
  return loadConsentCore({ createModule: require(file('consent-core.js')), wasmBinary: fs.readFileSync(file('consent-core.wasm')) });
}

/** A returning visitor with two receipts: accept all on the first layer, then analytics off in the choices. */
async function visitorWithReceipts(t) {
  const { page } = await visitShop(bench, t);
  await page.click('.cs-layer-1 [data-action="accept"]');
  await waitForReceipts(page, 1);
  await load(page, bench.site + '/shop.html');
  await page.click('[data-action="privacy-choices"]');
  await page.locator('.cs-layer-2').waitFor();
  await page.uncheck('#cs-p-analytics');
  await page.click('.cs-layer-2 [data-action="save"]');
  await waitForReceipts(page, 2);
  return page;
}

async function openErasure(page) {
  await page.click('[data-action="privacy-choices"]');
  await page.click('.cs-dialog [data-action="erase"]');
  await page.locator('[data-step="erase-confirm"]').waitFor();
}

const stored = (page) => page.evaluate((prefix) => Object.fromEntries(Object.keys(localStorage)
  .filter((k) => k.startsWith(prefix)).map((k) => [k.slice(prefix.length), localStorage.getItem(k)])), PREFIX);

const focused = (page) => page.evaluate(() => ({ id: document.activeElement.id, action: document.activeElement.dataset.action || null }));

async function exported(subject) {
  const r = await bench.server.backend('GET', `/subjects/${subject}/export`);
  assert.equal(r.status, 200, r.text);
  return r.json();
}

const erasureRequests = (page) => page.requests.filter((u) => u.includes(`/v1/sites/${SITE}/erasures`));

test('a first visit does not fetch the erasure steps, and consent.js does not carry them', async (t) => {
  const { page } = await visitShop(bench, t);
  await page.locator('.cs-layer-1').waitFor();
  assert.deepEqual(page.requests.filter((u) => u.includes(bench.file('consent-erase.js'))), []);
  const tag = fs.readFileSync(path.join(process.env.CONSENT_WEB_DIST || path.join(__dirname, '../../build/web/dist'),
    bench.file('consent.js')), 'utf8');
  assert.ok(!tag.includes('What remains'), 'the explanation is in consent-erase.js only');
  assert.ok(tag.includes(bench.file('consent-erase.js')), 'consent.js fetches it by its hashed name');
});

test('delete my records: the first click explains and deletes nothing; the confirmation erases and the page forgets', async (t) => {
  const page = await visitorWithReceipts(t);
  const subject = await page.evaluate(() => window.Consent.subject());
  const held = await page.evaluate(() => window.Consent.receipts());
  assert.equal(held.length, 2);
  await page.evaluate(() => { window.erasedEvents = []; window.Consent.on('erased', (d) => window.erasedEvents.push(d)); });

  await openErasure(page);
  // The explanation: what goes, what remains; focus on its heading, nothing sent.
  const text = await page.locator('[data-step="erase-confirm"]').textContent();
  assert.match(text, /What is deleted/);
  assert.match(text, /only a fingerprint \(a hash\)/);
  assert.match(text, /erasure receipt .*no personal data/);
  assert.deepEqual(await focused(page), { id: 'cs-title', action: null });
  assert.deepEqual(erasureRequests(page), []);
  assert.equal((await exported(subject)).receipts.length, 2);

  // Keyboard only: Tab to the confirmation, Enter.
  await page.keyboard.press('Tab');
  assert.deepEqual(await focused(page), { id: '', action: 'erase-confirm' });
  await page.keyboard.press('Enter');
  await page.locator('[data-step="erase-done"]').waitFor({ timeout: 15000 });
  assert.deepEqual(await focused(page), { id: 'cs-title', action: null });

  // consentd: erased, with the erasure receipt; checks answer no_decision.
  const bundle = await exported(subject);
  assert.equal(bundle.erased, true);
  assert.deepEqual(bundle.receipts, []);
  assert.equal(bundle.erasures.length, 1);
  const payload = JSON.parse(Buffer.from(bundle.erasures[0].jws.split('.')[1], 'base64url').toString('utf8'));
  assert.equal(payload.reason, 'subject_request');
  assert.equal(payload.requested_by, 'public:browser_id');
  assert.deepEqual(payload.erased.map((e) => e.log_index).sort(), held.map((r) => r.log_index).sort());
  for (const purpose of ['analytics', 'marketing']) assert.equal((await bench.server.check(subject, purpose)).reason, 'no_decision');

  // The page forgot: no id, receipts, outbox or choices stored; nothing gated is allowed any more.
  assert.deepEqual(await stored(page), {});
  assert.deepEqual(await page.evaluate(() => [window.Consent.receipts().length, window.Consent.pending(),
    window.Consent.allowed('marketing'), window.erasedEvents.length]), [0, 0, false, 1]);
  assert.equal(await page.evaluate(() => window.changes[window.changes.length - 1].method), 'erased');

  // Closing returns focus to the privacy-choices control; the next load is a first visit under a new id.
  await page.click('[data-action="erase-close"]');
  assert.deepEqual(await focused(page), { id: '', action: 'privacy-choices' });
  await load(page, bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
  const next = await page.evaluate(() => window.Consent.subject());
  assert.match(next, /^b_[A-Za-z0-9_-]{22}$/);
  assert.notEqual(next, subject);
  assert.deepEqual(page.errors, []);
});

test('cancel at the confirmation keeps everything, here and at consentd', async (t) => {
  const page = await visitorWithReceipts(t);
  const subject = await page.evaluate(() => window.Consent.subject());
  const before = await stored(page);
  await openErasure(page);
  await page.click('[data-action="erase-cancel"]');
  await page.locator('.cs-layer-2').waitFor();
  assert.equal(await page.locator('[data-step="erase-confirm"]').count(), 0);
  // Escape from the confirmation closes the dialog, also without deleting.
  await page.click('.cs-dialog [data-action="erase"]');
  await page.locator('[data-step="erase-confirm"]').waitFor();
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('.cs-dialog').count(), 0);
  assert.deepEqual(erasureRequests(page), []);
  assert.deepEqual(await stored(page), before);
  const bundle = await exported(subject);
  assert.equal(bundle.erased, false);
  assert.equal(bundle.receipts.length, 2);
  assert.equal((await bench.server.check(subject, 'marketing')).allowed, true);
});

test('offline: a clear message and nothing forgotten; once consentd is back, "Try again" erases', async (t) => {
  const page = await visitorWithReceipts(t);
  const subject = await page.evaluate(() => window.Consent.subject());
  const before = await stored(page);
  await openErasure(page);
  await bench.server.stop();
  t.after(async () => { if (!bench.server.running()) await bench.server.start(); });
  await page.click('[data-action="erase-confirm"]');
  const alert = page.locator('[data-erasure="failed"]');
  await alert.waitFor({ timeout: 15000 });
  assert.equal(await alert.getAttribute('role'), 'alert');
  assert.match(await alert.textContent(), /Nothing was deleted: the consent server could not be reached/);
  assert.deepEqual(await stored(page), before);
  assert.equal(await page.evaluate(() => window.Consent.allowed('marketing')), true);
  assert.equal(await page.locator('[data-action="erase-confirm"]').textContent(), 'Try again');

  await bench.server.start();
  await page.click('[data-action="erase-confirm"]');
  await page.locator('[data-step="erase-done"]').waitFor({ timeout: 15000 });
  assert.equal((await exported(subject)).erased, true);
  assert.deepEqual(await stored(page), {});
});

test('the proofs the banner kept before the erasure still verify against consentd\'s checkpoint after it', async (t) => {
  const page = await visitorWithReceipts(t);
  const held = await page.evaluate(() => window.Consent.receipts());
  await openErasure(page);
  await page.click('[data-action="erase-confirm"]');
  await page.locator('[data-step="erase-done"]').waitFor({ timeout: 15000 });

  const core = await loadCore();
  const jwks = (await request('GET', `${bench.server.url}/.well-known/jwks.json`)).json();
  const noteText = (await request('GET', `${bench.server.url}/v1/log/checkpoint`)).text;
  const origin = noteText.split('\n')[0];
  const now = core.verifyCheckpoint(noteText, origin, jwks);
  assert.equal(now.valid, true, JSON.stringify(now));
  for (const r of held) {
    const leaf = core.merkleLeafHash(r.receipt);
    // The checkpoint and inclusion proof handed out with the receipt, as the banner kept them.
    const then = core.verifyCheckpoint(r.checkpoint, origin, jwks);
    assert.equal(then.valid, true);
    assert.equal(core.verifyInclusion({ leaf_index: r.log_index, tree_size: then.tree_size, leaf_hash: leaf,
      proof: r.inclusion_proof, root: then.root }).valid, true, `receipt ${r.log_index}: its own proof`);
    // Today's log (with the erasure receipt appended) extends it, and still holds the receipt's leaf.
    assert.ok(now.tree_size > then.tree_size);
    const consistency = (await request('GET',
      `${bench.server.url}/v1/log/proofs/consistency?from=${then.tree_size}&to=${now.tree_size}`)).json();
    assert.equal(core.verifyConsistency({ size1: then.tree_size, size2: now.tree_size, root1: then.root, root2: now.root,
      proof: consistency.proof }).valid, true, `receipt ${r.log_index}: consistency ${then.tree_size} -> ${now.tree_size}`);
    const inclusion = (await request('GET',
      `${bench.server.url}/v1/log/proofs/inclusion?leaf=${r.log_index}&size=${now.tree_size}`)).json();
    assert.equal(core.verifyInclusion({ leaf_index: r.log_index, tree_size: now.tree_size, leaf_hash: leaf,
      proof: inclusion.proof, root: now.root }).valid, true, `receipt ${r.log_index}: in today's tree`);
  }
});
