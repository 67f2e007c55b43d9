// Gating (REGULATORY.md: specific and granular; withdrawal stops processing):
// marked scripts and frames stay inert — no request leaves for the third party
// — until their purpose is granted; they come alive without a reload; a
// withdrawal deletes the purpose's cookies and fires consent:change in the same
// task, and nothing gated runs again. Observed in the browser and at the server.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startBench, openPage, load, visitShop, waitForReceipts } = require('./harness.js');

let bench;
test.before(async () => { bench = await startBench(); });
test.after(async () => { if (bench) await bench.close(); });

const visit = (t, options) => visitShop(bench, t, options);

const thirdPartyRequests = (page) => page.requests.filter((u) => u.startsWith(bench.third));
const ran = (page) => page.evaluate(() => ({ analytics: window.analyticsRan || 0, marketing: window.marketingRan || 0,
  frame: document.querySelector('iframe[data-consent-src]').getAttribute('src') }));

test('nothing gated runs and nothing leaves for the third party before a choice or after "Reject all"', async (t) => {
  const { page } = await visit(t);
  await page.locator('.cs-dialog').waitFor();
  assert.deepEqual(await ran(page), { analytics: 0, marketing: 0, frame: null });
  await page.click('[data-action="reject"]');
  await waitForReceipts(page, 1);
  assert.deepEqual(await ran(page), { analytics: 0, marketing: 0, frame: null });
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.check(subject, 'analytics')).allowed, false);
  assert.equal((await bench.server.check(subject, 'marketing')).reason, 'denied');
  // A later page view: no banner, still nothing.
  await load(page, bench.site + '/shop.html');
  assert.equal(await page.locator('.cs-dialog').count(), 0);
  assert.deepEqual(await ran(page), { analytics: 0, marketing: 0, frame: null });
  assert.deepEqual(thirdPartyRequests(page), []);
  assert.equal(await page.evaluate(() => document.cookie), '');
});

test('"Accept all" brings gated scripts and frames alive without a reload, and the server agrees', async (t) => {
  const { page } = await visit(t);
  await page.click('[data-action="accept"]');
  await page.waitForFunction(() => window.analyticsRan === 1 && window.marketingRan === 1);
  assert.equal((await ran(page)).frame, `${bench.third}/frame.html`);
  assert.ok(thirdPartyRequests(page).includes(`${bench.third}/pixel.js`));
  const change = await page.evaluate(() => window.changes);
  assert.equal(change.length, 1);
  assert.deepEqual(change[0].granted.sort(), ['analytics', 'marketing', 'necessary'].sort().filter((p) => p !== 'necessary'));
  assert.equal(change[0].method, 'accept_all');
  await waitForReceipts(page, 1);
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.check(subject, 'marketing')).reason, 'granted');
});

test('"Accept all": the gated script runs first in the click\'s task, the choice is stored in that same task, and nothing runs or is stored while the question waits', async (t) => {
  const { page } = await visit(t);
  await page.locator('.cs-dialog').waitFor();
  // The banner's idle preparation (first_visit.js _warm) starts and stores nothing.
  await page.waitForTimeout(300);
  const keys = () => page.evaluate(() => Object.keys(localStorage).filter((k) => /:(outbox|unapplied|state)$/.test(k) && localStorage.getItem(k) !== '[]'));
  assert.deepEqual(await keys(), []);
  assert.deepEqual(await ran(page), { analytics: 0, marketing: 0, frame: null });
  const seen = await page.evaluate(() => {
    const stored = () => ['outbox', 'unapplied'].some((k) => (localStorage.getItem('consent:bike-shop:' + k) || '[]') !== '[]');
    let storedWhenRan = null;
    let pendingAtChange = null;
    Object.defineProperty(window, 'analyticsRan', { configurable: true, set(v) { storedWhenRan = stored(); this._ran = v; }, get() { return this._ran; } });
    Consent.on('change', () => { pendingAtChange = Consent.pending(); });
    document.querySelector('[data-action="accept"]').click();
    return { ran: window.analyticsRan, storedWhenRan, storedAfter: stored(), pendingAtChange };
  });
  assert.deepEqual(seen, { ran: 1, storedWhenRan: false, storedAfter: true, pendingAtChange: 1 });
  await waitForReceipts(page, 1);
});

