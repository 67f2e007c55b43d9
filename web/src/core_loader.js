// Starts the banner's wasm module (the core's rules, compiled from the same C++
// as consentd). Its Emscripten glue (consent-banner.js) and the module
// (consent-banner.wasm) sit beside consent.js and are fetched side by side,
// only when the core is needed; the module compiles while it streams.
import { loadConsentCore } from '../../wasm/js/consent_core.js';

function loadScript(doc, src) {
  return new Promise((resolve, reject) => {
    const script = doc.createElement('script');
    script.src = src;
    script.async = true;
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
  const wasm = win.fetch(base + 'consent-banner.wasm', { credentials: 'same-origin' });
  let fail;
  const failed = new Promise((resolve, reject) => { fail = reject; });
  const core = loadScript(win.document, base + 'consent-banner.js').then(() => loadConsentCore({
    createModule: win.createConsentBannerModule,
    // The glue hands its imports over and waits for the instance we make.
    instantiateWasm(imports, receive) {
      instantiate(wasm, imports).then((r) => receive(r.instance, r.module), fail);
      return {};
    },
  }));
  // A module that fails to instantiate never settles the glue's promise: fail here instead.
  wasm.catch(fail);
  return Promise.race([core, failed]);
}
