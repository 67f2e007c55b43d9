#!/usr/bin/env node
// The banner benchmark (issue #5 item 10, issue #14): the same small shop page with our banner and
// with four peers — vanilla-cookieconsent 3.1.0, klaro 0.7.22, tarteaucitron.js 1.34.0 and Osano's
// cookieconsent 3.1.1 (one allow/deny choice, no purposes) — each loaded cold (a fresh browser
// context, caches off) in Debian's Chromium, interleaved (ours, vanilla, klaro, …, ours, …) so that
// drift on a shared machine hits all alike, in three profiles: unthrottled, CPU slowed 4x, and
// DevTools' "Slow 4G" network (PROFILES). Per load it measures:
//   - bytes over the network for the banner's own resources (its JS, CSS, wasm, configuration and,
//     for ours, what comes from consentd), gzip as served by the same static server, and for the
//     whole page (CDP Network events);
//   - the time from navigation start to the banner's dialog being in the DOM and to it being
//     visible (in the viewport, with a box, not display:none/visibility:hidden), sampled each frame;
//   - main-thread long tasks (PerformanceObserver 'longtask', buffered) up to 1 s after the banner
//     became visible: their sum and the total blocking time, plus CDP's ScriptDuration;
//   - then one click, in turn (VARIANTS): "Reject all", "Accept all", or "Accept all" after the
//     pointer rested on the dialog: the time until the banner has stored the choice (its cookie, or
//     for ours its localStorage) and, for "Accept all", until the gated analytics script runs; and
//     the banner's bytes once the decision's requests are done.
// It prints one Markdown table per profile (medians, p90, our ratio to each peer and to the best
// peer) and writes everything to build/bench/banner.json. Nothing asserts speed: timings on shared
// machines are noisy, compare ratios within one run.
//
//   node bench/banner/run.js [--loads=12] [--profiles=unthrottled,cpu-4x,slow-4g] [--out=build/bench/banner.json] [--label=TEXT]
//
// Needs build/release/server/{consentd,consentctl} (scripts/build.sh release)
// and build/web/dist (scripts/build.sh wasm, then web); bench/run.sh builds them.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const zlib = require('node:zlib');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { createStaticServer, listen } = require('../../web/tools/static_server.js');
const { spawnConsentd } = require('../../tests/support/consentd_process.js');

const ROOT = path.resolve(__dirname, '../..');
const SITE = 'bike-shop';
const VISIBLE_TIMEOUT_MS = 20000;
const AFTER_VISIBLE_MS = 1000;       // long tasks are counted up to this long after the banner shows
const LONG_TASK_BLOCKING_MS = 50;    // the part of a long task over this blocks input (TBT's definition)
// TOOLCHAIN.md: without the background-networking flags Chromium keeps calling hosts this network refuses.
// The last flag keeps navigator.webdriver false, as for a real visitor: vanilla-cookieconsent's
// default hideFromBots would otherwise never show its modal to the benchmark.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-blink-features=AutomationControlled'];

