// consentd replicas on PostgreSQL when something fails (issue #12 item 4),
// over real HTTP on 127.0.0.1 with the real binaries (replica_harness.js):
// - one replica killed with SIGKILL while clients post at both: the other
//   keeps serving, clients send what got no answer again there, and nothing
//   that was acknowledged is lost (each receipt stored once, as answered);
// - PostgreSQL restarted while clients post: answers meanwhile are retryable
//   503s, the replicas connect again by themselves, nothing acknowledged is lost.
// The restart test runs a cluster of its own (pg_cluster.sh), so that other
// tests on the fixture's cluster never see it go down.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { consentctl, run, psql, replicas, subjectId, decisionBody, post } = require('./replica_harness.js');

const clusterScript = path.join(__dirname, 'pg_cluster.sh');

// What clients were told: every decision by id, with its body and the answer it was acknowledged with.
class Ledger {
  constructor() {
    this.sent = new Map();
    this.problems = [];
    this.statuses = new Map();
  }
  count(status) { this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1); }
  acknowledge(id, answer) {
    const entry = this.sent.get(id);
    if (entry.ack === null) {
      entry.ack = answer;
      return;
    }
    for (const k of ['receipt_id', 'receipt', 'log_index'])
      if (answer[k] !== entry.ack[k]) this.problems.push(`${id}: a retry got another ${k}`);
  }
}

// Sends body until some replica acknowledges it: an error or a 503 moves on to the next replica that is up.
async function deliver(servers, ledger, id, first, stop) {
  const { body } = ledger.sent.get(id);
  for (let attempt = 0; !stop.hard; attempt += 1) {
    const server = servers[(first + attempt) % servers.length];
    if (server.down) continue;
    try {
      const r = await post(server.url, body);
      ledger.count(r.status);
      if (r.status === 200 || r.status === 201) return ledger.acknowledge(id, r.json());
      if (r.status !== 503) return void ledger.problems.push(`${id}: answered ${r.status} ${r.text}`);
      assert.ok(r.headers['retry-after'], 'a 503 says when to retry');
    } catch {
      ledger.count('no answer');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// `clients` clients, each posting fresh decisions (to its own replica first) until stop.now.
function load(servers, ledger, notice, clients, stop) {
  const subjects = Array.from({ length: 10 }, subjectId);
  return Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; !stop.now; i += 1) {
      const body = decisionBody(notice, subjects[(c * 7 + i) % subjects.length], { analytics: i % 2 === 0 });
      const id = JSON.parse(body).decision_id;
      ledger.sent.set(id, { body, ack: null });
      await deliver(servers, ledger, id, c % servers.length, stop);
    }
  }));
}

// The database against the ledger: one gapless log holding every acknowledged receipt exactly once, as answered.
function checkDatabase(database, common, ledger) {
  assert.deepEqual(ledger.problems, []);
  const rows = JSON.parse(psql(database,
    "SELECT COALESCE(json_agg(json_build_object('i', log_index, 'r', receipt_id, 'd', decision_id, 'j', jws) " +
    "ORDER BY log_index), '[]') FROM receipts"));
  rows.forEach((row, i) => assert.equal(row.i, i, `the log has a gap before index ${row.i}`));
  const byDecision = new Map(rows.map((row) => [row.d, row]));
  assert.equal(byDecision.size, rows.length, 'a decision recorded twice');
  let acknowledged = 0;
  for (const [id, entry] of ledger.sent) {
    if (entry.ack === null) continue;
    acknowledged += 1;
    const row = byDecision.get(id);
    assert.ok(row, `acknowledged decision ${id} is lost`);
    assert.equal(row.r, entry.ack.receipt_id);
    assert.equal(row.j, entry.ack.receipt);
    assert.equal(row.i, entry.ack.log_index);
  }
  assert.match(run(consentctl, ['audit', ...common]), /^ok/m);
  return acknowledged;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('a replica killed with SIGKILL during ingest loses nothing acknowledged, and the other keeps serving', async (t) => {
  const { database, common, servers, notice, start } = await replicas(t);
  const ledger = new Ledger();
  const stop = { now: false, hard: false };
  const running = load(servers, ledger, notice, 8, stop);
  await pause(1500);
  const killed = servers[0];
  killed.down = true;
  const exited = new Promise((resolve) => killed.child.once('exit', resolve));
  killed.child.kill('SIGKILL');
  await exited;
  const before = ledger.statuses.get(201) ?? 0;
  await pause(1500);
  assert.ok((ledger.statuses.get(201) ?? 0) > before, 'the other replica kept acknowledging');
  // A replica started again on the same database continues the same log beside the survivor.
  servers[0] = await start();
  const rejoined = ledger.statuses.get(201) ?? 0;
  await pause(1000);
  assert.ok((ledger.statuses.get(201) ?? 0) > rejoined);
  stop.now = true;
  await running;
  const acknowledged = checkDatabase(database, common, ledger);
  t.diagnostic(`acknowledged ${acknowledged}; answers ${JSON.stringify([...ledger.statuses])}`);
});

test('PostgreSQL restarted under load: retryable 503s meanwhile, the replicas reconnect, nothing acknowledged is lost', async (t) => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-pg-restart-'));
  run(clusterScript, ['start', state]);
  const clusterUrl = fs.readFileSync(path.join(state, 'url'), 'utf8').trim();
  const setup = replicas(t, { clusterUrl });
  // After hooks run in the order they were added: the replicas and their database go first.
  t.after(() => run(clusterScript, ['stop', state]));
  const { database, common, servers, notice } = await setup;
  const ledger = new Ledger();
  const stop = { now: false, hard: false };
  const running = load(servers, ledger, notice, 8, stop);
  await pause(1000);
  run(clusterScript, ['restart', state]);
  const afterRestart = ledger.statuses.get(201) ?? 0;
  await pause(1500);
  assert.ok((ledger.statuses.get(201) ?? 0) > afterRestart, 'the replicas acknowledge again after the restart');
  stop.now = true;
  await running;
  const acknowledged = checkDatabase(database, common, ledger);
  t.diagnostic(`acknowledged ${acknowledged}; answers ${JSON.stringify([...ledger.statuses])}`);
});
