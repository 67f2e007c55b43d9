// The banner when things go wrong (issue #10, item 6 and the banner's side of
// items 1 and 5): localStorage full, a grant the server refuses, a subject
// token that must stay in memory, hundreds of decisions, an answer that is not
// the receipt of this decision, and a server that answers 404 or 503 for a
// while. A choice is never lost or misstated: a withdrawal takes effect in the
// page and reaches consentd whatever storage does, and a refused grant falls
// back to what the server last acknowledged, told to the page and the visitor.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { startBench, openPage, load, visitShop, waitForReceipts, request, SITE } = require('./harness.js');

let bench;
let signToken;
test.before(async () => {
  bench = await startBench();
  signToken = await registerSubjectKey(bench);
});
test.after(async () => { if (bench) await bench.close(); });

const visit = (t, options) => visitShop(bench, t, options);

/** Registers a site backend key with consentd; returns (sub, lifetime seconds) => a subject token. */
async function registerSubjectKey(b) {
  const jose = require('jose');
  const { publicKey, privateKey } = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  const r = spawnSync(process.env.CONSENTCTL, ['site', 'subject-key', SITE, jwk.x, ...b.server.common], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const kid = await jose.calculateJwkThumbprint(jwk);
  return async (sub, lifetime) => {
    const now = Math.floor(Date.now() / 1000);
    return new jose.CompactSign(new TextEncoder().encode(JSON.stringify({ site: SITE, sub, iat: now - 10, exp: now + lifetime })))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'consent-subject+jwt', kid }).sign(privateKey);
  };
}

// Runs in the page: fills this origin's localStorage until not one more character fits.
function fillStorage() {
  if (localStorage.getItem('filler:0') !== null) return;
  let size = 1 << 20;
  for (let i = 0; size >= 1; i++) {
    try { localStorage.setItem('filler:' + i, 'x'.repeat(size)); } catch (e) { size = Math.floor(size / 2); }
  }
}

// Runs before consent.js: every consent:rejected the page hears, kept across the page's life.
function recordRejections() {
  window.rejections = [];
  document.addEventListener('consent:rejected', (e) => window.rejections.push(e.detail));
}

function pageState(page) {
  return page.evaluate(() => ({
    analytics: Consent.allowed('analytics'), marketing: Consent.allowed('marketing'),
    cookie: document.cookie, frame: document.querySelector('iframe[data-consent]').hasAttribute('src'),
    last: window.changes[window.changes.length - 1],
  }));
}

test('with localStorage full, Reject all takes effect at once, reaches consentd, and a reload does not bring the grant back', async (t) => {
  const { page } = await visit(t);
  await page.click('[data-action="accept"]');
  await waitForReceipts(page, 1);
  await page.waitForFunction(() => document.cookie.includes('_pk_id') && document.querySelector('iframe[src]'));
  await page.evaluate(fillStorage);
  assert.equal(await page.evaluate(() => { try { localStorage.setItem('filler:probe', 'x'); return 'stored'; } catch (e) { return e.name; } }),
    'QuotaExceededError', 'the test really filled the storage');
  await page.click('[data-action="privacy-choices"]');
  await page.click('[data-action="reject"]');
  const now = await pageState(page);
  assert.equal(now.analytics, false, 'analytics is off at once');
  assert.equal(now.marketing, false, 'marketing is off at once');
  assert.ok(!now.cookie.includes('_pk_id'), `the analytics cookies are deleted: ${now.cookie}`);
  assert.equal(now.frame, false, 'the marketing frame is emptied');
  assert.equal(now.last.method, 'reject_all');
  assert.deepEqual(now.last.revoked.sort(), ['analytics', 'marketing']);
  await page.waitForFunction(() => Consent.pending() === 0 && Consent.receipts().length === 2, null, { timeout: 15000 });
  const subject = await page.evaluate(() => Consent.subject());
  const receipts = await bench.server.exportReceipts(subject);
  assert.equal(receipts.length, 2, 'the withdrawal reached consentd');
  assert.equal((await bench.server.check(subject, 'analytics')).allowed, false);
  // The storage still holds the grant it could not overwrite: the next page must not run on it.
  await load(page, bench.site + '/shop.html');
  assert.deepEqual(await page.evaluate(() => [window.analyticsRan || 0, Consent.allowed('analytics'), Consent.allowed('marketing')]),
    [0, false, false], 'after a reload the withdrawal still holds');
});

