// The banner's test bench: a real consentd (its own SQLite file and keys), the
// built banner and a test shop served over real HTTP on 127.0.0.1, a second
// server standing in for a third party (it counts what reaches it), and Debian's
// Chromium driven by playwright-core.
'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { createStaticServer, listen } = require('../../web/tools/static_server.js');
const { spawnConsentd, request } = require('../support/consentd_process.js');

const consentd = path.resolve(process.env.CONSENTD || 'build/native/server/consentd');
const consentctl = path.resolve(process.env.CONSENTCTL || 'build/native/server/consentctl');
const dataDir = path.resolve(process.env.CONSENT_TEST_DATA_DIR || path.join(__dirname, '../data'));
const distDir = path.resolve(process.env.CONSENT_WEB_DIST || path.join(__dirname, '../../build/web/dist'));
const SITE = 'bike-shop';

// TOOLCHAIN.md: without these, Chromium keeps calling hosts this network refuses.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

function ctl(common, args) {
  const r = spawnSync(consentctl, [...args, ...common], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `consentctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** consentd on its SQLite file; restartable on the same port (to play "the server is back"). */
class Consentd {
  constructor(dir, origin) {
    this.dir = dir;
    this.common = [`--database=${path.join(dir, 'db.sqlite')}`, `--keys=${path.join(dir, 'keys')}`];
    ctl(this.common, ['init', `--site=${SITE}`, `--origin=${origin}`]);
    ctl(this.common, ['notice', 'publish', path.join(dataDir, 'notices', 'shop.json'), `--site=${SITE}`]);
    this.apiKey = ctl(this.common, ['apikey', 'create', `--site=${SITE}`]).trim();
    this.port = 0;
    this.process = null;
  }

  async start() {
    this.process = await spawnConsentd(consentd,
      [...this.common, `--port=${this.port}`, '--rate-per-minute=100000', '--rate-burst=10000']);
    this.url = this.process.url;
    this.port = this.process.port;
    return this;
  }

  async stop() {
    if (this.process) await this.process.stop();
    this.process = null;
  }

  running() { return this.process !== null; }

  backend(method, route, body) {
    const headers = { Authorization: `Bearer ${this.apiKey}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return request(method, `${this.url}/v1/sites/${SITE}${route}`, headers, body === undefined ? undefined : JSON.stringify(body));
  }

  async check(subject, purpose) {
    const r = await this.backend('GET', `/subjects/${subject}/purposes/${purpose}`);
    assert.equal(r.status, 200, r.text);
    return r.json();
  }

  async exportReceipts(subject) {
    const r = await this.backend('GET', `/subjects/${subject}/export`);
    assert.equal(r.status, 200, r.text);
    return r.json().receipts;
  }

  /** Publishes a variant of the shop notice (change(notice) edits a copy). */
  async publish(change) {
    const notice = JSON.parse(fs.readFileSync(path.join(dataDir, 'notices', 'shop.json'), 'utf8'));
    change(notice);
    const r = await this.backend('POST', '/notices', notice);
    assert.equal(r.status, 201, r.text);
    return r.json();
  }
}

/** build/web/dist/manifest.json: the banner's files by logical name -> {file (content-hashed), integrity}. */
function readManifest() {
  const file = path.join(distDir, 'manifest.json');
  assert.ok(fs.existsSync(file), `${file} is missing: run scripts/build.sh web`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Fills a page template: {{CONSENTD}}, {{THIRD}}, {{SITE}}, {{DIST:consent.js}} (its served path), {{SRI:consent.js}}. */
function fillPage(html, values, manifest) {
  const entry = (name) => {
    assert.ok(manifest[name], `the manifest has no ${name}`);
    return manifest[name];
  };
  return html.replaceAll('{{CONSENTD}}', values.consentd).replaceAll('{{THIRD}}', values.third)
    .replaceAll('{{SITE}}', SITE)
    .replace(/\{\{DIST:([\w.-]+)\}\}/g, (m, name) => '/dist/' + entry(name).file)
    .replace(/\{\{SRI:([\w.-]+)\}\}/g, (m, name) => entry(name).integrity);
}

/**
 * Everything a banner test needs. Pages: /shop.html (the test shop: an analytics
 * inline script, a third-party marketing script and frame, all gated) and any
 * page the test writes with bench.page(name, html). bench.file('consent-banner.wasm')
 * is a file's served (hashed) name, for routes and request counts. options.routes:
 * {'/path': (req, res, url) => void}, pages made per request (bench.fill(html) fills a template).
 */
async function startBench(options = {}) {
  const manifest = readManifest();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-web-'));
  const pagesDir = path.join(dir, 'pages');
  fs.mkdirSync(pagesDir);
  const thirdPartyHits = [];
  const third = await listen(createStaticServer([{ prefix: '/', dir: path.join(__dirname, 'pages', 'third-party') }],
    { log: (req) => thirdPartyHits.push(req.url) }));
  const site = await listen(createStaticServer([{ prefix: '/dist/', dir: distDir }, { prefix: '/', dir: pagesDir }],
    { routes: options.routes }));
  const server = await new Consentd(dir, site.url).start();
  const bench = {
    dir, site: site.url, third: third.url, server, thirdPartyHits, manifest, browser: await launchBrowser(),
    fill(html) {
      return fillPage(html, { consentd: server.url, third: third.url }, manifest);
    },
    page(name, html) {
      fs.writeFileSync(path.join(pagesDir, name), bench.fill(html));
    },
    file(name) {
      assert.ok(manifest[name], `the manifest has no ${name}`);
      return manifest[name].file;
    },
    async close() {
      await bench.browser.close();
      await server.stop();
      site.server.close();
      third.server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  bench.page('shop.html', fs.readFileSync(path.join(__dirname, 'pages', 'shop.html'), 'utf8'));
  return bench;
}

/** A fresh browser profile (no storage) with a page that records every request and console error. */
async function openPage(bench, options = {}) {
  const context = await bench.browser.newContext(Object.assign({ locale: 'en-GB', reducedMotion: 'reduce' }, options.context));
  if (options.gpc) {
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  }
  const page = await context.newPage();
  page.requests = [];
  page.errors = [];
  page.on('request', (r) => page.requests.push(r.url()));
  page.on('pageerror', (e) => page.errors.push(String(e)));
  return { context, page };
}

/** Loads a page and waits until the banner is running (Consent.ready). */
async function load(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.Consent && window.Consent.ready !== null);
  await page.evaluate(() => window.Consent.ready);
}

/** A fresh profile on the test shop, closed when test t ends: what most tests start from. */
async function visitShop(bench, t, options) {
  const { context, page } = await openPage(bench, options);
  t.after(() => context.close());
  await load(page, bench.site + '/shop.html');
  return { context, page };
}

async function waitForReceipts(page, count) {
  await page.waitForFunction((n) => window.Consent.receipts().length >= n && window.Consent.pending() === 0, count,
    { timeout: 15000 });
}

module.exports = { startBench, openPage, load, visitShop, waitForReceipts, request, SITE };