// Which requests belong to each banner, which element is its first-layer dialog, its two first-layer
// buttons, and where it keeps the visitor's choice (`stored`, run in the page: true once it is kept).
// ours: the page carries consentd's first-visit answer and links consent.css (site/ours.html);
// ours-tag: the same banner with nothing but its script tag (site/ours_tag.html), shown beside it, not a peer.
// ours-callback: ours.html with the analytics code as a Consent.whenAllowed callback instead of a text/plain
// script (site/ours_callback.html): tarteaucitron's integration (its `js`), so its last column compares like with like.
const oursStored = () => ['outbox', 'unapplied', 'state'].some((k) => {
  const v = localStorage.getItem('consent:bike-shop:' + k);
  return v !== null && v !== '[]' && v !== '{}';
});
const oursOwn = (url, env) => url.pathname.startsWith('/dist/') || url.origin === env.consentdOrigin;
const BANNERS = [
  { name: 'ours', page: '/ours.html', selector: '.cs-root [role=dialog]', inline: true,
    accept: '.cs-root [data-action=accept]', reject: '.cs-root [data-action=reject]', stored: oursStored, own: oursOwn },
  { name: 'ours-tag', page: '/ours_tag.html', selector: '.cs-root [role=dialog]', notPeer: true,
    accept: '.cs-root [data-action=accept]', reject: '.cs-root [data-action=reject]', stored: oursStored, own: oursOwn },
  { name: 'ours-callback', page: '/ours_callback.html', selector: '.cs-root [role=dialog]', inline: true, notPeer: true,
    accept: '.cs-root [data-action=accept]', reject: '.cs-root [data-action=reject]', stored: oursStored, own: oursOwn },
  { name: 'vanilla-cookieconsent', page: '/vanilla.html', selector: '#cc-main .cm',
    accept: '#cc-main .cm [data-role=all]', reject: '#cc-main .cm [data-role=necessary]',
    stored: () => /(^|; )cc_cookie=/.test(document.cookie),
    own: (url) => url.pathname.startsWith('/vendor/vanilla-cookieconsent/') || url.pathname === '/vanilla_config.js' },
  { name: 'klaro', page: '/klaro.html', selector: '#klaro-cookie-notice',
    accept: '#klaro-cookie-notice .cm-btn-success', reject: '#klaro-cookie-notice .cn-decline',
    stored: () => /(^|; )klaro=/.test(document.cookie),
    own: (url) => url.pathname.startsWith('/vendor/klaro/') || url.pathname === '/klaro_config.js' },
  { name: 'tarteaucitron', page: '/tarteaucitron.html', selector: '#tarteaucitronAlertBig',
    accept: '#tarteaucitronPersonalize2', reject: '#tarteaucitronAllDenied2',
    stored: () => /(^|; )tarteaucitron=[^;]*velostats=/.test(document.cookie),
    own: (url) => url.pathname.startsWith('/vendor/tarteaucitron/') || url.pathname === '/tarteaucitron_config.js' },
  { name: 'osano', page: '/osano.html', selector: '.cc-window',
    accept: '.cc-window .cc-allow', reject: '.cc-window .cc-deny',
    stored: () => /(^|; )cookieconsent_status=/.test(document.cookie),
    own: (url) => url.pathname.startsWith('/vendor/osano/') || url.pathname === '/osano_config.js' },
];

const PEERS = BANNERS.filter((b) => b.name !== 'ours' && !b.notPeer);

// The network and CPU each profile emulates. slow-4g is Chrome DevTools' "Slow 4G" preset (what
// Lighthouse calls slow 4G: 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up, times DevTools' request-level
// adjustment: latency x3.75, throughput x0.9), applied by CDP Network.emulateNetworkConditions.
const PROFILES = {
  unthrottled: { cpu: 1, network: null },
  'cpu-4x': { cpu: 4, network: null },
  'slow-4g': { cpu: 1, network: { offline: false, latency: 150 * 3.75,
    downloadThroughput: (1.6 * 1000 * 1000 / 8) * 0.9, uploadThroughput: (750 * 1000 / 8) * 0.9 } },
};

// Each load ends with one click, in turn: "Reject all" straight away, "Accept all" straight away, and
// "Accept all" after the pointer has rested on the dialog (a visitor who reads first; our banner used
// to start fetching its core on that pointerover).
const VARIANTS = [
  { name: 'reject', button: 'reject', hover: false },
  { name: 'accept', button: 'accept', hover: false },
  { name: 'accept-after-hover', button: 'accept', hover: true },
];
const HOVER_MS = 600;

function parseArgs(argv) {
  const args = { loads: 12, profiles: Object.keys(PROFILES), out: path.join(ROOT, 'build/bench/banner.json'), label: '' };
  for (const arg of argv) {
    const m = arg.match(/^--([a-z]+)=(.*)$/);
    if (!m) throw new Error(`unknown argument '${arg}' (see the header of bench/banner/run.js)`);
    if (m[1] === 'loads') args.loads = Math.max(1, Number(m[2]));
    else if (m[1] === 'profiles') args.profiles = m[2].split(',').filter(Boolean);
    else if (m[1] === 'out') args.out = path.resolve(m[2]);
    else if (m[1] === 'label') args.label = m[2];
    else throw new Error(`unknown option --${m[1]}`);
  }
  const unknown = args.profiles.filter((p) => !PROFILES[p]);
  if (!Number.isInteger(args.loads) || !args.profiles.length || unknown.length)
    throw new Error(`--loads must be a whole number, --profiles a list of ${Object.keys(PROFILES).join(', ')}`);
  return args;
}

// ---------------------------------------------------------------- consentd

function consentctl(common, args) {
  const bin = path.join(ROOT, 'build/release/server/consentctl');
  const r = spawnSync(bin, [...args, ...common], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`consentctl ${args.join(' ')} failed: ${r.stderr || r.error}`);
}

