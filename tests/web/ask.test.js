// Asking clearly (REGULATORY.md rows: pre-ticked boxes, reject on the same
// layer, silence is not consent, no cookie wall, accessible to everyone): the
// first and second layer in a real Chromium against a real consentd.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startBench, openPage, load, visitShop } = require('./harness.js');

const AXE = require.resolve('axe-core/axe.min.js');

let bench;
test.before(async () => { bench = await startBench(); });
test.after(async () => { if (bench) await bench.close(); });

const fresh = async (t, options) => (await visitShop(bench, t, options)).page;

// Everything that decides how prominent a button looks.
const STYLE_PROPS = ['font-size', 'font-weight', 'font-family', 'color', 'background-color', 'border-top-width',
  'border-top-style', 'border-top-color', 'border-radius', 'padding-top', 'padding-left', 'text-decoration-line',
  'opacity', 'box-shadow'];

async function buttonFacts(page, actions) {
  return page.evaluate(({ actions, props }) => actions.map((a) => {
    const el = document.querySelector(`.cs-dialog [data-action="${a}"]`);
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    return { tag: el.tagName, type: el.type, width: r.width, height: r.height,
      style: Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p)])) };
  }), { actions, props: STYLE_PROPS });
}

async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const result = await window.axe.run({ include: [['.cs-root']] },
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
}

async function nothingGatedRan(page) {
  const facts = await page.evaluate(() => ({
    analytics: window.analyticsRan || 0, marketing: window.marketingRan || 0,
    frame: document.querySelector('iframe[data-consent-src]').getAttribute('src'), cookie: document.cookie,
  }));
  assert.deepEqual(facts, { analytics: 0, marketing: 0, frame: null, cookie: '' });
  assert.equal(page.requests.filter((u) => u.startsWith(bench.third)).length, 0, 'a request left for the third party');
}

test('a first visit shows a labelled modal dialog with the notice text and three equal choices', async (t) => {
  const page = await fresh(t);
  const dialog = page.locator('.cs-root [role="dialog"]');
  await dialog.waitFor({ state: 'visible' });
  assert.equal(await dialog.getAttribute('aria-modal'), 'true');
  const labelledBy = await dialog.getAttribute('aria-labelledby');
  assert.equal(await page.locator(`#${labelledBy}`).textContent(), 'Your privacy choices');
  assert.match(await page.locator('#cs-body').textContent(), /^We ask before we use your data/);
  const [accept, reject, choose] = await buttonFacts(page, ['accept', 'reject', 'choose']);
  for (const other of [reject, choose]) {
    assert.equal(other.tag, accept.tag);
    assert.equal(other.type, accept.type);
    assert.ok(Math.abs(other.width - accept.width) <= 1, `widths ${accept.width} vs ${other.width}`);
    assert.ok(Math.abs(other.height - accept.height) <= 1, `heights ${accept.height} vs ${other.height}`);
    assert.deepEqual(other.style, accept.style);
  }
  assert.equal(await page.locator('[data-action="accept"]').textContent(), 'Accept all');
  assert.equal(await page.locator('[data-action="reject"]').textContent(), 'Reject all');
  // Focus moved into the dialog.
  assert.equal(await page.evaluate(() => document.activeElement.closest('[role="dialog"]') !== null), true);
  await nothingGatedRan(page);
});

test('the dialog opens with focus on its heading: no answer is preselected for a keyboard user', async (t) => {
  const page = await fresh(t);
  await page.locator('.cs-layer-1').waitFor();
  const focused = await page.evaluate(() => ({ id: document.activeElement.id, tag: document.activeElement.tagName,
    action: document.activeElement.dataset.action || null }));
  assert.deepEqual(focused, { id: 'cs-title', tag: 'H2', action: null });
  // Enter and Space on the heading answer nothing.
  await page.keyboard.press('Enter');
  await page.keyboard.press('Space');
  assert.equal(await page.locator('.cs-layer-1').count(), 1);
  assert.equal(await page.evaluate(() => Consent.pending()), 0);
  // The heading is outside the Tab cycle; Tab reaches the controls in order, Shift+Tab wraps to the last.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.closest('.cs-dialog') !== null && document.activeElement.id !== 'cs-title'), true);
  await page.focus('#cs-title');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.action), 'choose');
  // The second layer opens the same way.
  await page.keyboard.press('Enter');
  await page.locator('.cs-layer-2').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cs-title');
  await nothingGatedRan(page);
});

