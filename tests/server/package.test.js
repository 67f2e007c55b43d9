// The Debian package of consentd (issue #16 item 2): built with CPack from the
// build tree the test runs in (the ASan build under the test command; the
// release build packages the same way with scripts/package.sh), checked with
// dpkg-deb, unpacked into a scratch root, and run from there: --version and
// --help, consentctl init, a site and an API key, consentd started with a
// copy of the packaged configuration file, a decision and a check over real
// HTTP, a backup that audits, and a graceful SIGTERM. No systemd runs here
// (CI runs as root in a container): the unit is checked with
// `systemd-analyze verify` where systemd-analyze is installed, and the
// maintainer scripts are syntax-checked and read, not run, so that the test
// never creates a user on the machine.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnConsentd, request } = require('../support/consentd_process.js');

const cpackConfig = path.resolve(process.env.CONSENT_CPACK_CONFIG);
const VERSION = process.env.CONSENT_VERSION;
const noticeFile = path.resolve(process.env.CONSENT_TEST_DATA_DIR, 'notices', 'shop.json');
const SITE = 'bike-shop';
const ORIGIN = 'https://velo.example';

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 240000, maxBuffer: 64 << 20, ...options });
  assert.equal(r.error, undefined, `${command} could not run: ${r.error}`);
  assert.equal(r.status, 0, `${command} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

// One package for all the tests below, built once.
let built = null;
function buildPackage() {
  if (built) return built;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consentd-package-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  run('cpack', ['--config', cpackConfig, '-G', 'DEB', '-B', path.join(dir, 'out')]);
  const debs = fs.readdirSync(path.join(dir, 'out')).filter((f) => f.endsWith('.deb'));
  assert.equal(debs.length, 1, `cpack made ${debs.join(', ')}`);
  const deb = path.join(dir, 'out', debs[0]);
  const root = path.join(dir, 'root');
  run('dpkg-deb', ['-x', deb, root]);
  const control = path.join(dir, 'control');
  run('dpkg-deb', ['-e', deb, control]);
  built = { dir, deb, root, control };
  return built;
}

function field(info, name) {
  const m = info.match(new RegExp(`^ ${name}: (.*)$`, 'm'));
  return m ? m[1] : null;
}

test('the package names consentd, its version and dependencies, and marks the configuration a conffile', () => {
  const { deb, control } = buildPackage();
  assert.match(path.basename(deb), new RegExp(`^consentd_${VERSION.replace(/\./g, '\\.')}_[a-z0-9]+\\.deb$`));
  const info = run('dpkg-deb', ['-I', deb]);
  assert.equal(field(info, 'Package'), 'consentd');
  assert.equal(field(info, 'Version'), VERSION);
  const depends = field(info, 'Depends').split(',').map((d) => d.trim().split(' ')[0]);
  for (const lib of ['adduser', 'libc6', 'libsodium23', 'libsqlite3-0', 'libstdc++6']) assert.ok(depends.includes(lib), `Depends lacks ${lib}`);
  assert.equal(fs.readFileSync(path.join(control, 'conffiles'), 'utf8'), '/etc/consentd/consentd.conf\n');

  const files = run('dpkg-deb', ['-c', deb]).split('\n').map((l) => l.split(/\s+/).slice(5).join(' ')).filter(Boolean);
  for (const f of ['./usr/bin/consentd', './usr/bin/consentctl', './lib/systemd/system/consentd.service',
    './etc/consentd/consentd.conf', './usr/share/doc/consentd/deployment.md',
    './usr/share/doc/consentd/examples/nginx-consentd.conf'])
    assert.ok(files.includes(f), `the package lacks ${f}`);
});

test('the maintainer scripts create the consentd user and a private state directory, and are valid sh', () => {
  const { control } = buildPackage();
  for (const script of ['postinst', 'prerm', 'postrm']) {
    const file = path.join(control, script);
    assert.equal(fs.statSync(file).mode & 0o777, 0o755, `${script} is not 0755`);
    run('sh', ['-n', file]);
  }
  const postinst = fs.readFileSync(path.join(control, 'postinst'), 'utf8');
  assert.match(postinst, /adduser --system --group [^\n]*consentd/);
  assert.match(postinst, /install -d -m 0750 -o consentd -g consentd \/var\/lib\/consentd\n/);
  assert.match(postinst, /install -d -m 0700 -o consentd -g consentd \/var\/lib\/consentd\/keys\n/);
  assert.doesNotMatch(fs.readFileSync(path.join(control, 'postrm'), 'utf8'), /rm -r/, 'a purge must keep the receipts');
});

test('the systemd unit runs consentd unprivileged and hardened, with the packaged configuration', (t) => {
  const { root } = buildPackage();
  const unitFile = path.join(root, 'lib/systemd/system/consentd.service');
  const unit = fs.readFileSync(unitFile, 'utf8');
  const settings = [
    'User=consentd', 'ExecStart=/usr/bin/consentd --config=/etc/consentd/consentd.conf', 'KillSignal=SIGTERM',
    'StateDirectory=consentd', 'ReadWritePaths=/var/lib/consentd', 'ProtectSystem=strict', 'ProtectHome=yes',
    'PrivateTmp=yes', 'PrivateDevices=yes', 'NoNewPrivileges=yes', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'SystemCallFilter=@system-service', 'CapabilityBoundingSet=', 'WantedBy=multi-user.target',
  ];
  for (const s of settings) assert.match(unit, new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'), `the unit lacks ${s}`);
  if (!has('systemd-analyze')) {
    t.diagnostic('systemd-analyze is not installed: the unit was read, not verified');
    return;
  }
  // The unit as installed, with ExecStart pointing into the scratch root (verify checks the binary exists).
  const copy = path.join(built.dir, 'verify', 'consentd.service');
  fs.mkdirSync(path.dirname(copy), { recursive: true });
  fs.writeFileSync(copy, unit.replace('ExecStart=/usr/bin/consentd', `ExecStart=${root}/usr/bin/consentd`));
  const verified = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
  assert.equal(verified.status, 0, verified.stderr);
  assert.equal(verified.stderr, '', 'systemd-analyze verify warned');
  const security = spawnSync('systemd-analyze', ['security', '--offline=true', copy], { encoding: 'utf8' });
  const exposure = security.stdout.match(/Overall exposure level for consentd\.service: ([0-9.]+)/);
  if (exposure) {
    t.diagnostic(`systemd-analyze security: exposure ${exposure[1]}`);
    assert.ok(Number(exposure[1]) <= 2.0, `exposure ${exposure[1]}`);
  }
});

test('the unpacked binaries serve a decision and a check with the packaged configuration, and stop on SIGTERM', async (t) => {
  const { root, dir } = buildPackage();
  const consentd = path.join(root, 'usr/bin/consentd');
  const consentctl = path.join(root, 'usr/bin/consentctl');
  assert.equal(run(consentd, ['--version']), `consentd ${VERSION}\n`);
  assert.equal(run(consentctl, ['--version']), `consentctl ${VERSION}\n`);
  assert.match(run(consentd, ['--help']), /^ {2}--stop-timeout-seconds=N /m);
  assert.match(run(consentctl, ['--help']), /consentctl backup --to=FILE/);

  // The packaged file, with the state directory moved into the scratch area.
  const state = path.join(dir, 'var-lib-consentd');
  fs.mkdirSync(state, { mode: 0o750 });
  const packaged = fs.readFileSync(path.join(root, 'etc/consentd/consentd.conf'), 'utf8');
  assert.match(packaged, /^database = \/var\/lib\/consentd\/consentd\.db$/m);
  assert.match(packaged, /^keys = \/var\/lib\/consentd\/keys$/m);
  const conf = path.join(dir, 'consentd.conf');
  fs.writeFileSync(conf, packaged.replaceAll('/var/lib/consentd', state).replace(/^port = \d+$/m, 'port = 0'));
  const paths = [`--database=${state}/consentd.db`, `--keys=${state}/keys`];
  run(consentctl, ['init', ...paths, `--site=${SITE}`, `--origin=${ORIGIN}`]);
  run(consentctl, ['notice', 'publish', noticeFile, `--site=${SITE}`, ...paths]);
  const apiKey = run(consentctl, ['apikey', 'create', `--site=${SITE}`, ...paths]).trim();

  const server = await spawnConsentd(consentd, [`--config=${conf}`]);
  t.after(server.stop);
  let stderr = '';
  server.child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => server.child.once('exit', (code, signal) => resolve({ code, signal })));
  const notice = (await request('GET', `${server.url}/v1/sites/${SITE}/notice`)).json();
  const subject = 'b_cGFja2FnZS1zbW9rZS10ZX';
  const decided = await request('POST', `${server.url}/v1/sites/${SITE}/decisions`,
    { 'Content-Type': 'application/json', Origin: ORIGIN },
    JSON.stringify({ decision_id: 'dec-package-smoke-1', subject_id: subject, notice_id: SITE,
      notice_version: notice.notice.version, notice_hash: notice.hash, language: 'en', method: 'custom',
      choices: { analytics: true, marketing: false } }));
  assert.equal(decided.status, 201, decided.text);
  const check = await request('GET', `${server.url}/v1/sites/${SITE}/subjects/${subject}/purposes/analytics`,
    { Authorization: `Bearer ${apiKey}` });
  assert.equal(check.status, 200, check.text);
  assert.equal(check.json().allowed, true);
  assert.equal(check.json().receipt_id, decided.json().receipt_id);

  const copy = path.join(dir, 'backup.db');
  assert.match(run(consentctl, ['backup', `--to=${copy}`, `--database=${state}/consentd.db`]), /^backup of 1 receipts/);
  server.child.kill('SIGTERM');
  assert.deepEqual(await exited, { code: 0, signal: null });
  assert.match(run(consentctl, ['audit', `--database=${copy}`, `--keys=${state}/keys`]), /^ok: state equals the rebuild from 1 receipts/);
  // The request log went to standard error, one JSON line per request.
  const lines = stderr.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => `${l.method} ${l.route} ${l.status}`), [
    'GET /v1/sites/{site}/notice 200',
    'POST /v1/sites/{site}/decisions 201',
    'GET /v1/sites/{site}/subjects/{subject}/purposes/{purpose} 200',
  ]);
});