/** The Release consentd on a fresh SQLite file, the shop's notice published; resolves to {url, stop}. */
async function startConsentd(dir, pageOrigin) {
  const common = [`--database=${path.join(dir, 'db.sqlite')}`, `--keys=${path.join(dir, 'keys')}`];
  consentctl(common, ['init', `--site=${SITE}`, `--origin=${pageOrigin}`]);
  consentctl(common, ['notice', 'publish', path.join(ROOT, 'tests/data/notices/shop.json'), `--site=${SITE}`]);
  // Many cold loads from one address: the default rate limit would answer 429.
  const server = await spawnConsentd(path.join(ROOT, 'build/release/server/consentd'),
    [...common, '--port=0', '--rate-per-minute=100000', '--rate-burst=10000']);
  return { url: server.url, stop: server.stop };
}

// ---------------------------------------------------------------- the site

/**
 * The shop pages (with consentd's address, and our banner's hashed name and
 * integrity from build/web/dist/manifest.json, filled in) and their config files, in a temp folder.
 */
async function writeSite(dir, consentdUrl) {
  const src = path.join(__dirname, 'site');
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'build/web/dist/manifest.json'), 'utf8'));
  const banner = manifest['consent.js'];
  // What the shop's server would put in its page for this visitor (en-US, no GPC): consentd's
  // first-visit answer, with "<" escaped so that the text cannot close the script element.
  const res = await fetch(`${consentdUrl}/v1/sites/${SITE}/banner-view?languages=en-US&gpc=0`);
  if (!res.ok) throw new Error(`banner-view answered ${res.status}`);
  const view = JSON.stringify(await res.json()).replaceAll('<', '\\u003c');
  for (const f of fs.readdirSync(src)) {
    const text = fs.readFileSync(path.join(src, f), 'utf8').replaceAll('{{CONSENTD}}', consentdUrl)
      .replaceAll('{{CONSENT_JS}}', '/dist/' + banner.file).replaceAll('{{CONSENT_SRI}}', banner.integrity)
      .replaceAll('{{CONSENT_CSS}}', '/dist/' + manifest['consent.css'].file).replaceAll('{{CONSENT_VIEW}}', view);
    fs.writeFileSync(path.join(dir, f), text);
  }
  // Counted as the banner's bytes (it is its configuration), gzip as the page is served.
  return zlib.gzipSync(view).length;
}

function startSite(pagesDir) {
  const dist = path.join(ROOT, 'build/web/dist');
  if (!fs.existsSync(path.join(dist, 'manifest.json'))) throw new Error('build/web/dist/manifest.json is missing: run scripts/build.sh web');
  return listen(createStaticServer([
    { prefix: '/dist/', dir: dist },
    { prefix: '/vendor/vanilla-cookieconsent/', dir: path.join(ROOT, 'node_modules/vanilla-cookieconsent/dist') },
    { prefix: '/vendor/klaro/', dir: path.join(ROOT, 'node_modules/klaro/dist') },
    { prefix: '/vendor/tarteaucitron/', dir: path.join(ROOT, 'node_modules/tarteaucitronjs') },
    { prefix: '/vendor/osano/', dir: path.join(ROOT, 'node_modules/cookieconsent/build') },
    { prefix: '/', dir: pagesDir },
  ]));
}

// ---------------------------------------------------------------- one load

/**
 * Runs in the page before any of its scripts. A MutationObserver notes when the
 * dialog is first in the DOM (a selector match, no layout forced); a
 * requestAnimationFrame loop notes the first frame in which it is visible.
 */
