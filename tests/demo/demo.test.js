// The demo's story, end to end, exactly as scripts/demo.sh runs it (demo/start.js
// with the real consentd and consentctl, the built banner, the shop's server and
// the newsletter sender), walked in Debian's Chromium:
//   visit and reject: nothing gated runs; sign up: the sender asks and does not
//   send; grant marketing: the pixel runs, the sender sends; withdraw: the page
//   stops the pixel in the same task and the sender stops at once (the event
//   stream), never sending again; grant again: it resumes; the receipts page
//   verifies every receipt in the browser, a downloaded one verifies with jose
//   and a tampered copy does not; the operator view shows counts, the notice
//   version and a verified checkpoint, never the API key; Ctrl-C stops every
//   process, and the next run reuses the workspace.
// The steps share one demo and one browser profile, in order.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const jose = require('jose');

const root = path.resolve(__dirname, '../..');
const START_TIMEOUT_MS = 30000;
const WAIT_MS = 20000;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const EMAIL = 'rider@example.test';

/** demo/start.js in its own workspace; resolves once it printed its URLs. */
function startDemo(dir, sitePort = 0) {
  const child = spawn(process.execPath, [path.join(root, 'demo/start.js')], {
    cwd: root,
    env: Object.assign({}, process.env, {
      DEMO_DIR: dir, DEMO_SITE_PORT: String(sitePort), DEMO_CONSENTD_PORT: '0', DEMO_SEND_INTERVAL: '1',
      DEMO_RATE_PER_MINUTE: '100000', DEMO_RATE_BURST: '10000', DEMO_EXIT_AFTER_START: '',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const demo = { child, out: '', err: '' };
  demo.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.stderr.on('data', (d) => { demo.err += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start: ${demo.out}\n${demo.err}`)), START_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      demo.out += d;
      const shop = demo.out.match(/^\s+shop\s+(http:\/\/\S+?)\/?$/m);
      const consentd = demo.out.match(/^\s+consentd\s+(http:\/\/\S+)/m);
      if (shop && consentd && /Press Ctrl-C/.test(demo.out)) {
        clearTimeout(timer);
        Object.assign(demo, { shop: shop[1], consentd: consentd[1] });
        resolve(demo);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code}: ${demo.out}\n${demo.err}`));
    });
  });
}

async function stopDemo(demo) {
  if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGINT');
  return demo.exited;
}

/** The processes the demo started (consentd, the sender, the recommendations job). */
function childrenOf(pid) {
  const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').map((s) => Number(s.trim())).filter(Boolean);
}

const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return false; } };

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: Object.assign({ Connection: 'close' }, headers), agent: false, timeout: 10000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

const s = {};  // what the steps share

test.before(async () => {
  s.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-demo-'));
  s.demo = await startDemo(s.dir);
  s.apiKey = fs.readFileSync(path.join(s.dir, 'api-key'), 'utf8').trim();
  s.browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  s.context = await s.browser.newContext({ locale: 'en-GB', acceptDownloads: true });
  s.page = await s.context.newPage();
  s.requests = [];
  s.bodies = [];
  s.errors = [];
  s.page.on('request', (r) => s.requests.push(r.url()));
  s.page.on('pageerror', (e) => s.errors.push(String(e)));
  // Everything the shop's server answers to the page, to show the API key never reaches it.
  s.page.on('response', (r) => {
    if (r.url().startsWith(s.demo.shop)) r.text().then((t) => s.bodies.push(t), () => {});
  });
});

test.after(async () => {
  if (s.browser) await s.browser.close();
  for (const demo of [s.demo, s.second]) if (demo) await stopDemo(demo);
  if (s.dir) fs.rmSync(s.dir, { recursive: true, force: true });
});

const page = () => s.page;
const badges = () => page().evaluate(() => ({
  analytics: document.getElementById('badge-analytics').dataset.state,
  marketing: document.getElementById('badge-marketing').dataset.state,
}));

async function ready(url) {
  await page().goto(s.demo.shop + url);
  await page().waitForFunction(() => window.Consent && window.Consent.ready);
  await page().evaluate(() => window.Consent.ready);
}

async function acknowledged() {
  await page().waitForFunction(() => window.Consent.pending() === 0, null, { timeout: WAIT_MS });
}

