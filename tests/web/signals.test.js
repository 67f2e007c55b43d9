// Signals and language: Global Privacy Control (CCPA regulations §7025),
// Google Consent Mode v2 (defaults before any tag, an update after each
// decision, from the core's mapping), and the visitor's language (incl. RTL).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startBench, openPage, load, waitForReceipts } = require('./harness.js');

let bench;
test.before(async () => {
  bench = await startBench();
  // A page whose gated tag records what Consent Mode had been told when it ran.
  bench.page('consent-mode.html', `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CM</title>
<script src="{{DIST:consent.js}}" integrity="{{SRI:consent.js}}" data-site="{{SITE}}" data-server="{{CONSENTD}}" async></script></head><body><p>Shop</p>
<script type="text/plain" data-consent="analytics">window.seenByTag = window.dataLayer.map((a) => Array.from(a));</script>
</body></html>`);
});
test.after(async () => { if (bench) await bench.close(); });

function payloadOf(jws) {
  return JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8'));
}

test('GPC: sale/sharing purposes are denied and locked, the banner says so, and the decision records method gpc', async (t) => {
  const { context, page } = await openPage(bench, { gpc: true });
  t.after(() => context.close());
  await load(page, bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
  assert.match(await page.locator('.cs-gpc').textContent(), /Global Privacy Control signal is honoured/);
  await page.click('[data-action="choose"]');
  const marketing = page.locator('input[data-purpose="marketing"]');
  assert.deepEqual([await marketing.isChecked(), await marketing.isDisabled()], [false, true]);
  assert.equal(await page.locator('input[data-purpose="analytics"]').isDisabled(), false);
  await page.click('[data-action="accept"]');
  await page.waitForFunction(() => window.analyticsRan === 1);
  await waitForReceipts(page, 1);
  const facts = await page.evaluate(() => ({ marketing: window.marketingRan || 0, allowed: Consent.allowed('marketing'),
    receipt: Consent.receipt().receipt, subject: Consent.subject() }));
  assert.equal(facts.marketing, 0);
  assert.equal(facts.allowed, false);
  const payload = payloadOf(facts.receipt);
  assert.equal(payload.method, 'gpc');
  const states = Object.fromEntries(payload.purposes.map((p) => [p.id, p.state]));
  assert.deepEqual(states, { necessary: 'granted', analytics: 'granted', marketing: 'denied' });
  assert.equal((await bench.server.check(facts.subject, 'marketing')).allowed, false);
  assert.equal((await bench.server.check(facts.subject, 'analytics')).allowed, true);
  assert.deepEqual(page.requests.filter((u) => u.startsWith(bench.third)), []);
});

const ALL_TYPES = ['ad_personalization', 'ad_storage', 'ad_user_data', 'analytics_storage', 'functionality_storage',
  'personalization_storage', 'security_storage'];

test('Consent Mode v2: denied defaults come before any tag; each decision pushes the core\'s update', async (t) => {
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  await load(page, bench.site + '/consent-mode.html');
  const first = await page.evaluate(() => window.dataLayer.map((a) => Array.from(a)));
  assert.equal(first.length, 1, 'only the defaults before a decision');
  assert.deepEqual(first[0].slice(0, 2), ['consent', 'default']);
  for (const type of ALL_TYPES) assert.equal(first[0][2][type], 'denied', type);
  await page.click('[data-action="accept"]');
  await page.waitForFunction(() => window.seenByTag);
  const seen = await page.evaluate(() => window.seenByTag);
  // The tag ran after the default and after the update that granted it.
  assert.deepEqual(seen.map((e) => e[1]), ['default', 'update']);
  assert.deepEqual(seen[1][2], { ad_personalization: 'granted', ad_storage: 'granted', ad_user_data: 'granted',
    analytics_storage: 'granted', security_storage: 'granted' });
  await page.click('[data-action="privacy-choices"]');
  await page.click('[data-action="reject"]');
  const last = await page.evaluate(() => Array.from(window.dataLayer[window.dataLayer.length - 1]));
  assert.deepEqual(last, ['consent', 'update', { ad_personalization: 'denied', ad_storage: 'denied', ad_user_data: 'denied',
    analytics_storage: 'denied', security_storage: 'granted' }]);
});

test('the banner speaks the visitor\'s language, and right-to-left languages lay out mirrored', async (t) => {
  const de = await openPage(bench, { context: { locale: 'de-AT' } });
  t.after(() => de.context.close());
  await load(de.page, bench.site + '/shop.html');
  await de.page.locator('.cs-layer-1').waitFor();
  assert.equal(await de.page.locator('#cs-title').textContent(), 'Ihre Datenschutz-Einstellungen');
  assert.equal(await de.page.locator('[data-action="reject"]').textContent(), 'Alle ablehnen');
  assert.equal(await de.page.locator('.cs-root').getAttribute('lang'), 'de');

  const ar = await openPage(bench, { context: { locale: 'ar-EG' } });
  t.after(() => ar.context.close());
  await load(ar.page, bench.site + '/shop.html');
  await ar.page.locator('.cs-layer-1').waitFor();
  assert.equal(await ar.page.locator('#cs-title').textContent(), 'خيارات الخصوصية الخاصة بك');
  const layout = await ar.page.evaluate(() => {
    const root = document.querySelector('.cs-root');
    const buttons = ['accept', 'reject'].map((a) => document.querySelector(`[data-action="${a}"]`).getBoundingClientRect().left);
    return { dir: root.getAttribute('dir'), lang: root.getAttribute('lang'), direction: getComputedStyle(root).direction,
      acceptRightOfReject: buttons[0] > buttons[1] };
  });
  assert.deepEqual(layout, { dir: 'rtl', lang: 'ar', direction: 'rtl', acceptRightOfReject: true });
  await ar.page.click('[data-action="reject"]');
  const reopen = await ar.page.evaluate(() => {
    const r = document.querySelector('[data-action="privacy-choices"]').getBoundingClientRect();
    return { right: window.innerWidth - r.right, left: r.left, text: document.querySelector('[data-action="privacy-choices"]').textContent };
  });
  assert.ok(reopen.right < reopen.left, 'the control sits at the start edge, which is the right in Arabic');
  assert.equal(reopen.text, 'خيارات الخصوصية');
  await waitForReceipts(ar.page, 1);
  assert.equal(payloadOf(await ar.page.evaluate(() => Consent.receipt().receipt)).language, 'ar');
});
