// The banner as a site gets it: the staged package (scripts/build.sh web) is
// packed with npm pack, installed from the tarball alone into a scratch
// project (offline, an empty cache, a registry that answers nothing), and
// bundled by esbuild from an entry that imports it. The served files must be
// exactly the bytes the manifest's integrity hashes name, so that a page's
// integrity="…" and an immutable cache both hold.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const esbuild = require('esbuild');

const packageDir = path.resolve(process.env.CONSENT_WEB_PACKAGE || path.join(__dirname, '../../build/web/package'));
const NAME = '@consent-sdk/banner';

function npm(args, cwd) {
  // Port 9 (discard) on loopback: any attempt to reach a registry fails at once.
  const r = spawnSync('npm', [...args, '--registry=http://127.0.0.1:9/', '--no-audit', '--no-fund', '--no-update-notifier'],
    { cwd, encoding: 'utf8', timeout: 120000, env: Object.assign({}, process.env, { npm_config_cache: path.join(cwd, '.npm-cache') }) });
  assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function sri(bytes) {
  return 'sha384-' + crypto.createHash('sha384').update(bytes).digest('base64');
}

test('the banner package packs, installs offline from its tarball alone, and bundles', async (t) => {
  assert.ok(fs.existsSync(path.join(packageDir, 'package.json')), `${packageDir} is missing: run scripts/build.sh web`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'consent-package-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // npm pack: only what a site needs goes in.
  const [packed] = JSON.parse(npm(['pack', packageDir, '--json', `--pack-destination=${dir}`], dir));
  const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'dist/manifest.json'), 'utf8'));
  const expected = ['README.md', 'consent.css', 'consent.d.ts', 'dist/manifest.json', 'index.mjs', 'package.json',
    ...Object.values(manifest).map((m) => 'dist/' + m.file)].sort();
  assert.deepEqual(packed.files.map((f) => f.path).sort(), expected);
  for (const name of ['consent.js', 'consent.css', 'consent-banner.wasm'])
    assert.ok(manifest[name], `the manifest names ${name}`);

  // A scratch site installs the tarball with no registry: the package has no runtime dependencies.
  const site = path.join(dir, 'site');
  fs.mkdirSync(site);
  fs.writeFileSync(path.join(site, 'package.json'), JSON.stringify({ name: 'scratch-site', private: true }));
  npm(['install', '--offline', path.join(dir, packed.filename)], site);
  const installed = path.join(site, 'node_modules', NAME);
  const meta = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  assert.equal(meta.name, NAME);
  assert.equal(meta.dependencies, undefined);
  assert.deepEqual(fs.readdirSync(path.join(site, 'node_modules')).sort(), ['.package-lock.json', '@consent-sdk']);
  assert.ok(fs.existsSync(path.join(installed, meta.types)), 'the types named by "types" are installed');

  // Every served file is exactly the bytes of its manifest entry, and its name carries the start of that hash.
  const served = JSON.parse(fs.readFileSync(path.join(installed, 'dist/manifest.json'), 'utf8'));
  assert.deepEqual(served, manifest);
  for (const [name, entry] of Object.entries(served)) {
    const bytes = fs.readFileSync(path.join(installed, 'dist', entry.file));
    assert.equal(sri(bytes), entry.integrity, `${name}: integrity matches ${entry.file}`);
    const hex = Buffer.from(entry.integrity.slice('sha384-'.length), 'base64').toString('hex');
    const ext = path.extname(name);
    assert.equal(entry.file, `${name.slice(0, -ext.length)}.${hex.slice(0, 8)}${ext}`);
  }
  // consent.js fetches its wasm and stylesheet by their hashed names, checked by their integrity.
  const tag = fs.readFileSync(path.join(installed, 'dist', served['consent.js'].file), 'utf8');
  for (const name of ['consent-banner.wasm', 'consent.css']) {
    assert.ok(tag.includes(served[name].file), `consent.js names ${served[name].file}`);
    assert.ok(tag.includes(served[name].integrity), `consent.js carries the integrity of ${name}`);
  }

  // A site's bundle: the exports map resolves the entry, the CSS and the manifest.
  fs.writeFileSync(path.join(site, 'entry.js'), [
    `import { start } from '${NAME}';`,
    `import '${NAME}/consent.css';`,
    `import manifest from '${NAME}/manifest.json';`,
    'window.consentAssets = manifest;',
    "start({ site: 'shop', server: 'https://consent.shop.example', assets: '/consent/', stylesheet: false });",
  ].join('\n'));
  const result = await esbuild.build({
    absWorkingDir: site, entryPoints: ['entry.js'], bundle: true, minify: true, format: 'iife',
    outdir: path.join(site, 'out'), write: false, logLevel: 'silent', metafile: true,
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js')).text;
  const css = result.outputFiles.find((f) => f.path.endsWith('.css')).text;
  assert.ok(Object.keys(result.metafile.inputs).some((p) => p.includes(`node_modules/${NAME}/index.mjs`)));
  assert.ok(js.includes(served['consent-banner.wasm'].file), 'the bundle fetches the hashed wasm');
  assert.ok(js.includes('nothing gated will run'), 'the bundle holds the banner');
  assert.ok(js.includes('/v1/sites/'), 'the bundle talks to consentd');
  assert.ok(css.includes('.cs-root'), 'the bundled stylesheet is the banner\'s');
});