async function consentd(purpose) {
  const subject = await page().evaluate(() => window.Consent.subject());
  const r = await get(`${s.demo.consentd}/v1/sites/bike-shop/subjects/${subject}/purposes/${purpose}`, { Authorization: `Bearer ${s.apiKey}` });
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text);
}

/** The sender's lines on the newsletter page: [{seq, kind, via, method, text}]. */
const logLines = () => page().$$eval('#sender-log li[data-seq]', (lis) => lis.map((li) => ({
  seq: Number(li.dataset.seq), kind: li.dataset.kind, via: li.dataset.via || '', method: li.dataset.method || '', text: li.textContent,
})));

async function waitForLine(predicate, what) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = (await logLines()).find(predicate);
    if (found) return found;
    if (Date.now() > deadline) assert.fail(`the sender's log never showed ${what}:\n${(await logLines()).map((l) => l.text).join('\n')}`);
    await page().waitForTimeout(100);
  }
}

async function choose(purposes) {
  // The footer link calls Consent.show(): the banner's second layer.
  await page().click('footer [data-privacy-choices]');
  for (const [purpose, on] of Object.entries(purposes)) {
    await page().setChecked(`.cs-root input[data-purpose="${purpose}"]`, on);
  }
}

test('a first visit: the banner asks and nothing gated runs; "Reject all" keeps it so', async () => {
  await ready('/');
  await page().locator('.cs-root [role="dialog"]').waitFor();
  assert.deepEqual(await badges(), { analytics: 'off', marketing: 'off' });
  await page().click('.cs-root [data-action="reject"]');
  await acknowledged();
  assert.deepEqual(await badges(), { analytics: 'off', marketing: 'off' });
  await ready('/bike.html');
  assert.equal(await page().locator('.cs-root [role="dialog"]').count(), 0, 'asked again after a choice');
  assert.equal(await page().getAttribute('iframe[data-consent="marketing"]', 'src'), null);
  assert.deepEqual(await badges(), { analytics: 'off', marketing: 'off' });
  assert.equal(await page().evaluate(() => [window.veloAnalytics, window.veloPixel].filter(Boolean).length), 0);
  assert.deepEqual(s.requests.filter((u) => /analytics\.js|pixel\.js|offer\.html/.test(u)), []);
  assert.doesNotMatch(await page().evaluate(() => document.cookie), /_pk_|_ad_uid/);
  assert.equal((await consentd('marketing')).reason, 'denied');
});

test('a subscriber who refused: the sender asks consentd before each email and sends nothing', async () => {
  await ready('/newsletter.html');
  await page().fill('#email', EMAIL);
  await page().click('#signup button[type="submit"]');
  await page().locator('#subscribed-email', { hasText: EMAIL }).waitFor();
  const skipped = await waitForLine((l) => l.kind === 'skipped', 'a "not sending" line');
  assert.match(skipped.text, /not allowed \(denied\)/);
  await waitForLine((l) => l.kind === 'round' && l.seq > skipped.seq, 'another round');
  assert.deepEqual((await logLines()).filter((l) => l.kind === 'sent'), []);
  assert.equal(await page().getAttribute('#marketing-consent', 'data-allowed'), 'false');
});

test('granting marketing: the pixel runs and the sender sends', async () => {
  await choose({ marketing: true });
  await page().click('.cs-root [data-action="save"]');
  await page().waitForFunction(() => document.getElementById('badge-marketing').dataset.state === 'on');
  assert.equal((await badges()).analytics, 'off', 'analytics was not granted');
  await acknowledged();
  assert.equal((await consentd('marketing')).reason, 'granted');
  const granted = await waitForLine((l) => l.kind === 'resumed', 'marketing granted');
  await waitForLine((l) => l.kind === 'sent' && l.seq > granted.seq && l.text.includes(EMAIL), 'an email sent');
  assert.match(await page().evaluate(() => document.cookie), /_ad_uid=/);
});