test('on a phone-sized screen the three choices are still the same size', async (t) => {
  const page = await fresh(t, { context: { viewport: { width: 360, height: 740 } } });
  await page.locator('.cs-dialog').waitFor();
  const [accept, reject, choose] = await buttonFacts(page, ['accept', 'reject', 'choose']);
  for (const other of [reject, choose]) {
    assert.ok(Math.abs(other.width - accept.width) <= 1, `widths ${accept.width} vs ${other.width}`);
    assert.ok(Math.abs(other.height - accept.height) <= 1, `heights ${accept.height} vs ${other.height}`);
  }
  await page.click('[data-action="choose"]');
  const [save, all, none] = await buttonFacts(page, ['save', 'accept', 'reject']);
  for (const other of [all, none]) assert.ok(Math.abs(other.width - save.width) <= 1 && Math.abs(other.height - save.height) <= 1);
});

test('the banner never blocks the first paint: the page shows while consent.js is still on its way', async (t) => {
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route('**/dist/' + bench.file('consent.js'), async (route) => { await held; await route.continue(); });
  await page.goto(bench.site + '/shop.html', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length === 1);
  assert.equal(await page.evaluate(() => typeof window.Consent), 'undefined', 'painted before the banner ran');
  release();
  await page.locator('.cs-layer-1').waitFor();
});

test('no cookie wall: the page behind the banner stays readable, scrollable and clickable', async (t) => {
  const page = await fresh(t);
  await page.locator('.cs-dialog').waitFor();
  const facts = await page.evaluate(() => {
    const main = document.querySelector('main');
    const top = document.elementFromPoint(20, 40);
    window.scrollTo(0, 600);
    return { inert: main.inert || main.closest('[aria-hidden="true"],[inert]') !== null,
      topIsPage: top !== null && !top.closest('.cs-root'), scrolled: window.scrollY };
  });
  assert.deepEqual(facts, { inert: false, topIsPage: true, scrolled: 600 });
});

test('the second layer has one switch per purpose, none on; necessary purposes show as always on', async (t) => {
  const page = await fresh(t);
  await page.click('[data-action="choose"]');
  const switches = await page.$$eval('.cs-dialog input[data-purpose]', (list) => list.map((i) => ({
    purpose: i.dataset.purpose, role: i.getAttribute('role'), checked: i.checked, disabled: i.disabled,
    label: document.querySelector(`label[for="${i.id}"]`).textContent })));
  assert.deepEqual(switches, [
    { purpose: 'necessary', role: 'switch', checked: true, disabled: true, label: 'Strictly necessary' },
    { purpose: 'analytics', role: 'switch', checked: false, disabled: false, label: 'Audience measurement' },
    { purpose: 'marketing', role: 'switch', checked: false, disabled: false, label: 'Marketing' },
  ]);
  assert.equal(await page.locator('.cs-always').textContent(), 'Always on');
  const [save, accept, reject] = await buttonFacts(page, ['save', 'accept', 'reject']);
  for (const other of [accept, reject]) {
    assert.ok(Math.abs(other.width - save.width) <= 1 && Math.abs(other.height - save.height) <= 1);
    assert.deepEqual(other.style, save.style);
  }
});

test('axe-core finds no violations on either layer', async (t) => {
  const page = await fresh(t);
  await page.locator('.cs-dialog').waitFor();
  assert.deepEqual(await axeViolations(page), [], 'first layer');
  await page.click('[data-action="choose"]');
  await page.locator('.cs-layer-2').waitFor();
  assert.deepEqual(await axeViolations(page), [], 'second layer');
});

