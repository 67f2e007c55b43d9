// The banner under a strict Content-Security-Policy, as a site that allows no
// inline code or style sends it: no 'unsafe-inline', no 'unsafe-eval'.
//   default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self';
//   connect-src 'self' <consentd>
// connect-src needs 'self' beside consentd: the wasm core is fetched from the
// origin serving consent.js (the browser compiles it from the fetched bytes).
// A gated inline script runs only with the page's nonce, so the nonce page adds
// 'nonce-…' (fresh per response) to script-src. The page loads consent.js by
// its hashed name with the manifest's integrity; another page is a site's own
// esbuild bundle of the package calling start(). Chromium reports every
// violation as a securitypolicyviolation event and a console message: none may come.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const esbuild = require('esbuild');
const { startBench, openPage, load, waitForReceipts, SITE } = require('./harness.js');

const packageDir = path.resolve(process.env.CONSENT_WEB_PACKAGE || path.join(__dirname, '../../build/web/package'));

const PAGE = (nonced) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Strict shop</title>
<script src="{{DIST:consent.js}}" integrity="{{SRI:consent.js}}" data-site="{{SITE}}" data-server="{{CONSENTD}}" async></script>
</head><body><h1>Velo bikes</h1><p>Behind a strict Content-Security-Policy.</p>
<script type="text/plain" data-consent="analytics" src="/stats.js"></script>
${nonced ? `<script type="text/plain" data-consent="analytics" nonce="{{NONCE}}">
  window.inlineRan = (window.inlineRan || 0) + 1;
</script>` : ''}
${nonced === 'and-one-without' ? `<script type="text/plain" data-consent="analytics">window.unnoncedRan = true;</script>` : ''}
</body></html>`;

let bench;
const policies = [];

function policy(nonce, connect = `'self' ${bench.server.url}`) {
  const scripts = ["'self'", "'wasm-unsafe-eval'"].concat(nonce ? [`'nonce-${nonce}'`] : []).join(' ');
  return `default-src 'self'; script-src ${scripts}; style-src 'self'; connect-src ${connect}`;
}

// Each page is made per response, as a site's server would: a new nonce every time.
function strictPage(nonced, connect) {
  return (req, res) => {
    const nonce = nonced ? crypto.randomBytes(16).toString('base64') : '';
    const csp = policy(nonce, connect && connect());
    policies.push(csp);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': csp });
    res.end(bench.fill(PAGE(nonced)).replaceAll('{{NONCE}}', nonce));
  };
}

test.before(async () => {
  bench = await startBench({ routes: {
    '/strict.html': strictPage(false),
    '/strict-nonce.html': strictPage(true),
    '/strict-unnonced.html': strictPage('and-one-without'),
    '/consentd-only.html': strictPage(false, () => bench.server.url),
    '/bundled.html': bundledPage,
  } });
  bench.page('stats.js', 'window.statsRan = (window.statsRan || 0) + 1;\n');
  await bundleSite();
});
// A site that bundles the package: its own app.js and app.css (esbuild), start() with the
// package's dist/ served at /dist/, the stylesheet bundled (stylesheet: false).
async function bundleSite() {
  const entry = [
    `import { start } from ${JSON.stringify(path.join(packageDir, 'index.mjs'))};`,
    `import ${JSON.stringify(path.join(packageDir, 'consent.css'))};`,
    `start({ site: ${JSON.stringify(SITE)}, server: ${JSON.stringify(bench.server.url)}, assets: '/dist/', stylesheet: false });`,
  ].join('\n');
  const r = await esbuild.build({ stdin: { contents: entry, resolveDir: packageDir }, bundle: true, minify: true,
    format: 'iife', outdir: bench.dir, entryNames: 'app', write: false, logLevel: 'silent' });
  for (const f of r.outputFiles) bench.page(path.basename(f.path), f.text);
}

function bundledPage(req, res) {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': policy('') });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bundled shop</title>
<link rel="stylesheet" href="/app.css"><script src="/app.js" defer></script></head>
<body><h1>Velo bikes</h1><script type="text/plain" data-consent="analytics" src="/stats.js"></script></body></html>`);
}

test.after(async () => { if (bench) await bench.close(); });

/** A fresh profile whose pages record every CSP violation and every console message about one. */
async function visitStrict(t, route) {
  const { context, page } = await openPage(bench);
  t.after(() => context.close());
  await context.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(
      { directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample }));
  });
  page.cspConsole = [];
  page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) page.cspConsole.push(m.text()); });
  await load(page, bench.site + route);
  return page;
}

async function violations(page) {
  return { events: await page.evaluate(() => window.cspViolations), console: page.cspConsole };
}

async function assertNoViolations(page) {
  assert.deepEqual(await violations(page), { events: [], console: [] });
}

/** The banner styles through its stylesheet only: no <style> element, no style attribute anywhere. */
async function assertStyledBySheet(page, selector) {
  const found = await page.evaluate((s) => ({
    styleElements: document.querySelectorAll('style').length,
    styleAttributes: Array.from(document.querySelectorAll('[style]')).map((e) => e.outerHTML.slice(0, 80)),
    sheetApplied: getComputedStyle(document.querySelector(s)).position,
  }), selector);
  assert.deepEqual(found, { styleElements: 0, styleAttributes: [], sheetApplied: 'fixed' });
}

