#!/usr/bin/env node
// Runs the whole demo: the shop's web server (in this process), consentd on its
// embedded SQLite file, and the newsletter sender, until Ctrl-C (SIGINT) or
// SIGTERM, then stops everything it started. scripts/demo.sh builds what this
// needs and runs it; the end-to-end test runs it too.
//
// The workspace (DEMO_DIR, default build/demo) keeps the database, the signing
// keys, the shop's API key (0600, never printed) and the subscriber list. The
// first run creates them; later runs reuse them.
//
// Environment (all optional):
//   DEMO_DIR, DEMO_HOST (127.0.0.1), DEMO_SITE_PORT (8080), DEMO_CONSENTD_PORT (8700)
//     a port of 0 takes any free port
//   DEMO_SEND_INTERVAL   seconds between the sender's rounds (5)
//   DEMO_RATE_PER_MINUTE, DEMO_RATE_BURST   consentd's public rate limit (600, 120)
//   DEMO_EXIT_AFTER_START=1   start, check every part answers, stop (for CI)
//   CONSENTD, CONSENTCTL, CONSENT_WEB_DIST   the programs and the banner's files
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');
const { createSiteServer } = require('./site_server.js');
const { listen } = require('../web/tools/static_server.js');

const root = path.resolve(__dirname, '..');
const env = process.env;
const SITE = 'bike-shop';
const START_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 5000;

const config = {
  dir: path.resolve(root, env.DEMO_DIR || 'build/demo'),
  host: env.DEMO_HOST || '127.0.0.1',
  sitePort: port('DEMO_SITE_PORT', 8080),
  consentdPort: port('DEMO_CONSENTD_PORT', 8700),
  interval: env.DEMO_SEND_INTERVAL || '5',
  ratePerMinute: env.DEMO_RATE_PER_MINUTE || '600',
  rateBurst: env.DEMO_RATE_BURST || '120',
  consentd: path.resolve(root, env.CONSENTD || 'build/release/server/consentd'),
  consentctl: path.resolve(root, env.CONSENTCTL || 'build/release/server/consentctl'),
  dist: path.resolve(root, env.CONSENT_WEB_DIST || 'build/web/dist'),
  // The sender's local mirror decides with the core's wasm module, consent-mirror (scripts/demo.sh builds it).
  coreWasm: path.resolve(root, env.CONSENT_CORE_WASM_DIR || 'build/wasm/clients/core_shared'),
  // The recommendations job's mirror: the core's C boundary beside the consentd it runs with.
  coreLibrary: path.resolve(root, env.CONSENT_CORE_LIBRARY ||
    path.join(path.dirname(env.CONSENTD || 'build/release/server/consentd'), '../clients/core_shared/libconsent_core_c.so')),
  notice: path.join(__dirname, 'notice.json'),
};
const files = {
  database: path.join(config.dir, 'consent.db'),
  keys: path.join(config.dir, 'keys'),
  apiKey: path.join(config.dir, 'api-key'),
  // Each backend job has a key registered for its name: it can acknowledge as itself only, and
  // `consentctl backends` lists it (behind, if it never said it stopped) from the start.
  backendKeys: {
    newsletter: path.join(config.dir, 'api-key-newsletter'),
    recommendations: path.join(config.dir, 'api-key-recommendations'),
  },
  noticeHash: path.join(config.dir, 'notice.sha256'),
  subscribers: path.join(config.dir, 'subscribers.json'),
  requestLog: path.join(config.dir, 'consentd-requests.log'),  // one JSON line per request, kept off the terminal
};

function port(name, fallback) {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) die(`${name} must be a port number (0 for any free port)`);
  return n;
}

