// Starts the banner's wasm module (the core's rules, compiled from the same C++
// as consentd): consent-banner.<hash>.wasm, beside consent.js, fetched only
// when the core is needed and checked against the integrity hash the build
// wrote into consent.js (assets.js). It is linked without Emscripten's glue:
// its host is wasm/js/banner_module.js, bundled here, so the core is one
// request, not two.
import { loadConsentCore } from '../../wasm/js/consent_core.js';
import { imports, moduleOf } from '../../wasm/js/banner_module.js';
import { ASSETS } from './assets.js';

// crossorigin=anonymous: integrity needs a CORS answer when the files come from
// another origin (a CDN); from the page's own origin it changes nothing.
export function loadScript(doc, src, integrity) {
  return new Promise((resolve, reject) => {
    const script = doc.createElement('script');
    script.src = src;
    script.async = true;
    if (integrity) {
      script.integrity = integrity;
      script.crossOrigin = 'anonymous';
    }
    script.onload = resolve;
    script.onerror = () => reject(new Error('could not load ' + src));
    doc.head.appendChild(script);
  });
}

// Streaming compile needs the server to say application/wasm; otherwise compile from the bytes.
async function instantiate(responsePromise, imports) {
  const response = await responsePromise;
  if (!response.ok) throw new Error('consent-banner.wasm answered ' + response.status);
  if (WebAssembly.instantiateStreaming && /^application\/wasm\b/.test(response.headers.get('Content-Type') || ''))
    return WebAssembly.instantiateStreaming(response, imports);
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
}

export function loadCore(win, base) {
  const module = ASSETS['consent-banner.wasm'];
  // With an integrity the body is checked before the response settles: the
  // module then compiles from the whole download rather than while it streams.
  const wasm = win.fetch(base + module.file, module.integrity
    ? { credentials: 'same-origin', integrity: module.integrity } : { credentials: 'same-origin' });
  return loadConsentCore({ createModule: () => instantiate(wasm, imports()).then((r) => moduleOf(r.instance)) });
}
