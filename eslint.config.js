// ESLint for the project's JavaScript (scripts/lint.sh runs it in the test
// command). ESLint's recommended rules everywhere; the blocks below only say
// where each file runs (browser or node, module or script), so that no-undef
// knows which globals exist.
'use strict';

const js = require('@eslint/js');
const globals = require('globals');

module.exports = [
  { ignores: ['build/**', 'node_modules/**', 'tests/vectors/**'] },
  js.configs.recommended,
  {
    rules: {
      // An unused catch binding or a leading-underscore argument is deliberate.
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // The banner's sources: ES modules for the browser, bundled by esbuild.
  {
    files: ['web/src/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
  // The build script and the package's entry point: node ES modules.
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  // Plain scripts that pages load with <script>: the demo shop's, the benchmark's, a test page's.
  {
    files: ['demo/site/**/*.js', 'bench/banner/site/**/*.js', 'tests/web/pages/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  // node programs (CommonJS): the demo's servers, the benchmarks, the tests, tools, this file.
  {
    files: ['demo/*.js', 'bench/**/*.js', 'tests/**/*.js', 'web/tools/**/*.js', 'scripts/**/*.js', 'clients/**/*.js', '*.js'],
    ignores: ['bench/banner/site/**', 'tests/web/pages/**'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  // The browser tests hand functions to page.evaluate(): their bodies run in the page,
  // where the banner is the global Consent.
  {
    files: ['tests/web/**/*.js', 'tests/demo/**/*.js', 'bench/banner/run.js'],
    ignores: ['tests/web/pages/**'],
    languageOptions: { globals: { ...globals.node, ...globals.browser, Consent: 'readonly' } },
  },
  // The wasm core's JS API: a UMD wrapper, CommonJS in node and a plain script in the page.
  {
    files: ['wasm/js/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, ...globals.commonjs } },
  },
];
