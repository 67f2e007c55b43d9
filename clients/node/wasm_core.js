// The consent core as wasm, through its two exports consent_call and
// consent_free: the module the banner's pages load (build/wasm/wasm/
// consent-core.{js,wasm}). The mirror calls it with JSON text it has already
// put together, so a check does not re-serialize the notice each time.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** dir holds consent-core.js and consent-core.wasm (default: $CONSENT_CORE_WASM_DIR, else beside this file). */
async function loadWasmCore(dir = process.env.CONSENT_CORE_WASM_DIR || __dirname) {
  const factory = require(path.resolve(dir, 'consent-core.js'));
  // Node 20's fetch trips Emscripten 3.1.6's loader: hand it the bytes (TOOLCHAIN.md).
  const m = await factory({ wasmBinary: fs.readFileSync(path.resolve(dir, 'consent-core.wasm')) });
  const put = (text) => {
    const size = m.lengthBytesUTF8(text) + 1;
    const ptr = m._malloc(size);
    if (!ptr) throw new Error('the core could not allocate its input');
    m.stringToUTF8(text, ptr, size);
    return ptr;
  };
  const ops = new Map();
  const opPtr = (operation) => {
    let ptr = ops.get(operation);
    if (!ptr) ops.set(operation, (ptr = put(operation)));  // a handful of names, kept for the process
    return ptr;
  };
  /** The envelope text of one call: {"ok":true,"value":…} or {"ok":false,"error":{…}}. */
  const callText = (operation, inputJson) => {
    const inPtr = put(inputJson);
    let outPtr = 0;
    try {
      outPtr = m._consent_call(opPtr(operation), inPtr);
      if (!outPtr) throw new Error('the core could not allocate its answer');
      return m.UTF8ToString(outPtr);
    } finally {
      m._free(inPtr);
      if (outPtr) m._consent_free(outPtr);
    }
  };
  const call = (operation, value) => {
    const envelope = JSON.parse(callText(operation, JSON.stringify(value)));
    if (!envelope.ok) {
      const e = new Error(`${envelope.error.code}: ${envelope.error.message}`);
      e.code = envelope.error.code;
      throw e;
    }
    return envelope.value;
  };
  return { callText, call };
}

module.exports = { loadWasmCore };
