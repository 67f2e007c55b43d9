// Sync and asking again: a decision applies at once and reaches consentd
// through the outbox — across a server outage, a reload and a browser that
// went offline — as exactly one receipt; the receipt can be downloaded; and
// the banner asks again after a material change, a new purpose, or once a
// choice is older than its purpose's maximum age (REGULATORY.md).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startBench, load, visitShop, waitForReceipts, request, SITE } = require('./harness.js');

let bench;
test.before(async () => { bench = await startBench(); });
test.after(async () => { if (bench) await bench.close(); });

const visit = (t, options) => visitShop(bench, t, options);

test('a decision made while consentd is down applies at once and is delivered after it returns, across a reload, once', async (t) => {
  const { page } = await visit(t);
  await page.locator('.cs-layer-1').waitFor();
  await bench.server.stop();
  t.after(async () => { if (!bench.server.running()) await bench.server.start(); });
  await page.click('[data-action="accept"]');
  await page.waitForFunction(() => window.analyticsRan === 1);   // applied locally, at once
  assert.equal(await page.evaluate(() => Consent.pending()), 1);
  // A reload while the server is still away: the banner runs from the notice it kept.
  await load(page, bench.site + '/shop.html');
  await page.waitForFunction(() => window.analyticsRan === 1);
  assert.equal(await page.locator('.cs-dialog').count(), 0, 'the choice holds: no banner');
  assert.deepEqual(await page.evaluate(() => [Consent.pending(), Consent.receipts().length]), [1, 0]);
  const subject = await page.evaluate(() => Consent.subject());
  await bench.server.start();   // same port, same database
  await load(page, bench.site + '/shop.html');
  await waitForReceipts(page, 1);
  const receipts = await bench.server.exportReceipts(subject);
  assert.equal(receipts.length, 1, 'exactly one receipt');
  // The server's receipt is the one the browser keeps.
  assert.equal(await page.evaluate(() => Consent.receipt().receipt), receipts[0].jws);
  assert.equal((await bench.server.check(subject, 'marketing')).reason, 'granted');
});

test('an offline browser delivers its queued decision when it comes back online, without a reload', async (t) => {
  const { context, page } = await visit(t);
  await page.locator('.cs-layer-1').waitFor();
  await context.setOffline(true);
  await page.click('[data-action="reject"]');
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => Consent.pending()), 1);
  await context.setOffline(false);   // fires "online" in the page
  await waitForReceipts(page, 1);
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.exportReceipts(subject)).length, 1);
  assert.equal((await bench.server.check(subject, 'analytics')).reason, 'denied');
});

test('sending the same decision twice (two tabs, a retry) still makes one receipt', async (t) => {
  const { page } = await visit(t);
  await page.click('[data-action="accept"]');
  await waitForReceipts(page, 1);
  const { subject, receipt } = await page.evaluate(() => ({ subject: Consent.subject(), receipt: Consent.receipt() }));
  const payload = JSON.parse(Buffer.from(receipt.receipt.split('.')[1], 'base64url'));
  // Replay exactly what the outbox sent.
  const replay = await request('POST', `${bench.server.url}/v1/sites/${SITE}/decisions`,
    { 'Content-Type': 'application/json', Origin: bench.site }, JSON.stringify({
      decision_id: payload.decision_id, subject_id: subject, notice_id: payload.notice.id,
      notice_version: payload.notice.version, notice_hash: payload.notice.hash, language: payload.language,
      method: payload.method, client_time: payload.client_time, context: payload.context }));
  assert.equal(replay.status, 200, replay.text);
  assert.equal(replay.json().receipt_id, receipt.receipt_id);
  assert.equal((await bench.server.exportReceipts(subject)).length, 1);
});

test('the visitor downloads their signed receipts from the preferences', async (t) => {
  const { page } = await visit(t, { context: { acceptDownloads: true } });
  await page.click('[data-action="choose"]');
  await page.check('input[data-purpose="marketing"]');
  await page.click('[data-action="save"]');
  await waitForReceipts(page, 1);
  await page.click('[data-action="privacy-choices"]');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="download"]')]);
  assert.equal(download.suggestedFilename(), `consent-receipts-${SITE}.json`);
  const file = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal(file.subject_id, subject);
  assert.equal(file.receipts.length, 1);
  const jws = file.receipts[0].receipt;
  const payload = JSON.parse(Buffer.from(jws.split('.')[1], 'base64url'));
  assert.equal(payload.subject, subject);
  assert.equal(payload.method, 'custom');
  assert.ok(file.receipts[0].inclusion_proof && file.receipts[0].checkpoint, 'the proof of inclusion is kept with it');
});