function pageProbe(selector) {
  const probe = { inDom: null, visible: null, longTasks: [], ranAt: null };
  window.__bannerBench = probe;
  // Every page's gated script sets window.analyticsRan: the setter notes when it first ran.
  let ran;
  Object.defineProperty(window, 'analyticsRan', {
    configurable: true,
    get: () => ran,
    set: (v) => { if (probe.ranAt === null) probe.ranAt = performance.now(); ran = v; },
  });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) probe.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  const mo = new MutationObserver(() => {
    if (document.querySelector(selector)) { probe.inDom = performance.now(); mo.disconnect(); }
  });
  mo.observe(document, { childList: true, subtree: true });
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const inView = r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
    return inView && el.checkVisibility({ visibilityProperty: true });
  };
  const frame = () => {
    const el = document.querySelector(selector);
    if (el && visible(el)) probe.visible = performance.now();
    else requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

/** Every response's bytes on the wire (headers + body as encoded) by URL, from CDP's Network domain. */
function recordNetwork(cdp) {
  const requests = new Map();
  cdp.on('Network.requestWillBeSent', (e) => { requests.set(e.requestId, { url: e.request.url, headers: 0, total: null }); });
  cdp.on('Network.responseReceived', (e) => {
    const r = requests.get(e.requestId);
    if (r) { r.headers = e.response.encodedDataLength; r.status = e.response.status; }
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = requests.get(e.requestId);
    if (r) r.total = e.encodedDataLength;
  });
  cdp.on('Network.loadingFailed', (e) => {
    const r = requests.get(e.requestId);
    if (r) r.failed = e.errorText;
  });
  return requests;
}

function sumBytes(requests, banner, env) {
  const sum = { bannerTransfer: 0, bannerBody: 0, bannerRequests: 0, pageTransfer: 0, pageRequests: 0, files: {} };
  if (banner.inline) {
    sum.bannerBody += env.inlineBytes;
    sum.bannerTransfer += env.inlineBytes;
    sum.files['first-visit view in the page'] = env.inlineBytes;
  }
  for (const r of requests.values()) {
    if (r.total === null) continue;   // data: URLs and anything unfinished
    const url = new URL(r.url);
    sum.pageTransfer += r.total;
    sum.pageRequests += 1;
    if (!banner.own(url, env)) continue;
    sum.bannerTransfer += r.total;
    sum.bannerBody += r.total - r.headers;
    sum.bannerRequests += 1;
    sum.files[url.origin === env.consentdOrigin ? `consentd ${url.pathname}` : url.pathname] = r.total - r.headers;
  }
  return sum;
}

function longTaskTotals(longTasks, until) {
  let sum = 0;
  let blocking = 0;
  for (const t of longTasks) {
    if (t.start >= until) continue;
    sum += t.duration;
    blocking += Math.max(0, t.duration - LONG_TASK_BLOCKING_MS);
  }
  return { longTasks: sum, blocking };
}

/** Resolves once every request seen has finished or failed (the decision's POST on a slow network), or after limitMs. */
async function settled(requests, limitMs) {
  const end = Date.now() + limitMs;
  while (Date.now() < end && [...requests.values()].some((r) => r.total === null && !r.failed && !r.url.startsWith('data:')))
    await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * The click, from inside the page: its time, then the first moment the banner's `stored` holds
 * (checked in the click's own task, then after every message-loop turn, which is not clamped like
 * setTimeout). The gated script's time comes from the probe's setter.
 */
function clickAndWatch([selector, storedSource]) {
  const stored = new Function('return (' + storedSource + ')()');
  const t = performance.now();
  document.querySelector(selector).click();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const deadline = t + 20000;
    const check = () => {
      const now = performance.now();
      if (stored() || now > deadline) resolve({ clickedAt: t, storedAt: stored() ? now : null });
      else channel.port2.postMessage(0);
    };
    channel.port1.onmessage = check;
    check();
  });
}

/** One cold load of one banner's page: a new context (no cache, no cookies, no storage). */
async function measureLoad(browser, banner, env, profile, variant) {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.addInitScript(pageProbe, banner.selector);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (profile.network) await cdp.send('Network.emulateNetworkConditions', profile.network);
    await cdp.send('Performance.enable');
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: profile.cpu });
    const requests = recordNetwork(cdp);
    await page.goto(env.site + banner.page, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__bannerBench && window.__bannerBench.visible !== null,
      null, { timeout: VISIBLE_TIMEOUT_MS, polling: 50 });
    const until = await page.evaluate(() => window.__bannerBench.visible) + AFTER_VISIBLE_MS;
    await page.waitForFunction((t) => performance.now() >= t, until, { polling: 50 });
    const probe = await page.evaluate(() => Object.assign({ gatedRan: window.analyticsRan !== undefined }, window.__bannerBench));
    // Not a speed check: a page whose gated script ran before any choice is set up wrong, and its numbers mean nothing.
    if (probe.gatedRan) throw new Error(`${banner.page}: the gated analytics script ran before any choice`);
    const metrics = await cdp.send('Performance.getMetrics');
    const script = metrics.metrics.find((m) => m.name === 'ScriptDuration');
    const loaded = sumBytes(requests, banner, env);
    if (variant.hover) {
      // A real pointer rests on the dialog first (pointerover, pointermove), as a visitor reading it.
      const box = await page.locator(banner.selector).first().boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + 4, { steps: 4 });
      await page.waitForTimeout(HOVER_MS);
    }
    const selector = banner[variant.button];
    const click = await page.evaluate(clickAndWatch, [selector, banner.stored.toString()]);
    let ranAt = null;
    if (variant.button === 'accept') {
      await page.waitForFunction(() => window.__bannerBench.ranAt !== null, null, { timeout: VISIBLE_TIMEOUT_MS, polling: 50 });
      ranAt = await page.evaluate(() => window.__bannerBench.ranAt);
    }
    await page.waitForTimeout(AFTER_VISIBLE_MS);   // let the decision's own requests finish
    await settled(requests, VISIBLE_TIMEOUT_MS);
    const decided = sumBytes(requests, banner, env);
    return {
      variant: variant.name,
      inDom: probe.inDom, visible: probe.visible,
      ...longTaskTotals(probe.longTasks, until),
      scriptMs: script ? script.value * 1000 : null,
      ...loaded,
      clickToStored: click.storedAt === null ? null : click.storedAt - click.clickedAt,
      clickToRun: ranAt === null ? null : ranAt - click.clickedAt,
      decidedBody: decided.bannerBody,
      decidedRequests: decided.bannerRequests,
    };
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------- statistics and the table