test('under the strict policy the banner asks, records "Choose → analytics" at consentd and runs the gated script', async (t) => {
  const page = await visitStrict(t, '/strict.html');
  assert.ok(policies.includes(policy('')), 'served with exactly the strict policy');
  await page.locator('.cs-layer-1').waitFor();
  await assertStyledBySheet(page, '.cs-dialog');
  await page.click('[data-action="choose"]');
  await page.check('input[data-purpose="analytics"]');
  await page.click('[data-action="save"]');
  await waitForReceipts(page, 1);
  await page.waitForFunction(() => window.statsRan === 1 && Consent.allowed('analytics'));
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.check(subject, 'analytics')).reason, 'granted');
  assert.equal((await bench.server.check(subject, 'marketing')).allowed, false);
  await assertStyledBySheet(page, '.cs-reopen');
  await assertNoViolations(page);
});

test('under the strict policy Reject all is recorded and nothing gated runs', async (t) => {
  const page = await visitStrict(t, '/strict.html');
  await page.locator('.cs-layer-1').waitFor();
  await page.click('[data-action="reject"]');
  await waitForReceipts(page, 1);
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.check(subject, 'analytics')).allowed, false);
  // The wasm core has its say too (the click loaded it): still nothing runs.
  await page.waitForFunction(() => window.Consent.ready);
  await page.reload();
  await page.waitForFunction(() => window.Consent && window.Consent.ready !== null);
  await page.evaluate(() => window.Consent.ready);
  assert.equal(await page.evaluate(() => Consent.allowed('analytics') || window.statsRan || 0), 0);
  assert.equal(await page.locator('.cs-dialog').count(), 0, 'not asked again');
  await assertNoViolations(page);
});

test('a gated inline script with the page\'s nonce runs once allowed, again on the next page with its new nonce', async (t) => {
  const page = await visitStrict(t, '/strict-nonce.html');
  await page.locator('.cs-layer-1').waitFor();
  await page.click('[data-action="accept"]');
  await waitForReceipts(page, 1);
  await page.waitForFunction(() => window.inlineRan === 1 && window.statsRan === 1);
  await assertNoViolations(page);
  await page.reload();
  await page.waitForFunction(() => window.inlineRan === 1 && window.statsRan === 1);
  await assertNoViolations(page);
});

test('the banner does not lift the policy: a gated inline script without the nonce stays blocked', async (t) => {
  const page = await visitStrict(t, '/strict-unnonced.html');
  await page.locator('.cs-layer-1').waitFor();
  await page.click('[data-action="accept"]');
  await waitForReceipts(page, 1);
  await page.waitForFunction(() => window.inlineRan === 1 && window.statsRan === 1);
  await page.waitForFunction(() => window.cspViolations.length > 0);
  const { events } = await violations(page);
  assert.deepEqual(events, [{ directive: 'script-src-elem', blocked: 'inline', sample: '' }]);
  assert.equal(await page.evaluate(() => window.unnoncedRan), undefined);
});

test('connect-src needs \'self\' too: with consentd alone the wasm core cannot be fetched, and a returning visitor\'s page fails closed', async (t) => {
  const page = await visitStrict(t, '/consentd-only.html');
  // A first visit is still asked (consentd's view), the choice recorded and carried out (consentd's core)…
  await page.locator('.cs-layer-1').waitFor();
  await page.click('[data-action="accept"]');
  await waitForReceipts(page, 1);
  const subject = await page.evaluate(() => Consent.subject());
  assert.equal((await bench.server.check(subject, 'analytics')).reason, 'granted');
  await page.waitForFunction(() => window.statsRan === 1 && Consent.allowed('analytics'));
  // …but the next page needs the wasm core to ask, never gets it, and nothing gated runs there.
  await page.reload();
  await page.waitForFunction(() => window.cspViolations.some((v) => v.directive === 'connect-src'));
  const { events } = await violations(page);
  assert.ok(events.every((v) => v.directive === 'connect-src' && v.blocked.endsWith('/dist/' + bench.file('consent-banner.wasm'))),
    JSON.stringify(events));
  assert.equal(await page.evaluate(() => Consent.allowed('analytics') || window.statsRan || 0), 0);
});

test('a site\'s own bundle of the package: start() asks, records and gates under the same strict policy', async (t) => {
  const page = await visitStrict(t, '/bundled.html');
  await page.locator('.cs-layer-1').waitFor();
  await assertStyledBySheet(page, '.cs-dialog');
  assert.ok(!page.requests.some((u) => /\/dist\/consent\.[0-9a-f]{8}\.(js|css)$/.test(u)), 'consent.js and its sheet come bundled');
  await page.click('[data-action="accept"]');
  await waitForReceipts(page, 1);
  await page.waitForFunction(() => window.statsRan === 1 && Consent.allowed('analytics'));
  // The second layer brings the wasm core, from assets.
  await page.click('[data-action="privacy-choices"]');
  await page.locator('.cs-layer-2').waitFor();
  await page.waitForFunction(() => document.querySelector('input[data-purpose="analytics"]').checked);
  assert.ok(page.requests.some((u) => u.endsWith('/dist/' + bench.file('consent-banner.wasm'))), 'the core from assets');
  assert.equal((await bench.server.check(await page.evaluate(() => Consent.subject()), 'analytics')).reason, 'granted');
  await assertNoViolations(page);
});
