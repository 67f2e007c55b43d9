// consent-banner.wasm without Emscripten's JS glue (issue #14): the module is linked standalone
// (wasm/CMakeLists.txt), so all it asks of its host is a note when its memory grows and a way to stop,
// and this file is the whole host. moduleOf() gives the instance the face consent_core.js's Core calls
// (_consent_call, _malloc, _free, _consent_free and the three UTF-8 helpers), as Emscripten's module
// object would; the glue it replaces was 12 KB (3.9 KB gzip) and one request more.
// Works as a CommonJS module (node, bundlers: web/src/core_loader.js) and as a plain script.
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.ConsentBannerModule = factory();
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  /** What the module imports: memory growth needs no note here (the views below are made per call). */
  function imports() {
    return {
      env: { emscripten_notify_memory_growth() {} },
      wasi_snapshot_preview1: {
        proc_exit(code) { throw new Error('consent-banner.wasm stopped (' + code + ')'); },
      },
    };
  }

  /** The instance as consent_core.js's Core uses a module; runs its static constructors once. */
  function moduleOf(instance) {
    const e = instance.exports;
    e._initialize();
    // A fresh view each time: a grown memory detaches the old buffer.
    const heap = () => new Uint8Array(e.memory.buffer);
    return {
      _consent_call: e.consent_call,
      _consent_free: e.consent_free,
      _malloc: e.malloc,
      _free: e.free,
      get HEAPU8() { return heap(); },
      lengthBytesUTF8: (text) => encoder.encode(text).length,
      // As Emscripten's: at most size - 1 bytes, then a NUL.
      stringToUTF8(text, ptr, size) {
        const bytes = encoder.encode(text).subarray(0, Math.max(0, size - 1));
        const h = heap();
        h.set(bytes, ptr);
        h[ptr + bytes.length] = 0;
      },
      UTF8ToString(ptr) {
        if (!ptr) return '';
        const h = heap();
        let end = ptr;
        while (h[end]) end++;
        return decoder.decode(h.subarray(ptr, end));
      },
    };
  }

  return { imports, moduleOf };
});