function die(message) {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

function say(line) { process.stdout.write(`${line}\n`); }

/** A path as the user would type it: relative to where they are when that is shorter. */
function shown(file) {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function ctl(args) {
  const common = [`--database=${files.database}`, `--keys=${files.keys}`];
  const r = spawnSync(config.consentctl, [...args, ...common], { encoding: 'utf8', timeout: 30000 });
  if (r.error) die(`cannot run ${config.consentctl}: ${r.error.message} (build it: scripts/build.sh release)`);
  return r;
}

function ctlOrDie(args, hint = '') {
  const r = ctl(args);
  if (r.status !== 0) die(`consentctl ${args[0]} ${args[1] || ''} failed: ${r.stderr.trim()}${hint}`);
  return r.stdout;
}

/** The keys, the site (allowed from the shop's origins), the notice and the API key; reused when present. */
function prepareWorkspace(siteOrigin) {
  fs.mkdirSync(config.dir, { recursive: true, mode: 0o700 });
  const firstRun = !fs.existsSync(files.database);
  const origins = [siteOrigin];
  if (config.host === '127.0.0.1') origins.push(siteOrigin.replace('127.0.0.1', 'localhost'));
  ctlOrDie(['init', `--site=${SITE}`, ...origins.map((o) => `--origin=${o}`)],
    `\n  (the workspace ${config.dir} was made for another address of the shop: start with the same` +
    ' DEMO_HOST and DEMO_SITE_PORT, or remove the workspace, or set DEMO_DIR to a new one)');
  const noticeText = fs.readFileSync(config.notice);
  const hash = crypto.createHash('sha256').update(noticeText).digest('hex');
  let published = '';
  try { published = fs.readFileSync(files.noticeHash, 'utf8').trim(); } catch (e) { /* not yet */ }
  if (published !== hash) {
    const r = ctl(['notice', 'publish', config.notice, `--site=${SITE}`]);
    if (r.status === 0) say(`demo: ${r.stdout.trim()}`);
    else if (firstRun) die(`the demo notice cannot be published: ${r.stderr.trim()}`);
    else say(`demo: demo/notice.json changed but was not published (${r.stderr.trim()}); raise its version to publish it`);
    if (r.status === 0) fs.writeFileSync(files.noticeHash, hash + '\n');
  }
  if (!fs.existsSync(files.apiKey)) {
    const key = ctlOrDie(['apikey', 'create', `--site=${SITE}`]).trim();
    fs.writeFileSync(files.apiKey, key + '\n', { mode: 0o600 });
  }
  fs.chmodSync(files.apiKey, 0o600);
  for (const [backend, file] of Object.entries(files.backendKeys)) {
    if (!fs.existsSync(file)) {
      const key = ctlOrDie(['apikey', 'create', `--site=${SITE}`, `--backend=${backend}`]).trim();
      fs.writeFileSync(file, key + '\n', { mode: 0o600 });
    }
    fs.chmodSync(file, 0o600);
  }
  return firstRun;
}

/** Spawns a program that prints "listening on http://…"; resolves with its URL. Other lines go to our stdout, prefixed. */
function startChild(label, command, args, childEnv) {
  // A process group of its own: Ctrl-C reaches only this script, which then
  // stops the parts in order (the sender before consentd).
  const child = spawn(command, args, { env: Object.assign({}, env, childEnv), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const prefix = `[${label}] `;
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = line.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/+$/, ''));
      } else say(prefix + line);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${signal || code}) while starting`));
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${label} cannot run: ${e.message}`));
    });
  });
  readline.createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(prefix + line + '\n'));
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, url };
}

