// Builds the files a site serves, into build/web/dist, each named by its
// content (NAME.<hash>.EXT, hash = the first 8 hex digits of its SHA-384), so a
// site can serve them "Cache-Control: public, max-age=31536000, immutable":
//   consent.<h>.js             the banner (our code + the core's JS API), minified
//   consent.<h>.css            its styles, minified
//   consent-banner.<h>.wasm    the core's banner operations (no glue: consent.js holds its
//                              host, wasm/js/banner_module.js), fetched only when the core is needed
//   consent-core.<h>.{js,wasm}, consent_core.<h>.js  the full core, for pages that verify receipts
//   consent-erase.<h>.js       "Delete my records" (its texts and steps), fetched by consent.js
//                              only once the visitor opens the privacy choices that offer it
//   manifest.json              logical name -> {file, integrity} (SRI, sha384): what a
//                              site's templates read to write the tag; not itself hashed,
//                              so never serve it immutable (or do not serve it at all)
// consent.js fetches its stylesheet and wasm by the hashed names and
// integrity written into it here (web/src/assets.js is replaced), so nothing
// but consent.js's own tag has to know them.
//
// It also stages the npm package (web/package.json) in build/web/package:
// index.mjs (start(), for a site's bundle), consent.css, consent.d.ts, dist/.
// `npm pack build/web/package` makes the tarball; nothing built goes into git.
// Needs the wasm build first (scripts/build.sh wasm).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wasmDir = join(root, 'build/wasm/wasm');
const out = join(root, 'build/web/dist');
const pkg = join(root, 'build/web/package');
const WASM_FILES = ['consent-banner.wasm', 'consent-core.js', 'consent-core.wasm'];

for (const f of WASM_FILES) {
  if (!existsSync(join(wasmDir, f))) {
    console.error(`web/build.mjs: ${f} is missing: run scripts/build.sh wasm first`);
    process.exit(1);
  }
}
// Old hashed files would otherwise pile up beside the new ones.
rmSync(out, { recursive: true, force: true });
rmSync(pkg, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const manifest = {};
/** Writes bytes under their content-hashed name and records them in the manifest. */
function emit(logical, bytes) {
  const digest = createHash('sha384').update(bytes).digest();
  const ext = extname(logical);
  const file = `${logical.slice(0, -ext.length)}.${digest.toString('hex').slice(0, 8)}${ext}`;
  writeFileSync(join(out, file), bytes);
  manifest[logical] = { file, integrity: 'sha384-' + digest.toString('base64') };
  return manifest[logical];
}

// The build's answer for web/src/assets.js: the names and hashes consent.js fetches by.
function assetsPlugin(names) {
  const assets = {};
  for (const n of names) assets[n] = manifest[n];
  return {
    name: 'consent-assets',
    setup(b) {
      b.onLoad({ filter: /[\\/]web[\\/]src[\\/]assets\.js$/ }, () => ({
        contents: `export const ASSETS = ${JSON.stringify(assets)};\n`, loader: 'js',
      }));
    },
  };
}

async function bundle(options) {
  const r = await build(Object.assign({
    bundle: true, target: 'es2019', legalComments: 'none', write: false, logLevel: 'warning',
    // consent_core.js falls back to require() in node; the banner always passes its module.
    external: ['./consent-core.js'],
  }, options));
  return Buffer.from(r.outputFiles[0].contents);
}

const css = await bundle({ entryPoints: [join(root, 'web/consent.css')], minify: true, outfile: 'consent.css' });
emit('consent.css', css);
for (const f of WASM_FILES) emit(f, readFileSync(join(wasmDir, f)));
emit('consent_core.js', readFileSync(join(root, 'wasm/js/consent_core.js')));

// "Delete my records": never on a first visit, so not in consent.js; fetched after a click (erasure_loader.js).
emit('consent-erase.js', await bundle({
  entryPoints: [join(root, 'web/src/erasure/main.js')], minify: true, format: 'iife', globalName: 'ConsentErasure',
  outfile: 'consent-erase.js',
}));

const fetched = assetsPlugin(['consent.css', 'consent-banner.wasm', 'consent-erase.js']);
emit('consent.js', await bundle({
  entryPoints: [join(root, 'web/src/main.js')], minify: true, format: 'iife', plugins: [fetched], outfile: 'consent.js',
  // V8's explicit compile hint (Chrome 136+; a comment elsewhere): compile every function while the async
  // script streams in, off the main thread, instead of each on its first call. The click's path (its handler,
  // Consent Mode, the site's whenAllowed callbacks, the gate) otherwise compiles inside the click: measured
  // in bench/banner, "Accept all" -> the site's callback went from 0.92-1.68x tarteaucitron to 0.50-1.00x.
  banner: { js: '//# allFunctionsCalledOnLoad' },
}));
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

// The package: what a site installs. A bundler minifies the ESM entry itself.
mkdirSync(pkg, { recursive: true });
writeFileSync(join(pkg, 'index.mjs'), await bundle({
  entryPoints: [join(root, 'web/src/index.js')], format: 'esm', plugins: [fetched], outfile: 'index.mjs',
}));
writeFileSync(join(pkg, 'consent.css'), css);
for (const f of ['package.json', 'README.md', 'consent.d.ts']) copyFileSync(join(root, 'web', f), join(pkg, f));
cpSync(out, join(pkg, 'dist'), { recursive: true });
console.log('web: build/web/dist and build/web/package are ready');
