#!/usr/bin/env node
// The backend clients' mirrors against a Release consentd (issue #15 targets),
// all in one run: the p50 of one allowed() from memory in C++, Python and Node;
// consentd's answer to a withdrawal -> the mirror denies (p50, p99) on
// loopback while other clients keep consentd busy with decisions; and the
// memory a loaded mirror takes per million (subject, purpose) pairs.
// bench/run.sh --only=clients builds what it needs and runs it. Nothing
// asserts speed; the numbers go to stdout and build/bench/clients.json.
//
//   node bench/clients_bench.js [--subjects=N] [--withdrawals=N] [--out=FILE]
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const root = path.resolve(__dirname, '..');
const arg = (name, fallback) => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? found.slice(name.length + 3) : fallback;
};
const SUBJECTS = Number(arg('subjects', 20000));
const WITHDRAWALS = Number(arg('withdrawals', 300));
const OUT = arg('out', path.join(root, 'build/bench/clients.json'));
const bin = (p) => path.join(root, 'build/bench', p);
process.env.CONSENTD = process.env.CONSENTD || bin('consent/server/consentd');
process.env.CONSENTCTL = process.env.CONSENTCTL || bin('consent/server/consentctl');
process.env.CONSENT_TEST_DATA_DIR = path.join(root, 'tests/data');
process.env.CONSENT_CORE_WASM_DIR = process.env.CONSENT_CORE_WASM_DIR || path.join(root, 'build/wasm/clients/core_shared');
const CORE_LIBRARY = process.env.CONSENT_CORE_LIBRARY || bin('consent/clients/core_shared/libconsent_core_c.so');

const { startSite, subjectId, SITE, ORIGIN } = require('../tests/clients/consentd_site.js');
const { ConsentClient, Mirror, loadWasmCore } = require('../clients/node');

const pct = (values, p) => {
  const v = [...values].sort((a, b) => a - b);
  return v.length ? v[Math.floor(p * (v.length - 1))] : 0;
};

async function post(url, body) {
  const r = await fetch(url, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Origin: ORIGIN }, body: JSON.stringify(body),
  });
  if (r.status !== 201 && r.status !== 200) throw new Error(`decision refused: ${r.status} ${await r.text()}`);
  return r.json();
}

