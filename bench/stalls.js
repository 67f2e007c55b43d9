#!/usr/bin/env node
// /healthz latency while consentd is under each stall of issue #10 item 4:
// half-open request heads, byte-a-second trickles, event streams on one key,
// idle streams while another site receives receipts, and clients sending a
// million headers each. Attackers connect from 127.0.0.2, the probe from
// 127.0.0.1, one /healthz at a time on a fresh connection (2 s timeout, which
// counts as unanswered). Prints one Markdown table: probes, unanswered, p50,
// p99, max, and the server's CPU seconds during the scenario. Nothing asserts
// speed: compare rows (or two binaries) within one run on these shared machines.
//
//   node bench/stalls.js [--seconds=5] [--consentd=build/release/server/consentd] [--consentctl=…]
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { spawnConsentd, request } = require('../tests/support/consentd_process.js');
const { connect, sleep, timedGet, cpuSeconds } = require('../tests/support/raw_http.js');

const ROOT = path.resolve(__dirname, '..');
const ORIGIN = 'https://velo.example';

function option(name, fallback) {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? found.slice(name.length + 3) : fallback;
}

function binary(name) {
  const release = path.join(ROOT, 'build/release/server', name);
  return path.resolve(option(name, fs.existsSync(release) ? release : path.join(ROOT, 'build/native/server', name)));
}

async function startServer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-stalls-'));
  const common = [`--database=${path.join(dir, 'db.sqlite')}`, `--keys=${path.join(dir, 'keys')}`];
  const ctl = (args) => execFileSync(binary('consentctl'), [...args, ...common], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  ctl(['init', '--site=bike-shop', `--origin=${ORIGIN}`]);
  ctl(['site', 'add', 'other-site', `--origin=${ORIGIN}`]);
  const keys = {};
  for (const site of ['bike-shop', 'other-site']) {
    ctl(['notice', 'publish', path.join(ROOT, 'tests/data/notices/shop.json'), `--site=${site}`]);
    keys[site] = ctl(['apikey', 'create', `--site=${site}`]).trim();
  }
  const server = await spawnConsentd(binary('consentd'), [...common, '--port=0', '--rate-per-minute=1000000',
    '--rate-burst=1000000', '--heartbeat-seconds=1']);
  return { ...server, keys, dir };
}

// n event streams of bike-shop on one API key; returns a function that closes them.
function streams(s, n) {
  const reqs = Array.from({ length: n }, () => http.get(`${s.url}/v1/sites/bike-shop/events`,
    { headers: { Authorization: `Bearer ${s.keys['bike-shop']}` }, agent: false, localAddress: '127.0.0.2' },
    (res) => res.resume()).on('error', () => {}));
  return () => reqs.forEach((r) => r.destroy());
}

// Attacks: each returns a function that ends it.
const attacks = {
  'none (baseline)': async () => () => {},
  '32 half-open heads': async (s) => {
    const conns = await Promise.all(Array.from({ length: 32 }, () => connect(s.port)));
    for (const c of conns) c.socket.write('GET /healthz HTTP/1.1\r\nHost: consentd\r\n');
    return () => conns.forEach((c) => c.socket.destroy());
  },
  '40 trickles, 1 byte/s': async (s) => {
    const conns = await Promise.all(Array.from({ length: 40 }, () => connect(s.port)));
    for (const c of conns) c.socket.write('GET /healthz HTTP/1.1\r\nX-Slow: ');
    const timer = setInterval(() => conns.forEach((c) => c.closedAt || c.socket.write('a')), 1000);
    return () => { clearInterval(timer); conns.forEach((c) => c.socket.destroy()); };
  },
  '32 event streams, one key': async (s) => streams(s, 32),
  '16 streams + other site receipts': async (s) => {
    const stop = streams(s, 16);
    let running = true;
    let n = 0;
    (async () => {
      while (running) {
        await request('POST', `${s.url}/v1/sites/other-site/subjects/acct-${n++}/withdrawals`,
          { Authorization: `Bearer ${s.keys['other-site']}` }).catch(() => {});
        await sleep(100);
      }
    })();
    return () => { running = false; stop(); };
  },
  '16 clients x 1M headers': async (s) => {
    let running = true;
    const line = Buffer.from('X-A: b\r\n'.repeat(1 << 14));
    const flood = async () => {
      while (running) {
        const c = await connect(s.port).catch(() => null);
        if (!c) return;
        c.socket.write('GET /healthz HTTP/1.1\r\nHost: a\r\n');
        for (let i = 0; i < 64 && running && !c.closedAt && !c.error; ++i)
          if (!c.socket.write(line)) await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.closed, sleep(2000)]);
        c.socket.destroy();
      }
    };
    const floods = Array.from({ length: 16 }, flood);
    return async () => { running = false; await Promise.all(floods); };
  },
};

async function measure(s, seconds) {
  const ms = [];
  let unanswered = 0;
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const r = await timedGet(`${s.url}/healthz`, {}, 2000);
    if (r.error || r.status !== 200) unanswered++;
    ms.push(r.ms);
    await sleep(20);
  }
  ms.sort((a, b) => a - b);
  const at = (q) => ms[Math.min(ms.length - 1, Math.floor(ms.length * q))];
  return { probes: ms.length, unanswered, p50: at(0.5), p99: at(0.99), max: ms[ms.length - 1] };
}

async function main() {
  const seconds = Number(option('seconds', '5'));
  console.log(`consentd: ${binary('consentd')}\n`);
  console.log('| stall | probes | unanswered | p50 ms | p99 ms | max ms | server CPU s |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, start] of Object.entries(attacks)) {
    const s = await startServer();  // a fresh server per stall: one's leftovers never hit the next
    try {
      const end = await start(s);
      await sleep(300);
      const cpu = cpuSeconds(s.child.pid);
      const r = await measure(s, seconds);
      const used = cpuSeconds(s.child.pid) - cpu;
      await end();
      console.log(`| ${name} | ${r.probes} | ${r.unanswered} | ${r.p50} | ${r.p99} | ${r.max} | ${used.toFixed(2)} |`);
    } finally {
      await s.stop();
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