test('withdrawing: the pixel stops in the same task, the sender stops at once and sends no more', async () => {
  await choose({ marketing: false });
  // The click and the page's state right after it, in one task.
  const after = await page().evaluate(() => {
    document.querySelector('.cs-root [data-action="save"]').click();
    return { badge: document.getElementById('badge-marketing').dataset.state, allowed: window.Consent.allowed('marketing'),
      cookie: document.cookie };
  });
  assert.deepEqual({ badge: after.badge, allowed: after.allowed }, { badge: 'stopped', allowed: false });
  assert.doesNotMatch(after.cookie, /_ad_uid/, 'the pixel\'s cookie is deleted');
  await acknowledged();
  // The server says no before its answer returned, so from here every check does.
  assert.equal((await consentd('marketing')).reason, 'withdrawn');
  const stopped = await waitForLine((l) => l.kind === 'stopped', 'the sender stopping');
  assert.match(stopped.text, /withdrawn/);
  // The event stream brought the withdrawal to the sender (whether or not a round got there first).
  await waitForLine((l) => l.via === 'event' && l.method === 'withdraw', 'the withdrawal arriving on the event stream');
  // Proof that both backends stopped: the sender's mirror (Node) acknowledged the withdrawal as "newsletter",
  // the recommendations job's (Python) as "recommendations", each within the second.
  const subject = await page().evaluate(() => window.Consent.subject());
  let bundle;
  for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    bundle = JSON.parse((await get(`${s.demo.consentd}/v1/sites/bike-shop/subjects/${subject}/export`,
      { Authorization: `Bearer ${s.apiKey}` })).text);
    if (['newsletter', 'recommendations'].every((b) => bundle.acknowledgements.some((a) => a.backend === b))) break;
  }
  const ack = bundle.acknowledgements.find((a) => a.backend === 'newsletter');
  assert.ok(ack, 'the newsletter never acknowledged the withdrawal');
  const withdrawal = bundle.receipts.find((r) => r.receipt_id === ack.receipt_id);
  const payload = JSON.parse(Buffer.from(withdrawal.jws.split('.')[1], 'base64url').toString('utf8'));
  assert.equal(payload.method, 'withdraw');
  assert.ok(ack.acknowledged_at - payload.iat <= 1, `acknowledged at ${ack.acknowledged_at}, withdrawn at ${payload.iat}`);
  const other = bundle.acknowledgements.find((a) => a.backend === 'recommendations' && a.receipt_id === ack.receipt_id);
  assert.ok(other, 'the recommendations job never acknowledged the withdrawal');
  assert.ok(other.acknowledged_at - payload.iat <= 1, `acknowledged at ${other.acknowledged_at}, withdrawn at ${payload.iat}`);
  // Two full rounds later: nothing was sent after the stop.
  const first = await waitForLine((l) => l.kind === 'round' && l.seq > stopped.seq, 'a round after the stop');
  await waitForLine((l) => l.kind === 'round' && l.seq > first.seq, 'a second round after the stop');
  const lines = await logLines();
  assert.deepEqual(lines.filter((l) => l.kind === 'sent' && l.seq > stopped.seq), [], 'an email went out after the withdrawal');
  assert.equal(await page().getAttribute('#marketing-consent', 'data-allowed'), 'false');
});

test('granting again: the sender resumes', async () => {
  const before = Math.max(...(await logLines()).map((l) => l.seq));
  await choose({ marketing: true });
  await page().click('.cs-root [data-action="save"]');
  await acknowledged();
  const resumed = await waitForLine((l) => l.kind === 'resumed' && l.seq > before, 'the sender resuming');
  await waitForLine((l) => l.kind === 'sent' && l.seq > resumed.seq, 'an email sent again');
});

test('your receipts: each is listed with what, when and which notice, and verified in the browser', async () => {
  await ready('/receipts.html');
  await page().waitForSelector('#receipts[data-ready="true"]', { timeout: WAIT_MS });
  const rows = await page().$$eval('#receipts tbody tr', (trs) => trs.map((tr) => ({
    verified: tr.dataset.verified,
    checks: Array.from(tr.querySelectorAll('.check')).map((c) => c.dataset.check + ':' + c.dataset.ok),
    text: tr.textContent,
  })));
  // reject_all, grant, withdraw, grant: newest first.
  assert.equal(rows.length, 4);
  assert.deepEqual(rows.map((r) => r.text.match(/Reject all|Own choice|Withdrawal/)[0]), ['Own choice', 'Withdrawal', 'Own choice', 'Reject all']);
  for (const r of rows) {
    assert.deepEqual(r.checks, ['signed:true', 'yours:true', 'logged:true', 'still:true'], r.text);
    assert.equal(r.verified, 'true');
    assert.match(r.text, /version 3/);
    assert.match(r.text, /sha256 [0-9a-f]{12}/);
  }
  assert.match(rows[1].text, /marketing: denied/);
  assert.match(rows[0].text, /marketing: granted/);
});