// Grants everything for n subjects, 32 at a time (consentd commits them in groups).
async function populate(site, from, n) {
  const notice = await (await fetch(`${site.url}/v1/sites/${SITE}/notice`)).json();
  const url = `${site.url}/v1/sites/${SITE}/decisions`;
  const decision = (i, method) => ({
    decision_id: `bench-${i}-${method}-${Math.random().toString(36).slice(2, 10)}`, subject_id: subjectId(i),
    notice_id: notice.notice.notice_id, notice_version: notice.notice.version, notice_hash: notice.hash, language: 'en', method,
  });
  let next = from;
  const worker = async () => {
    while (next < from + n) await post(url, decision(next++, 'accept_all'));
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return decision;
}

// Decisions from 4 clients at once until stop() (the load beside the withdrawals).
function backgroundLoad(site, decision) {
  let running = true;
  let sent = 0;
  const url = `${site.url}/v1/sites/${SITE}/decisions`;
  const loop = async (k) => {
    for (let i = 0; running; i++) {
      await post(url, decision(SUBJECTS + 100000 + k * 1000000 + i, i % 2 ? 'reject_all' : 'accept_all'));
      sent++;
    }
  };
  const done = Promise.all([0, 1, 2, 3].map(loop));
  return { stop: async () => { running = false; await done; return sent; } };
}

function run(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${command} exited ${code}`))));
  });
}

// Python: memory, one allowed() at a time, then withdrawals of its own subjects
// (the ones after the C++ bench's) by the same method as Node's: the clock starts
// when consentd has answered, and stops when the mirror denies, waiting on the
// mirror between looks (wait_for wakes as each event is applied).
const PYTHON_BENCH = `
import json, random, resource, sys, time
from consent_client import ConsentClient, Mirror
url, site, key, subjects_file, withdrawals, first = sys.argv[1:7]
subjects = [l.strip() for l in open(subjects_file) if l.strip()]
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()
before = rss()
client = ConsentClient(url, site, key)
mirror = Mirror(client, page_limit=5000).start(timeout=300)
loaded = rss()
loaded_subjects = mirror.subjects()  # the memory is of these: later decisions add subjects
purposes = ["analytics", "marketing", "necessary", "unknown_purpose"]
rng = random.Random(15)
timer = time.perf_counter_ns
times = []
for _ in range(100000):
    s, p = subjects[rng.randrange(len(subjects))], purposes[rng.randrange(4)]
    t0 = timer(); mirror.allowed(s, p); times.append(timer() - t0)
times.sort()
deny_ms = []
for who in subjects[int(first):int(first) + int(withdrawals)]:
    if not mirror.allowed(who, "marketing"):
        continue
    answer = client.withdraw(who, ["marketing"])
    t0 = timer()
    while mirror.allowed(who, "marketing"):
        if not mirror.wait_for(int(answer["log_index"]), 0, 10.0):
            sys.exit("clients_bench (python): the mirror never denied")
    deny_ms.append((timer() - t0) / 1e6)
deny_ms.sort()
pct = lambda v, p: v[int(p * (len(v) - 1))] if v else 0
print(json.dumps({"subjects": mirror.subjects(), "loaded_subjects": loaded_subjects, "rss_delta_bytes": loaded - before,
                  "check_p50_ns": times[len(times) // 2], "check_p99_ns": times[int(len(times) * 0.99)],
                  "withdrawals": len(deny_ms), "deny_p50_ms": pct(deny_ms, 0.5), "deny_p99_ms": pct(deny_ms, 0.99)}))
mirror.stop()
`;

async function main() {
  if (SUBJECTS < 3 * WITHDRAWALS) throw new Error('--subjects must be at least 3 x --withdrawals (each mirror withdraws its own)');
  for (const need of [process.env.CONSENTD, process.env.CONSENTCTL, CORE_LIBRARY, bin('clients_mirror_bench'),
    path.join(process.env.CONSENT_CORE_WASM_DIR, 'consent-mirror.wasm')]) {
    if (!fs.existsSync(need)) throw new Error(`${need} is missing: run bench/run.sh --only=clients`);
  }
  const cleanups = [];
  const site = await startSite({ after: (fn) => cleanups.push(fn) }, ['--heartbeat-seconds=1']);
  try {
    const t0 = performance.now();
    const decision = await populate(site, 0, SUBJECTS);
    process.stderr.write(`clients_bench: ${SUBJECTS} subjects granted in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const subjectsFile = path.join(site.dir, 'subjects.txt');
    fs.writeFileSync(subjectsFile, Array.from({ length: SUBJECTS }, (_, i) => subjectId(i)).join('\n'));
    const client = new ConsentClient(site.url, SITE, site.key);
    const pairs = (await client.snapshot(1).next()).value.subjects[0];
    const pairsPerSubject = Object.keys(pairs.state).length;

    // Node: memory taken by the loaded mirror (JS heap, and the core's wasm heap,
    // where the table's states live), then one allowed() at a time.
    const core = await loadWasmCore();
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const wasmBefore = core.heapBytes();
    const mirror = await new Mirror(client, { core, pageLimit: 5000, staleAfterMs: 30000 }).start({ timeoutMs: 300000 });
    global.gc?.();
    const heapDelta = process.memoryUsage().heapUsed - heapBefore;
    const wasmDelta = core.heapBytes() - wasmBefore;
    const loadedSubjects = mirror.subjects;  // the memory is of these: later decisions add subjects
    const purposes = ['analytics', 'marketing', 'necessary', 'unknown_purpose'];
    const times = [];
    let seed = 15;
    for (let i = 0; i < 100000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const s = subjectId(seed % SUBJECTS);
      const p = purposes[(seed >>> 8) % 4];
      const a = performance.now();
      mirror.allowed(s, p);
      times.push((performance.now() - a) * 1e6);
    }
    // Node: consentd's answer to a withdrawal -> this mirror has applied it and denies.
    const load = backgroundLoad(site, decision);
    const nodeDeny = [];
    for (let i = 0; i < WITHDRAWALS; i++) {
      const who = subjectId(SUBJECTS - 1 - i);
      const answer = await client.withdraw(who, { purposes: ['marketing'] });
      const a = performance.now();
      while (mirror.allowed(who, 'marketing')) await mirror.waitFor(answer.log_index, 0, 10000);
      nodeDeny.push(performance.now() - a);
    }
    await mirror.stop();
    const node = {
      subjects: mirror.subjects, loaded_subjects: loadedSubjects, heap_delta_bytes: heapDelta, wasm_delta_bytes: wasmDelta,
      check_p50_ns: pct(times, 0.5), check_p99_ns: pct(times, 0.99),
      deny_p50_ms: pct(nodeDeny, 0.5), deny_p99_ms: pct(nodeDeny, 0.99),
    };
    // C++ and Python, each in its own process, their withdrawals under the same load
    // (C++: the first WITHDRAWALS subjects, Python: the next, Node: the last).
    const cpp = await run(bin('clients_mirror_bench'), [site.url, SITE, site.key, subjectsFile, String(WITHDRAWALS)]);
    const python = await run('python3', ['-c', PYTHON_BENCH, site.url, SITE, site.key, subjectsFile, String(WITHDRAWALS),
      String(WITHDRAWALS)], { PYTHONPATH: path.join(root, 'clients/python'), CONSENT_CORE_LIBRARY: CORE_LIBRARY });
    const sentMeanwhile = await load.stop();
    const perMillion = (bytes, subjects) => Math.round(bytes / (subjects * pairsPerSubject) * 1e6 / 1048576);
    const result = {
      subjects: SUBJECTS, pairs_per_subject: pairsPerSubject, background_decisions: sentMeanwhile,
      cpp: { ...cpp, mib_per_million_pairs: perMillion(cpp.rss_delta_bytes, cpp.loaded_subjects) },
      python: { ...python, mib_per_million_pairs: perMillion(python.rss_delta_bytes, python.loaded_subjects) },
      node: { ...node, mib_per_million_pairs: perMillion(node.heap_delta_bytes + node.wasm_delta_bytes, node.loaded_subjects) },
      machine: `${os.cpus().length} CPUs, ${os.cpus()[0].model}`,
    };
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
    const row = (name, r, memNote) => `${name.padEnd(7)} ${r.check_p50_ns.toFixed(0).padStart(8)} ns ${
      (r.deny_p50_ms === undefined ? '—' : `${r.deny_p50_ms.toFixed(2)} / ${r.deny_p99_ms.toFixed(2)} ms`).padStart(18)} ${
      String(r.mib_per_million_pairs).padStart(6)} MiB ${memNote}`;
    process.stdout.write(`clients: ${SUBJECTS} subjects x ${pairsPerSubject} purposes, ${WITHDRAWALS} withdrawals under load (${sentMeanwhile} decisions meanwhile)\n`);
    process.stdout.write('mirror  check p50   withdrawal->deny p50/p99   memory per 10^6 pairs\n');
    process.stdout.write(`${row('C++', result.cpp, '(RSS)')}\n${row('Python', result.python, '(RSS)')}\n${row('Node', result.node, '(JS heap + wasm heap)')}\n`);
    process.stdout.write(`(targets: C++ < 1 us, Python and Node < 10 us; p99 <= 10 ms)\nwritten to ${OUT}\n`);
    client.close();
  } finally {
    for (const fn of cleanups) await fn();
  }
}

main().catch((e) => {
  process.stderr.write(`clients_bench: ${e.stack || e.message}\n`);
  process.exit(1);
});