test('with localStorage full before consent.js runs, a first visit\'s Reject all applies and reaches consentd', async (t) => {
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  await context.addInitScript(fillStorage);
  await load(page, bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
  await page.click('[data-action="reject"]');
  await page.waitForFunction(() => Consent.pending() === 0 && Consent.receipts().length === 1, null, { timeout: 15000 });
  const subject = await page.evaluate(() => Consent.subject());
  const receipts = await bench.server.exportReceipts(subject);
  assert.equal(receipts.length, 1, 'the refusal reached consentd');
  assert.equal((await bench.server.check(subject, 'analytics')).reason, 'denied');
  assert.deepEqual(await page.evaluate(() => [window.analyticsRan || 0, Consent.allowed('analytics')]), [0, false]);
});

test('a grant the server refuses (an expired subject token) falls back, is told to the page, and is shown to the visitor', async (t) => {
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  await context.addInitScript(recordRejections);
  await load(page, bench.site + '/shop.html');
  await page.evaluate((tk) => Consent.identify(tk), await signToken('account-3001', -5));
  await page.click('[data-action="accept"]');
  await page.waitForFunction(() => window.rejections.length === 1, null, { timeout: 15000 });
  assert.match(codeOf(await page.evaluate(() => window.rejections[0])), /^subject\.token/);
  const now = await pageState(page);
  assert.equal(now.analytics, false, 'the refused grant no longer applies');
  assert.equal(now.marketing, false);
  assert.equal(now.frame, false, 'the marketing frame is emptied again');
  assert.ok(!now.cookie.includes('_pk_id'), `the analytics cookies are deleted: ${now.cookie}`);
  assert.equal(await page.evaluate(() => Consent.pending()), 0);
  const notice = page.locator('.cs-root [role="status"]');
  assert.ok((await notice.textContent()).trim().length > 0, 'the visitor is told');
  assert.ok(await notice.isVisible());
  await page.locator('.cs-layer-2').waitFor();   // and can choose again
  assert.equal(await page.evaluate(() => Consent.receipts().length), 0, 'nothing of it is stored');
  assert.equal((await bench.server.check('account-3001', 'marketing')).allowed, false);
});

test('the subject token never reaches localStorage, and a grant waiting for delivery without it after a reload is refused and reverted', async (t) => {
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  await context.addInitScript(recordRejections);
  await load(page, bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
  const token = await signToken('account-4004', 600);
  await page.evaluate((tk) => Consent.identify(tk), token);
  await bench.server.stop();
  t.after(async () => { if (!bench.server.running()) await bench.server.start(); });
  await page.click('[data-action="accept"]');
  await page.waitForFunction(() => Consent.pending() === 1 && Consent.allowed('analytics'));
  const stored = await page.evaluate(() => Object.keys(localStorage).map((k) => k + '=' + localStorage.getItem(k)).join('\n'));
  const signature = token.split('.')[2];
  assert.ok(!stored.includes(signature), 'no key holds the token');
  assert.ok(stored.includes('account-4004'), 'the decision itself is kept for delivery');
  await bench.server.start();
  await load(page, bench.site + '/shop.html');   // this page does not identify again
  await page.waitForFunction(() => window.rejections.length === 1 && Consent.pending() === 0, null, { timeout: 15000 });
  assert.equal(codeOf(await page.evaluate(() => window.rejections[0])), 'subject.token_required');
  assert.deepEqual(await page.evaluate(() => [Consent.allowed('analytics'), Consent.allowed('marketing')]), [false, false]);
  assert.ok(await page.locator('.cs-root [role="status"]').isVisible(), 'the visitor is told');
});

const RECEIPT_BOUND = 20 + 3;   // the newest 20, plus the newest naming each of the shop's 3 purposes
const OUTBOX_BOUND = 50;

test('after 500 decisions the receipts kept and the outbox stay bounded, and the last choice is what holds', async (t) => {
  const { context, page } = await visit(t);
  await page.locator('.cs-layer-1').waitFor();
  // 500 decisions acknowledged one by one.
  await page.evaluate(async () => {
    for (let i = 0; i < 500; i++) {
      Consent.show();
      document.querySelector(i % 2 ? '[data-action="reject"]' : '[data-action="accept"]').click();
      while (Consent.pending() > 0) await new Promise((r) => setTimeout(r, 2));
    }
  });
  const kept = await page.evaluate(() => ({ count: Consent.receipts().length, newest: Consent.receipt(),
    bytes: (localStorage.getItem('consent:bike-shop:receipts') || '').length }));
  assert.ok(kept.count <= RECEIPT_BOUND, `receipts kept: ${kept.count}`);
  assert.ok(kept.bytes < 200000, `receipt bytes: ${kept.bytes}`);
  assert.equal(kept.newest.method, 'reject_all', 'the newest receipt is kept');
  // 500 more while offline: the outbox stays bounded and the last choice still reaches consentd.
  await context.setOffline(true);
  await page.evaluate(() => {
    for (let i = 0; i < 500; i++) {
      Consent.show();
      document.querySelector(i % 2 ? '[data-action="reject"]' : '[data-action="accept"]').click();
    }
  });
  const pending = await page.evaluate(() => [Consent.pending(), JSON.parse(localStorage.getItem('consent:bike-shop:outbox')).length]);
  assert.ok(pending[0] <= OUTBOX_BOUND && pending[1] <= OUTBOX_BOUND, `outbox: ${pending}`);
  await context.setOffline(false);
  await page.waitForFunction(() => Consent.pending() === 0, null, { timeout: 30000 });
  const subject = await page.evaluate(() => Consent.subject());
  const receipts = await bench.server.exportReceipts(subject);
  const last = JSON.parse(Buffer.from(receipts[receipts.length - 1].jws.split('.')[1], 'base64url'));
  assert.equal(last.method, 'reject_all', 'the last choice is the one recorded last');
  assert.equal((await bench.server.check(subject, 'analytics')).allowed, false);
});

/** Answers the banner's decision POSTs with answer(n) (n counts them from 1), or lets them through when it returns null. */
async function interceptDecisions(page, answer) {
  const seen = { posts: 0, bodies: [] };
  await page.route('**/v1/sites/*/decisions', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    seen.posts += 1;
    seen.bodies.push(route.request().postDataJSON());
    const fake = answer(seen.posts);
    if (!fake) return route.continue();
    return route.fulfill(Object.assign({ status: 200 }, fake, {
      headers: Object.assign({ 'Access-Control-Allow-Origin': bench.site, 'Access-Control-Expose-Headers': 'Retry-After' }, fake.headers),
    }));
  });
  return seen;
}

test('an answer carrying the receipt of another subject is not stored: the decision is reported as refused', async (t) => {
  // A real receipt, of someone else.
  const other = await request('POST', `${bench.server.url}/v1/sites/${SITE}/decisions`, { 'Content-Type': 'application/json' },
    JSON.stringify(await decisionFor(bench, 'b_' + 'A'.repeat(22))));
  assert.equal(other.status, 201, other.text);
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  await context.addInitScript(recordRejections);
  await interceptDecisions(page, (n) => (n === 1 ? { status: 201, contentType: 'application/json', body: other.text } : null));
  await load(page, bench.site + '/shop.html');
  await page.click('[data-action="accept"]');
  await page.waitForFunction(() => window.rejections.length === 1, null, { timeout: 15000 });
  assert.equal(codeOf(await page.evaluate(() => window.rejections[0])), 'receipt.mismatch');
  assert.equal(await page.evaluate(() => Consent.receipts().length), 0, 'the foreign receipt is not kept');
  assert.equal(await page.evaluate((id) => (localStorage.getItem('consent:bike-shop:receipts') || '').includes(id),
    other.json().receipt_id), false);
  assert.equal(await page.evaluate(() => Consent.allowed('analytics')), false, 'a grant without its receipt does not hold');
});

test('a 404 that is not consentd\'s "no such site" and a 503 are retried, and the decision lands exactly once', async (t) => {
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  const seen = await interceptDecisions(page, (n) => {
    if (n === 1) return { status: 404, contentType: 'text/html', body: '<h1>Not Found</h1>' };   // a proxy mid-deploy
    if (n === 2) return { status: 503, contentType: 'application/json', headers: { 'Retry-After': '1' },
      body: JSON.stringify({ error: { code: 'storage.unavailable', message: 'try again' } }) };
    return null;
  });
  await load(page, bench.site + '/shop.html');
  await page.click('[data-action="accept"]');
  await waitForReceipts(page, 1);
  assert.equal(seen.posts, 3, 'sent three times: 404, 503, then through');
  // consentd records the Origin header the browser sent, not an origin the page writes (issue #10 item 7).
  assert.deepEqual(seen.bodies.map((b) => b.context), Array(3).fill({ ua_class: 'desktop' }));
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.exportReceipts(subject)).length, 1, 'exactly one receipt');
  assert.equal((await bench.server.check(subject, 'marketing')).reason, 'granted');
});

function codeOf(detail) { return detail && detail.code; }

/** A decision request as the banner makes it, for subject, on the shop's current notice. */
async function decisionFor(b, subject) {
  const r = await request('GET', `${b.server.url}/v1/sites/${SITE}/banner-view?languages=en&gpc=0`, {});
  const view = r.json();
  return { decision_id: 'd' + Date.now().toString(36) + 'x'.repeat(8), subject_id: subject, notice_id: view.notice_id,
    notice_version: view.notice_version, notice_hash: view.hash, language: 'en', method: 'accept_all',
    client_time: Date.now(), context: { ua_class: 'desktop' } };
}