test('a downloaded receipt verifies with an independent JOSE library; a tampered copy fails in the browser', async () => {
  const [download] = await Promise.all([page().waitForEvent('download'), page().click('#receipts tbody tr:first-child [data-download]')]);
  const file = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  const jwks = JSON.parse((await get(`${s.demo.consentd}/.well-known/jwks.json`)).text);
  const { payload } = await jose.compactVerify(file.receipt, jose.createLocalJWKSet(jwks));
  const claims = JSON.parse(new TextDecoder().decode(payload));
  assert.equal(claims.subject, await page().evaluate(() => window.Consent.subject()));
  assert.deepEqual(claims.purposes.find((p) => p.id === 'marketing').state, 'granted');
  assert.equal(claims.notice.version, 3);
  assert.equal(claims.log_index, file.log_index);

  const check = async (content) => {
    await page().setInputFiles('#receipt-file', { name: 'receipt.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(content)) });
    await page().waitForSelector('#file-result [data-file-verdict]');
    const verdict = await page().getAttribute('#file-result [data-file-verdict]', 'data-file-verdict');
    const checks = await page().$$eval('#file-result li.check', (lis) => lis.map((li) => li.dataset.check + ':' + li.dataset.ok));
    await page().evaluate(() => document.getElementById('file-result').replaceChildren());
    return { verdict, checks };
  };
  assert.deepEqual(await check(file), { verdict: 'true', checks: ['signed:true', 'yours:true', 'logged:true', 'still:true'] });
  // "granted" -> "denied" in the signed payload: the signature no longer holds, nor the leaf hash.
  const [h, p, sig] = file.receipt.split('.');
  const forged = Buffer.from(Buffer.from(p, 'base64url').toString('utf8').replace('"granted"', '"denied"')).toString('base64url');
  assert.notEqual(forged, p);
  const tampered = await check(Object.assign({}, file, { receipt: [h, forged, sig].join('.') }));
  assert.equal(tampered.verdict, 'false');
  assert.deepEqual(tampered.checks.filter((c) => c.startsWith('signed') || c.startsWith('logged')), ['signed:false', 'logged:false']);
});

test('the operator view: opt-in counts per purpose, the notice version, a verified checkpoint, and never the API key', async () => {
  await ready('/operator.html');
  await page().waitForSelector('#totals[data-ready="true"]', { timeout: WAIT_MS });
  const marketing = await page().$eval('#totals tr[data-purpose="marketing"]', (tr) => ({
    decisions: Number(tr.querySelector('[data-decisions]').dataset.decisions),
    granted: Number(tr.querySelector('[data-granted]').dataset.granted),
    withdrawn: Number(tr.querySelector('[data-withdrawn]').dataset.withdrawn),
  }));
  assert.equal(marketing.granted, 2);
  assert.equal(marketing.withdrawn, 1);
  assert.ok(marketing.decisions >= 3, JSON.stringify(marketing));
  assert.ok(await page().locator('#chart circle[data-purpose="marketing"]').count() >= 1, 'no point drawn for marketing');
  assert.equal(await page().locator('#versions tr[data-version="3"]').count(), 1);
  await page().waitForSelector('#checkpoint-status[data-ok="true"]', { timeout: WAIT_MS });
  assert.ok(Number(await page().getAttribute('#checkpoint-status', 'data-tree-size')) >= 4);
  assert.match(await page().textContent('#checkpoint'), /^consentd\/receipts\n\d+\n/);
  // The key stayed on the shop's server: in no answer the browser got, and never printed.
  assert.ok(s.bodies.length > 20);
  for (const body of s.bodies) assert.ok(!body.includes(s.apiKey), 'the API key reached the browser');
  assert.ok(!s.requests.some((u) => u.startsWith(s.demo.consentd) && /stats|export|events|purposes\//.test(u)));
  assert.ok(!s.demo.out.includes(s.apiKey) && !s.demo.err.includes(s.apiKey), 'the API key was printed');
  assert.deepEqual(s.errors, []);
});

test('Ctrl-C stops everything the demo started; the next run reuses the workspace', async () => {
  const pids = childrenOf(s.demo.child.pid);
  assert.equal(pids.length, 3, 'consentd, the sender and the recommendations job');
  const sitePort = new URL(s.demo.shop).port;
  assert.deepEqual(await stopDemo(s.demo), { code: 0, signal: null });
  for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} still runs`);
  await assert.rejects(get(s.demo.consentd + '/healthz'));
  await assert.rejects(get(s.demo.shop + '/'));

  s.second = await startDemo(s.dir, sitePort);
  s.demo = s.second;
  assert.match(s.second.out, /reusing the workspace/);
  assert.equal(fs.readFileSync(path.join(s.dir, 'api-key'), 'utf8').trim(), s.apiKey);
  assert.equal((fs.statSync(path.join(s.dir, 'api-key')).mode & 0o777).toString(8), '600');
  // Same keys, same log: the receipts this browser holds still verify, and consentd remembers the choice.
  await ready('/receipts.html');
  await page().waitForSelector('#receipts[data-ready="true"]', { timeout: WAIT_MS });
  assert.deepEqual(await page().$$eval('#receipts tbody tr', (trs) => trs.map((tr) => tr.dataset.verified)), ['true', 'true', 'true', 'true']);
  // The export of this id checked whole in the browser (the core's bundle.verify, as consentctl verify).
  await page().waitForSelector('#bundle-check[data-verified="true"]', { timeout: WAIT_MS });
  assert.match(await page().textContent('#bundle-check'), /verifies as a proof bundle: \d+ receipt\(s\); all 4 receipt\(s\) this browser kept are in it/);
  assert.equal((await consentd('marketing')).reason, 'granted');
});

test('delete my records from the receipts page: every row says erased and still verifies, the erasure receipt is in the log', async () => {
  await page().waitForSelector('#receipts[data-ready="true"]', { timeout: WAIT_MS });
  const subject = await page().evaluate(() => window.Consent.subject());
  await page().click('footer [data-privacy-choices]');
  await page().click('.cs-dialog [data-action="erase"]');
  await page().waitForSelector('[data-step="erase-confirm"]');
  assert.equal((await consentd('marketing')).reason, 'granted', 'the first click deletes nothing');
  await page().click('[data-action="erase-confirm"]');
  await page().waitForSelector('[data-step="erase-done"]', { timeout: WAIT_MS });
  await page().click('[data-action="erase-close"]');

  // The page shows what it held, now erased, with every proof still holding; and the erasure receipt.
  await page().waitForSelector('#erasures li[data-verified="true"]', { timeout: WAIT_MS });
  await page().waitForFunction(() => document.querySelectorAll('#receipts tbody tr[data-erased="true"]').length === 4, null, { timeout: WAIT_MS });
  const rows = await page().$$eval('#receipts tbody tr', (trs) => trs.map((tr) => ({ verified: tr.dataset.verified, text: tr.textContent })));
  for (const r of rows) {
    assert.equal(r.verified, 'true', r.text);
    assert.match(r.text, /Erased .*\(subject_request\)/);
  }
  assert.match(await page().textContent('#erasures'), /\d+ receipt\(s\) · reason subject_request · asked by public:browser_id/);
  await page().waitForSelector('#bundle-check[data-verified="true"]', { timeout: WAIT_MS });
  assert.match(await page().textContent('#bundle-check'), /0 receipt\(s\), \d+ erased, named by 1 signed erasure receipt\(s\); all 4 receipt\(s\) this browser kept are in it or erased/);
  const r = await get(`${s.demo.consentd}/v1/sites/bike-shop/subjects/${subject}/purposes/marketing`, { Authorization: `Bearer ${s.apiKey}` });
  assert.equal(JSON.parse(r.text).reason, 'no_decision');

  // The next visit is a first visit, under a new id.
  await ready('/index.html');
  await page().waitForSelector('.cs-layer-1');
  assert.notEqual(await page().evaluate(() => window.Consent.subject()), subject);
  assert.deepEqual(s.errors, []);
  assert.deepEqual(await stopDemo(s.second), { code: 0, signal: null });
});