test('granting one purpose allows only that one', async (t) => {
  const { page } = await visit(t);
  await page.click('[data-action="choose"]');
  await page.check('input[data-purpose="analytics"]');
  await page.click('[data-action="save"]');
  await page.waitForFunction(() => window.analyticsRan === 1);
  await waitForReceipts(page, 1);
  assert.deepEqual(await ran(page), { analytics: 1, marketing: 0, frame: null });
  assert.deepEqual(thirdPartyRequests(page), []);
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.check(subject, 'analytics')).allowed, true);
  assert.equal((await bench.server.check(subject, 'marketing')).allowed, false);
});

test('withdrawing from "Privacy choices": cookies deleted and consent:change in the same task; nothing gated runs again', async (t) => {
  const { page } = await visit(t);
  await page.click('[data-action="accept"]');
  await page.waitForFunction(() => window.marketingRan === 1 && document.cookie.includes('_ad_uid'));
  await waitForReceipts(page, 1);
  await page.click('[data-action="privacy-choices"]');
  await page.locator('.cs-layer-2').waitFor();
  assert.equal(await page.locator('input[data-purpose="marketing"]').isChecked(), true);
  await page.uncheck('input[data-purpose="marketing"]');
  // Click and look in one task: the event and the deletion must already have happened.
  const sameTask = await page.evaluate(() => {
    const before = window.changes.length;
    document.querySelector('[data-action="save"]').click();
    return { events: window.changes.length - before, last: window.changes[window.changes.length - 1],
      cookie: document.cookie, allowed: Consent.allowed('marketing'),
      frame: document.querySelector('iframe[data-consent-src]').getAttribute('src') };
  });
  assert.equal(sameTask.events, 1);
  assert.deepEqual(sameTask.last.revoked, ['marketing']);
  assert.equal(sameTask.last.method, 'withdraw');
  assert.equal(sameTask.allowed, false);
  assert.equal(sameTask.frame, null, 'the frame was emptied');
  assert.ok(!sameTask.cookie.includes('_ad_uid'), `marketing cookie left: ${sameTask.cookie}`);
  assert.ok(sameTask.cookie.includes('_pk_id.1.abcd'), 'analytics cookies stay');
  await waitForReceipts(page, 2);
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.check(subject, 'marketing')).reason, 'withdrawn');
  // After a reload the pixel is not fetched again; analytics still runs.
  const pixelHits = bench.thirdPartyHits.filter((u) => u === '/pixel.js').length;
  page.requests.length = 0;
  await load(page, bench.site + '/shop.html');
  await page.waitForFunction(() => window.analyticsRan === 1);
  assert.deepEqual(await ran(page), { analytics: 1, marketing: 0, frame: null });
  assert.deepEqual(thirdPartyRequests(page), []);
  assert.equal(bench.thirdPartyHits.filter((u) => u === '/pixel.js').length, pixelHits);
});

test('gated elements added to the page later are held until consent, then run', async (t) => {
  const { page } = await visit(t);
  const add = () => page.evaluate(() => {
    const s = document.createElement('script');
    s.type = 'text/plain';
    s.dataset.consent = 'analytics';
    s.text = 'window.lateRan = (window.lateRan || 0) + 1;';
    document.body.appendChild(s);
  });
  await add();
  await page.waitForTimeout(100);
  assert.equal(await page.evaluate(() => window.lateRan || 0), 0);
  await page.click('[data-action="accept"]');
  await page.waitForFunction(() => window.lateRan === 1);
  await add();
  await page.waitForFunction(() => window.lateRan === 2);
});

test('fails closed: without the wasm core nothing gated runs and Consent.allowed answers false', async (t) => {
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  await page.route('**/' + bench.file('consent-banner.wasm'), (route) => route.abort());
  // The visitor had accepted on an earlier visit: still nothing may run without the core.
  await page.goto(bench.site + '/shop.html');
  await page.evaluate(() => localStorage.setItem('consent:bike-shop:state', JSON.stringify({ marketing:
    { state: 'granted', method: 'accept_all', notice_id: 'bike-shop', notice_version: 3, decided_at: Math.floor(Date.now() / 1000) } })));
  await page.reload();
  await page.waitForFunction(() => window.Consent && window.Consent.ready !== null);
  const outcome = await page.evaluate(() => window.Consent.ready.then(() => 'ready', () => 'failed'));
  assert.equal(outcome, 'failed');
  assert.deepEqual(await ran(page), { analytics: 0, marketing: 0, frame: null });
  assert.equal(await page.evaluate(() => Consent.allowed('marketing') || Consent.allowed('analytics')), false);
  assert.deepEqual(thirdPartyRequests(page), []);
});