test('closing the banner with Escape records nothing and runs nothing; focus returns to the page', async (t) => {
  const page = await fresh(t);
  await page.locator('.cs-dialog').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('.cs-dialog').waitFor({ state: 'detached' });
  assert.deepEqual(await page.evaluate(() => ({ pending: Consent.pending(), receipts: Consent.receipts().length,
    changes: window.changes.length, state: localStorage.getItem('consent:bike-shop:state') })),
  { pending: 0, receipts: 0, changes: 0, state: null });
  await nothingGatedRan(page);
  // The control to reopen is there, and the next page view asks again.
  assert.equal(await page.locator('[data-action="privacy-choices"]').isVisible(), true);
  await load(page, bench.site + '/shop.html');
  await page.locator('.cs-layer-1').waitFor();
});

// Tab until the element matching selector has focus; fails after max presses.
async function tabTo(page, selector, max = 20, key = 'Tab') {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
    await page.keyboard.press(key);
  }
  assert.fail(`focus never reached ${selector}`);
}

test('a keyboard-only visitor finishes both layers; focus stays in the dialog and is visible', async (t) => {
  const page = await fresh(t);
  await page.locator('.cs-dialog').waitFor();
  // Focus cannot leave the dialog: many Tabs and Shift+Tabs later it is still inside.
  for (const key of ['Tab', 'Shift+Tab']) {
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press(key);
      assert.equal(await page.evaluate(() => document.activeElement.closest('.cs-dialog') !== null), true, `${key} #${i}`);
    }
  }
  await tabTo(page, '[data-action="choose"]');
  const outline = await page.evaluate(() => {
    const cs = getComputedStyle(document.activeElement);
    return { style: cs.outlineStyle, width: parseFloat(cs.outlineWidth) };
  });
  assert.notEqual(outline.style, 'none', 'focus is visible');
  assert.ok(outline.width >= 2);
  await page.keyboard.press('Enter');
  await page.locator('.cs-layer-2').waitFor();
  await tabTo(page, 'input[data-purpose="analytics"]');
  await page.keyboard.press('Space');
  await tabTo(page, '[data-action="save"]');
  await page.keyboard.press('Enter');
  await page.locator('.cs-dialog').waitFor({ state: 'detached' });
  await page.waitForFunction(() => window.analyticsRan === 1);
  assert.equal(await page.evaluate(() => [Consent.allowed('analytics'), Consent.allowed('marketing')].join()), 'true,false');
  // Focus returned to the page (not lost on a removed node).
  assert.equal(await page.evaluate(() => document.activeElement !== null && document.activeElement.isConnected), true);
  // Reopen by keyboard from the persistent control, then leave with Escape: focus returns to the control.
  await page.focus('[data-action="privacy-choices"]');
  await page.keyboard.press('Enter');
  await page.locator('.cs-layer-2').waitFor();
  assert.equal(await page.locator('input[data-purpose="analytics"]').isChecked(), true, 'the choice is shown as made');
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.action), 'privacy-choices');
});

test('configured text enters the page as text, never as markup', async (t) => {
  await bench.server.publish((n) => {
    n.version = 10;
    n.texts.en.title = 'Choices <img src=x onerror="window.pwned=1"><b>bold</b>';
    n.purposes[1].texts.en.title = '<script>window.pwned=2</script>Stats';
  });
  t.after(() => bench.server.publish((n) => { n.version = 11; }));
  const page = await fresh(t);
  await page.locator('.cs-dialog').waitFor();
  assert.equal(await page.locator('#cs-title').textContent(), 'Choices <img src=x onerror="window.pwned=1"><b>bold</b>');
  await page.click('[data-action="choose"]');
  assert.equal(await page.locator('label[for="cs-p-analytics"]').textContent(), '<script>window.pwned=2</script>Stats');
  assert.deepEqual(await page.evaluate(() => ({ pwned: window.pwned || 0,
    markup: document.querySelectorAll('.cs-root img, .cs-root b, .cs-root script').length })), { pwned: 0, markup: 0 });
});