// The table's rows: a sample field, its heading, how to print it, and which loads it is read from
// (variant: only the loads that ended with that click; none: every load).
const METRICS = [
  { key: 'bannerBody', title: 'bytes to the question, gzip body as served (KB)', scale: 1 / 1000, digits: 1 },
  { key: 'bannerTransfer', title: 'banner transfer incl. headers (KB)', scale: 1 / 1000, digits: 1 },
  { key: 'bannerRequests', title: 'banner requests', scale: 1, digits: 0 },
  { key: 'pageTransfer', title: 'whole page transfer (KB)', scale: 1 / 1000, digits: 1 },
  { key: 'inDom', title: 'dialog in the DOM (ms from navigation)', scale: 1, digits: 0, spread: true },
  { key: 'visible', title: 'dialog visible (ms from navigation)', scale: 1, digits: 0, spread: true },
  { key: 'longTasks', title: 'long tasks until visible + 1 s (ms)', scale: 1, digits: 0, spread: true },
  { key: 'blocking', title: 'total blocking time (ms)', scale: 1, digits: 0, spread: true },
  { key: 'scriptMs', title: 'script time, CDP ScriptDuration (ms)', scale: 1, digits: 0, spread: true },
  { key: 'clickToStored', variant: 'reject', title: '"Reject all" → choice stored (ms)', scale: 1, digits: 1, spread: true },
  { key: 'clickToStored', variant: 'accept', title: '"Accept all" → choice stored (ms)', scale: 1, digits: 1, spread: true },
  { key: 'clickToStored', variant: 'accept-after-hover', title: 'pointer on the dialog, "Accept all" → choice stored (ms)', scale: 1, digits: 1, spread: true },
  { key: 'clickToRun', variant: 'accept', title: '"Accept all" → gated script runs (ms)', scale: 1, digits: 1, spread: true },
  { key: 'clickToRun', variant: 'accept-after-hover', title: 'pointer on the dialog, "Accept all" → gated script runs (ms)', scale: 1, digits: 1, spread: true },
  { key: 'decidedBody', title: 'banner bytes after the decision, gzip (KB)', scale: 1 / 1000, digits: 1 },
  { key: 'decidedRequests', title: 'banner requests after the decision', scale: 1, digits: 0 },
];
const metricId = (m) => m.key + (m.variant ? ':' + m.variant : '');

function quantile(values, q) {
  const v = values.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (!v.length) return null;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  return v[lo] + (v[Math.min(lo + 1, v.length - 1)] - v[lo]) * (pos - lo);
}

function summarize(samples) {
  const out = {};
  for (const m of METRICS) {
    const values = samples.filter((s) => !m.variant || s.variant === m.variant).map((s) => s[m.key]);
    out[metricId(m)] = { median: quantile(values, 0.5), p90: quantile(values, 0.9), min: quantile(values, 0), max: quantile(values, 1), n: values.length };
  }
  return out;
}

function cell(stat, m) {
  if (stat.median === null) return '—';
  const f = (x) => (x * m.scale).toFixed(m.digits);
  return m.spread ? `${f(stat.median)} (p90 ${f(stat.p90)})` : f(stat.median);
}

function ratio(ours, peer) {
  if (ours === null || peer === null) return '—';
  if (peer === 0) return ours === 0 ? '1.00' : '—';
  return (ours / peer).toFixed(2);
}