test('without the wasm core a first-time visitor can still decide: the server\'s core draws the view and says what the click allows', async (t) => {
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  const wasmAsked = [];
  await page.route('**/' + bench.file('consent-banner.wasm'), (route) => { wasmAsked.push(route.request().url()); route.abort(); });
  await page.goto(bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
  assert.equal(await page.locator('#cs-title').textContent(), 'Your privacy choices');
  // Reading the dialog with the pointer on it fetches nothing: the first layer needs no wasm.
  await page.hover('.cs-dialog');
  await page.click('[data-action="accept"]');
  // In the click's own task: consentd's core said what "Accept all" allows, and the gated scripts run.
  await page.waitForFunction(() => window.analyticsRan === 1 && window.marketingRan === 1);
  assert.equal(await page.evaluate(() => Consent.allowed('analytics') && Consent.allowed('marketing')), true);
  assert.deepEqual(await page.evaluate(() => window.changes.map((c) => c.method)), ['accept_all']);
  await page.waitForFunction(() => Consent.pending() === 0);
  assert.deepEqual(wasmAsked, [], 'the wasm core was not fetched for a first-layer choice');
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.check(subject, 'analytics')).reason, 'granted');
  // The next visit loads the core, which applies the choice as made: no question, gated scripts run.
  await page.unroute('**/' + bench.file('consent-banner.wasm'));
  await load(page, bench.site + '/shop.html');
  await page.waitForFunction(() => window.analyticsRan === 1 && window.marketingRan === 1);
  assert.equal(await page.locator('.cs-dialog').count(), 0);
  assert.equal((await bench.server.exportReceipts(subject)).length, 1);
});

test('"Reject all" on the first layer runs nothing and fetches no wasm; reopening the choices brings the core, which shows them as made', async (t) => {
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  const wasmAsked = [];
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) wasmAsked.push(r.url()); });
  await page.goto(bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
  await page.click('[data-action="reject"]');
  await page.waitForFunction(() => Consent.pending() === 0);
  assert.deepEqual(await ran(page), { analytics: 0, marketing: 0, frame: null });
  assert.deepEqual(wasmAsked, []);
  await page.click('[data-action="privacy-choices"]');
  await page.locator('.cs-layer-2').waitFor();
  assert.equal(wasmAsked.length, 1, 'the second layer brings the core');
  assert.equal(await page.locator('input[data-purpose="analytics"]').isChecked(), false);
  await page.check('input[data-purpose="analytics"]');
  await page.click('[data-action="save"]');
  await page.waitForFunction(() => window.analyticsRan === 1);
  assert.deepEqual(await page.evaluate(() => window.changes.map((c) => c.method)), ['reject_all', 'custom']);
});

test('a choice made in one tab takes effect in the site\'s other open tabs', async (t) => {
  const { context, page } = await visit(t);
  const other = await context.newPage();
  await load(other, bench.site + '/shop.html');
  await page.click('[data-action="accept"]');
  await other.waitForFunction(() => window.analyticsRan === 1 && window.changes.length === 1);
  assert.equal(await other.evaluate(() => window.changes[0].method), 'sync');
  // And a withdrawal there stops it here.
  await other.click('[data-action="privacy-choices"]');
  await other.uncheck('input[data-purpose="analytics"]');
  await other.click('[data-action="save"]');
  await page.waitForFunction(() => !Consent.allowed('analytics') && !document.cookie.includes('_pk_id'));
});