function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  return child.exited.then(() => clearTimeout(timer));
}

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { timeout: 10000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

async function main() {
  for (const [what, file] of [['consentd', config.consentd], ['consentctl', config.consentctl]]) {
    if (!fs.existsSync(file)) die(`${what} is missing at ${file}: build it first (scripts/build.sh release)`);
  }
  if (!fs.existsSync(path.join(config.dist, 'manifest.json'))) {
    die(`the banner is missing in ${config.dist}: build it first (scripts/demo.sh does)`);
  }
  const children = [];
  let site = null;
  let stopping = null;
  const stop = (why, code) => {
    if (stopping) return stopping;
    if (why) say(`\ndemo: ${why}; stopping`);
    stopping = (async () => {
      if (site) {
        site.server.close();
        site.server.closeAllConnections();
      }
      // The sender first: it should not see consentd go away.
      for (const child of children.slice().reverse()) await stopChild(child);
      say('demo: stopped');
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => stop('Ctrl-C', 0));
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGHUP', () => stop('SIGHUP', 0));
  // Whatever way this script ends, nothing it started outlives it.
  process.on('exit', () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  try {
    const server = createSiteServer({
      siteDir: path.join(__dirname, 'site'), distDir: config.dist, site: SITE,
      subscribersFile: files.subscribers, apiKeyFile: files.apiKey,
    });
    site = await listen(server, config.sitePort, config.host).catch((e) => {
      throw new Error(`the shop cannot listen on ${config.host}:${config.sitePort}: ${e.message} (set DEMO_SITE_PORT)`);
    });
    const firstRun = prepareWorkspace(site.url);
    say(firstRun ? `demo: created the workspace ${shown(config.dir)} (keys, database, API key)`
      : `demo: reusing the workspace ${shown(config.dir)}`);

    const consentd = startChild('consentd', config.consentd, [
      `--database=${files.database}`, `--keys=${files.keys}`, `--host=${config.host}`, `--port=${config.consentdPort}`,
      `--rate-per-minute=${config.ratePerMinute}`, `--rate-burst=${config.rateBurst}`, `--log-file=${files.requestLog}`,
    ]);
    children.push(consentd.child);
    server.demo.consentd = await consentd.url;

    const sender = startChild('sender', process.execPath, [path.join(__dirname, 'newsletter_sender.js')], {
      CONSENTD_URL: server.demo.consentd, DEMO_SITE: SITE, DEMO_API_KEY_FILE: files.backendKeys.newsletter,
      DEMO_SUBSCRIBERS: files.subscribers, DEMO_SEND_INTERVAL: config.interval, DEMO_SENDER_PORT: '0',
      CONSENT_CORE_WASM_DIR: config.coreWasm,
    });
    children.push(sender.child);
    server.demo.sender = await sender.url;
    // The second backend job (Python): recommendations while analytics is allowed. It
    // prints no URL, so the wait for one is not its start.
    const recommender = startChild('recommendations', 'python3', [path.join(__dirname, 'recommendations.py')], {
      CONSENTD_URL: server.demo.consentd, DEMO_SITE: SITE, DEMO_API_KEY_FILE: files.backendKeys.recommendations,
      DEMO_SUBSCRIBERS: files.subscribers, DEMO_SEND_INTERVAL: config.interval, CONSENT_CORE_LIBRARY: config.coreLibrary,
      PYTHONPATH: path.join(root, 'clients', 'python'), PYTHONDONTWRITEBYTECODE: '1',
    });
    recommender.url.catch(() => {});
    children.push(recommender.child);
    // A part that stops on its own stops the demo.
    for (const [label, child] of [['consentd', consentd.child], ['the sender', sender.child],
      ['the recommendations job', recommender.child]]) {
      child.exited.then(({ code, signal }) => stop(`${label} exited (${signal || code})`, code === 0 || signal ? 0 : 1));
    }
  } catch (e) {
    process.stderr.write(`demo: ${e.message}\n`);
    return stop('', 1);
  }

  const shop = site.url;
  const running = site.server.demo;
  say('');
  say('The Velo bike shop demo is running:');
  say(`  shop            ${shop}/`);
  say(`  newsletter      ${shop}/newsletter.html   (the sender's live log)`);
  say(`  your receipts   ${shop}/receipts.html     (verified in the browser)`);
  say(`  operator view   ${shop}/operator.html`);
  say(`  consentd        ${running.consentd}        (API key in ${shown(files.apiKey)})`);
  say('Press Ctrl-C to stop.');
  say('');

  if (env.DEMO_EXIT_AFTER_START === '1') {
    const banner = JSON.parse(fs.readFileSync(path.join(config.dist, 'manifest.json'), 'utf8'))['consent.js'].file;
    const checks = [`${shop}/`, `${shop}/dist/${banner}`, `${running.consentd}/v1/sites/${SITE}/notice`,
      `${shop}/api/log/jwks`, `${running.sender}/healthz`];
    const statuses = await Promise.all(checks.map((u) => get(u).catch(() => 0)));
    const bad = checks.filter((u, i) => statuses[i] !== 200);
    if (bad.length) process.stderr.write(`demo: not answering: ${bad.join(', ')}\n`);
    else say('demo: every part answers');
    return stop('started and checked (DEMO_EXIT_AFTER_START=1)', bad.length ? 1 : 0);
  }
}

main();