test('asked again after a material notice change, not after a typo fix', async (t) => {
  const { page } = await visit(t);
  await page.click('[data-action="accept"]');
  await waitForReceipts(page, 1);
  await bench.server.publish((n) => { n.version = 4; n.material = false; n.texts.en.body += ' (typo fixed)'; });
  await load(page, bench.site + '/shop.html');
  await page.waitForFunction(() => window.analyticsRan === 1);
  assert.equal(await page.locator('.cs-dialog').count(), 0, 'a non-material change does not ask again');
  await bench.server.publish((n) => { n.version = 5; n.material = true; n.texts.en.body = 'We now also share visits with a partner.'; });
  await load(page, bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
  assert.equal(await page.locator('#cs-body').textContent(), 'We now also share visits with a partner.');
  assert.equal(await page.evaluate(() => [window.analyticsRan || 0, Consent.allowed('analytics')].join()), '0,false',
    'the old consent no longer covers what is now said');
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.check(subject, 'analytics')).reason, 'notice_changed');
});

test('asked again when a purpose is added', async (t) => {
  const { page } = await visit(t);
  await page.click('[data-action="reject"]');
  await waitForReceipts(page, 1);
  await bench.server.publish((n) => {
    n.version = 6; n.material = false;
    n.purposes.push({ id: 'personalization', legal_basis: 'consent',
      texts: { en: { title: 'Personal offers', description: 'Suggests bikes from what you looked at.' },
        de: { title: 'Persönliche Angebote', description: 'Schlägt Räder vor.' }, ar: { title: 'عروض شخصية', description: 'يقترح دراجات.' } },
      services: [{ name: 'Recommender', provider: 'Velo GmbH', third_party: false, cookies: [] }] });
  });
  await load(page, bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
  await page.click('[data-action="choose"]');
  assert.equal(await page.locator('input[data-purpose="personalization"]').isChecked(), false);
});

test('asked again once a choice is older than its maximum age (180 days)', async (t) => {
  const { page } = await visit(t);
  await page.click('[data-action="accept"]');
  await waitForReceipts(page, 1);
  await page.clock.setFixedTime(Date.now() + 181 * 86400 * 1000);
  await load(page, bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
  assert.equal(await page.evaluate(() => [window.analyticsRan || 0, Consent.allowed('analytics')].join()), '0,false');
});

test('a signed-in visitor\'s choice is recorded under their account id, vouched for by the site backend\'s token', async (t) => {
  const jose = require('jose');
  const { spawnSync } = require('node:child_process');
  const { publicKey, privateKey } = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  const r = spawnSync(process.env.CONSENTCTL, ['site', 'subject-key', SITE, jwk.x, ...bench.server.common], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const kid = await jose.calculateJwkThumbprint(jwk);
  const token = async (sub, lifetime) => {
    const now = Math.floor(Date.now() / 1000);
    return new jose.CompactSign(new TextEncoder().encode(JSON.stringify({ site: SITE, sub, iat: now - 10, exp: now + lifetime })))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'consent-subject+jwt', kid }).sign(privateKey);
  };
  const { page } = await visit(t);
  const good = await token('account-1042', 600);
  assert.equal(await page.evaluate((tk) => Consent.identify(tk), good), 'account-1042');
  await page.click('[data-action="accept"]');
  await waitForReceipts(page, 1);
  assert.equal((await bench.server.check('account-1042', 'marketing')).reason, 'granted');
  // A token that expired before delivery: the grant is refused for good, reported, and not retried.
  await page.evaluate(() => { window.rejected = []; Consent.on('rejected', (d) => window.rejected.push(d.code)); });
  const stale = await token('account-2077', -5);
  await page.evaluate((tk) => Consent.identify(tk), stale);
  await page.click('[data-action="privacy-choices"]');
  await page.click('[data-action="accept"]');
  await page.waitForFunction(() => window.rejected.length === 1 && Consent.pending() === 0);
  assert.match(await page.evaluate(() => window.rejected[0]), /^subject\.token/);
  assert.equal((await bench.server.check('account-2077', 'marketing')).allowed, false);
  // Signed out: back to the browser's own id.
  assert.match(await page.evaluate(() => Consent.identify(null)), /^b_[A-Za-z0-9_-]{22}$/);
});

test('a refusal is kept for its purpose\'s refusal age (90 days for marketing), then asked again', async (t) => {
  const { page } = await visit(t);
  await page.click('[data-action="reject"]');
  await waitForReceipts(page, 1);
  const day = 86400 * 1000;
  const start = Date.now();
  await page.clock.setFixedTime(start + 89 * day);
  await load(page, bench.site + '/shop.html');
  assert.equal(await page.locator('.cs-dialog').count(), 0, 'not asked again within 90 days');
  await page.clock.setFixedTime(start + 91 * day);
  await load(page, bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
});