// The best peer of a row: the smallest median (every row is "less is better").
function bestPeer(summaries, id) {
  let best = null;
  for (const b of PEERS) {
    const v = summaries[b.name][id].median;
    if (v !== null && (best === null || v < best.value)) best = { name: b.name, value: v };
  }
  return best;
}

function table(summaries) {
  const peers = PEERS.map((b) => b.name);
  const lines = [
    `| metric (median, p90) | ${BANNERS.map((b) => b.name).join(' | ')} | ${peers.map((p) => `ours : ${p}`).join(' | ')} | ours : best peer | ours-callback : best peer |`,
    `|---|${BANNERS.map(() => '---:').join('|')}|${peers.map(() => '---:').join('|')}|---:|---:|`,
  ];
  for (const m of METRICS) {
    const id = metricId(m);
    const cells = BANNERS.map((b) => cell(summaries[b.name][id], m));
    const ratios = peers.map((p) => ratio(summaries.ours[id].median, summaries[p][id].median));
    const best = bestPeer(summaries, id);
    const vsBest = (name) => (best ? `${ratio(summaries[name][id].median, best.value)} (${best.name})` : '—');
    lines.push(`| ${m.title} | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${vsBest('ours')} | ${vsBest('ours-callback')} |`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- main

/** One warm-up round (not counted), then `loads` rounds of every banner, each load ending with the next click variant. */
async function runProfile(browser, env, loads, profileName) {
  const profile = PROFILES[profileName];
  const samples = Object.fromEntries(BANNERS.map((b) => [b.name, []]));
  for (const b of BANNERS) await measureLoad(browser, b, env, profile, VARIANTS[1]);
  for (let i = 0; i < loads; i++) {
    const variant = VARIANTS[i % VARIANTS.length];
    for (const b of BANNERS) samples[b.name].push(await measureLoad(browser, b, env, profile, variant));
    if (process.stderr.isTTY) process.stderr.write(`\rbanner bench: ${profileName}, round ${i + 1}/${loads}`);
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  const summaries = Object.fromEntries(BANNERS.map((b) => [b.name, summarize(samples[b.name])]));
  return { profile: profileName, cpuRate: profile.cpu, network: profile.network, samples, summaries };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-banner-bench-'));
  const pagesDir = path.join(dir, 'site');
  fs.mkdirSync(pagesDir);
  const site = await startSite(pagesDir);
  let consentd = null;
  let browser = null;
  try {
    consentd = await startConsentd(dir, site.url);
    const inlineBytes = await writeSite(pagesDir, consentd.url);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    const env = { site: site.url, consentdOrigin: new URL(consentd.url).origin, inlineBytes };
    const runs = [];
    for (const name of args.profiles) runs.push(await runProfile(browser, env, args.loads, name));
    report(args, browser.version(), runs);
  } finally {
    if (browser) await browser.close();
    if (consentd) await consentd.stop();
    site.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(args, chromiumVersion, runs) {
  console.log(`Banner benchmark: ${args.loads} cold loads per banner, interleaved; Chromium ${chromiumVersion}, headless, loopback.`);
  if (args.label) console.log(args.label);
  for (const run of runs) {
    const how = run.network ? `network: ${run.network.latency} ms latency, ${Math.round(run.network.downloadThroughput * 8 / 1000)} kbit/s down, ` +
      `${Math.round(run.network.uploadThroughput * 8 / 1000)} kbit/s up (CDP Network.emulateNetworkConditions)` : 'network: loopback';
    console.log(`\n### ${run.profile}: CPU ${run.cpuRate === 1 ? 'unthrottled' : `slowed ${run.cpuRate}x (CDP Emulation.setCPUThrottlingRate)`}; ${how}\n`);
    console.log(table(run.summaries));
  }
  console.log('\nBytes per file (gzip body, first load):');
  for (const b of BANNERS) {
    const files = runs[0].samples[b.name][0].files;
    console.log(`  ${b.name}: ${Object.entries(files).map(([f, n]) => `${f} ${(n / 1000).toFixed(1)} KB`).join(', ')}`);
  }
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  const json = { label: args.label, chromium: chromiumVersion, loads: args.loads, afterVisibleMs: AFTER_VISIBLE_MS,
    banners: BANNERS.map((b) => ({ name: b.name, page: b.page, selector: b.selector })), runs };
  fs.writeFileSync(args.out, JSON.stringify(json, null, 2) + '\n');
  console.log(`\nwritten to ${path.relative(process.cwd(), args.out) || args.out}`);
}

main().catch((error) => {
  console.error(`bench/banner/run.js: ${error.stack || error.message}`);
  process.exitCode = 1;
});