test('a first visit is asked before the wasm core has arrived; a click made meanwhile is recorded at once and applied by the core', async (t) => {
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route('**/' + bench.file('consent-banner.wasm'), async (route) => { await held; await route.continue(); });
  await page.goto(bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
  const early = await page.evaluate(() => ({ ready: Consent.allowed('analytics'), title: document.querySelector('#cs-title').textContent }));
  assert.deepEqual(early, { ready: false, title: 'Your privacy choices' });
  await page.click('[data-action="choose"]');
  await page.check('input[data-purpose="analytics"]');
  await page.click('[data-action="save"]');
  // Chosen while the wasm core is not here: the server's core records it at once (the
  // visitor may leave this page now), but nothing runs until the wasm core says so.
  await waitForReceipts(page, 1);
  const subjectEarly = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.check(subjectEarly, 'analytics')).reason, 'granted');
  assert.deepEqual(await ran(page), { analytics: 0, marketing: 0, frame: null });
  release();
  await page.waitForFunction(() => window.analyticsRan === 1);
  await waitForReceipts(page, 1);
  assert.deepEqual(await ran(page), { analytics: 1, marketing: 0, frame: null });
  assert.equal(await page.locator('.cs-dialog').count(), 0, 'not asked twice');
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.check(subject, 'analytics')).reason, 'granted');
  assert.equal((await bench.server.check(subject, 'marketing')).allowed, false);
});

test('a first visitor who never opens the second layer never downloads the wasm core', async (t) => {
  const { page } = await visit(t);
  await page.locator('.cs-layer-1').waitFor();
  await page.waitForTimeout(1500);
  const wasmFile = bench.file('consent-banner.wasm');
  const wasm = () => page.requests.filter((u) => u.endsWith('/' + wasmFile)).length;
  assert.equal(wasm(), 0);
  // Reading it, pointer on it, costs nothing either: the first layer's answers need no wasm.
  await page.hover('.cs-dialog');
  await page.keyboard.press('Tab');
  await page.waitForTimeout(500);
  assert.equal(wasm(), 0);
  // The second layer does (a save's outcome depends on the switches, which the core works out).
  await page.click('[data-action="choose"]');
  await page.waitForFunction((f) => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/' + f)), wasmFile);
  assert.equal(wasm(), 1);
});

test('a first-visit click followed at once by leaving the page is neither lost nor doubled', async (t) => {
  const { page } = await visit(t);
  await page.locator('.cs-layer-1').waitFor();
  await page.click('[data-action="accept"]');
  await load(page, bench.site + '/shop.html');   // straight away, before anything could finish
  await page.waitForFunction(() => window.analyticsRan === 1 && window.marketingRan === 1);
  await waitForReceipts(page, 1);
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.exportReceipts(subject)).length, 1);
  assert.equal(await page.locator('.cs-dialog').count(), 0);
});

test('Consent.whenAllowed: code the site queued before consent.js runs in the "Accept all" click\'s task, before the gated script, once a page; never after "Reject all"', async (t) => {
  const queue = () => {
    window.order = [];
    const q = (window.ConsentQueue = window.ConsentQueue || []);
    q.push(['whenAllowed', 'analytics', () => window.order.push('analytics:' + (window.analyticsRan || 0))]);
    q.push(['whenAllowed', 'analytics marketing', () => window.order.push('both')]);
    q.push(['whenAllowed', 'necessary', () => window.order.push('necessary')]);
  };
  const accepted = await openPage(bench);
  t.after(() => accepted.context.close());
  await accepted.context.addInitScript(queue);
  await load(accepted.page, bench.site + '/shop.html');
  await accepted.page.locator('.cs-dialog').waitFor();
  assert.deepEqual(await accepted.page.evaluate(() => window.order), ['necessary'], 'only what is allowed before a choice');
  const inClick = await accepted.page.evaluate(() => {
    document.querySelector('[data-action="accept"]').click();
    return { order: window.order.slice(), ran: window.analyticsRan };
  });
  assert.deepEqual(inClick, { order: ['necessary', 'analytics:0', 'both'], ran: 1 });
  await waitForReceipts(accepted.page, 1);
  // A returning visitor's page: each runs again, once, when the core has loaded.
  await load(accepted.page, bench.site + '/shop.html');
  await accepted.page.waitForFunction(() => window.order.length === 3);
  assert.deepEqual((await accepted.page.evaluate(() => window.order)).sort(), ['analytics:0', 'both', 'necessary']);

  const rejected = await openPage(bench);
  t.after(() => rejected.context.close());
  await rejected.context.addInitScript(queue);
  await load(rejected.page, bench.site + '/shop.html');
  await rejected.page.click('[data-action="reject"]');
  await waitForReceipts(rejected.page, 1);
  await load(rejected.page, bench.site + '/shop.html');
  assert.deepEqual(await rejected.page.evaluate(() => window.order), ['necessary']);
  assert.equal(await rejected.page.evaluate(() => window.analyticsRan || 0), 0);
});
