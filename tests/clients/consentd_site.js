// A real consentd on a fresh SQLite file with one site, its notice and a
// backend API key: what every client test (snapshot route, Node client and
// mirror) starts from. restart() stops and starts consentd on the same file.
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnConsentd } = require('../support/consentd_process.js');

const SITE = 'bike-shop';
const ORIGIN = 'https://velo.example';
const noticeFile = path.join(process.env.CONSENT_TEST_DATA_DIR, 'notices', 'shop.json');

// libfaketime (Debian's faketime, installed by scripts/setup.sh) moves consentd's clock forward.
const FAKETIME_LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

async function startSite(t, extraArgs = [], { fakeTime = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-clients-'));
  const common = [`--database=${path.join(dir, 'db.sqlite')}`, `--keys=${path.join(dir, 'keys')}`];
  const ctl = (args) => execFileSync(process.env.CONSENTCTL, [...args, ...common], { encoding: 'utf8' });
  ctl(['init', `--site=${SITE}`, `--origin=${ORIGIN}`]);
  ctl(['notice', 'publish', noticeFile, `--site=${SITE}`]);
  const key = ctl(['apikey', 'create', `--site=${SITE}`]).trim();
  const site = { dir, key, site: SITE, origin: ORIGIN, ctl, offset: 0 };
  const timeFile = path.join(dir, 'faketime');
  let env;
  if (fakeTime) {
    if (!fs.existsSync(FAKETIME_LIBRARY)) throw new Error(`${FAKETIME_LIBRARY} is missing: run scripts/setup.sh`);
    fs.writeFileSync(timeFile, '+0\n');
    env = {
      ...process.env, LD_PRELOAD: FAKETIME_LIBRARY, FAKETIME_TIMESTAMP_FILE: timeFile, FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1', ASAN_OPTIONS: `${process.env.ASAN_OPTIONS || ''}:verify_asan_link_order=0`,
    };
  }
  /** Moves consentd's clock this many seconds further ahead (fakeTime); it reads the file on every call. */
  site.advance = (seconds) => {
    site.offset += seconds;
    fs.writeFileSync(`${timeFile}.new`, `+${site.offset}\n`);
    fs.renameSync(`${timeFile}.new`, timeFile);
  };
  /** consentd's clock in seconds, as the mirror must read it. */
  site.clock = () => Date.now() / 1000 + site.offset;
  const start = async (port = 0) => {
    site.server = await spawnConsentd(process.env.CONSENTD,
      [...common, `--port=${port}`, '--rate-per-minute=1000000', '--rate-burst=1000000', ...extraArgs], env);
    site.url = site.server.url;
  };
  await start();
  site.restart = async () => {
    await site.server.stop();
    await start(site.server.port);
  };
  site.stop = () => site.server.stop();
  site.pause = () => site.server.child.kill('SIGSTOP');
  site.resume = () => site.server.child.kill('SIGCONT');
  site.kill = () => site.server.child.kill('SIGKILL');
  t.after(async () => {
    site.resume();
    await site.server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return site;
}

// The notice as served, and a decision for one subject posted like the banner does.
async function postDecision(site, subject, method, choices = undefined, n = 0, purposes = undefined) {
  const notice = await (await fetch(`${site.url}/v1/sites/${SITE}/notice`)).json();
  const body = {
    decision_id: `d${n}-${crypto.randomBytes(9).toString('base64url')}`,
    subject_id: subject, notice_id: notice.notice.notice_id, notice_version: notice.notice.version,
    notice_hash: notice.hash, language: 'en', method,
  };
  if (choices) body.choices = choices;
  if (purposes) body.purposes = purposes;
  const r = await fetch(`${site.url}/v1/sites/${SITE}/decisions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Origin: ORIGIN }, body: JSON.stringify(body),
  });
  const answer = await r.json();
  if (r.status !== 201 && r.status !== 200) throw new Error(`decision refused: ${r.status} ${JSON.stringify(answer)}`);
  return answer;
}

// Browser-made subject ids: b_ + 22 base64url characters (128 bits).
function subjectId(n) {
  return `b_${Buffer.from(`${String(n).padStart(6, '0')}-client-subject`).toString('base64url').slice(0, 22)}`;
}

module.exports = { startSite, postDecision, subjectId, SITE, ORIGIN, noticeFile };
