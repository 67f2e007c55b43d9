// Starts the banner's wasm module (the core's rules, compiled from the same C++
// as consentd). The Emscripten glue is bundled into consent.js; the .wasm file
// beside it is streamed and compiled while the notice is being fetched.
import createConsentBannerModule from 'consent-banner-glue';
import { loadConsentCore } from '../../wasm/js/consent_core.js';

export function loadCore(base) {
  return loadConsentCore({
    createModule: createConsentBannerModule,
    locateFile: (path) => base + path,
  });
}
