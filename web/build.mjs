// Builds the files a site serves, into build/web/dist:
//   consent.js          the banner (our code + the core's JS API), minified
//   consent.css         its styles, minified
//   consent-banner.{js,wasm} the core's banner operations and their Emscripten glue,
//                       fetched by consent.js only when the core is needed
//   consent-core.{js,wasm}, consent_core.js  the full core, for pages that verify receipts
//   consent.d.ts        the types of window.Consent
// Needs the wasm build first (scripts/build.sh wasm).
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wasmDir = join(root, 'build/wasm/wasm');
const out = join(root, 'build/web/dist');

for (const f of ['consent-banner.js', 'consent-banner.wasm', 'consent-core.js', 'consent-core.wasm']) {
  if (!existsSync(join(wasmDir, f))) {
    console.error(`web/build.mjs: ${f} is missing: run scripts/build.sh wasm first`);
    process.exit(1);
  }
}
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(root, 'web/src/main.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2019',
  legalComments: 'none',
  // consent_core.js falls back to require() in node; the banner always passes its module.
  external: ['./consent-core.js'],
  outfile: join(out, 'consent.js'),
  logLevel: 'warning',
});
await build({
  entryPoints: [join(root, 'web/consent.css')],
  minify: true,
  outfile: join(out, 'consent.css'),
  logLevel: 'warning',
});
for (const f of ['consent-banner.js', 'consent-banner.wasm', 'consent-core.js', 'consent-core.wasm'])
  copyFileSync(join(wasmDir, f), join(out, f));
copyFileSync(join(root, 'wasm/js/consent_core.js'), join(out, 'consent_core.js'));
copyFileSync(join(root, 'web/consent.d.ts'), join(out, 'consent.d.ts'));
console.log('web: build/web/dist is ready');
