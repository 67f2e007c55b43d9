// The consent core as wasm for the Node mirror: consent-mirror.{js,wasm}, the
// core's C boundary built by Emscripten from clients/core_shared (the very
// file Python's libconsent_core_c.so is built from), apart from the banner's
// module. It gives the JSON API (consent_call, consent_free) and the core's
// StateTable (consent_table_*): the mirror keeps its states there and asks it
// every question, so its answers and its acknowledgements are the core's.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { CoreTable } = require('./core_table.js');

/** dir holds consent-mirror.js and consent-mirror.wasm (default: $CONSENT_CORE_WASM_DIR, else beside this file). */
async function loadWasmCore(dir = process.env.CONSENT_CORE_WASM_DIR || __dirname) {
  const factory = require(path.resolve(dir, 'consent-mirror.js'));
  // Node 20's fetch trips Emscripten 3.1.6's loader: hand it the bytes (TOOLCHAIN.md).
  const m = await factory({ wasmBinary: fs.readFileSync(path.resolve(dir, 'consent-mirror.wasm')) });
  const strings = new CString(m);
  /** The envelope text of one call: {"ok":true,"value":…} or {"ok":false,"error":{…}}. */
  const callText = (operation, inputJson) => {
    const opPtr = strings.copy(operation);
    const inPtr = strings.copy(inputJson);
    let outPtr = 0;
    try {
      outPtr = m._consent_call(opPtr, inPtr);
      if (!outPtr) throw new Error('the core could not allocate its answer');
      return m.UTF8ToString(outPtr);
    } finally {
      m._free(opPtr);
      m._free(inPtr);
      if (outPtr) m._consent_free(outPtr);
    }
  };
  const call = (operation, value) => {
    const envelope = JSON.parse(callText(operation, JSON.stringify(value)));
    if (!envelope.ok) throw coreError(envelope.error);
    return envelope.value;
  };
  const reasons = [];
  for (let ptr; (ptr = m._consent_reason_name(reasons.length)) !== 0;) reasons.push(m.UTF8ToString(ptr));
  const core = {
    callText,
    call,
    /** A new, empty state table (the mirror's memory) in the core; free() it when done. */
    table: () => new CoreTable(m, strings, reasons, coreError),
    /** Bytes the core's allocator has taken so far (its heap's top; the states live there, not in the JS heap). */
    heapBytes: () => m._sbrk(0),
  };
  return core;
}

function coreError(error) {
  const e = new Error(`${error.code}: ${error.message}`);
  e.code = error.code;
  return e;
}

// NUL-terminated UTF-8 copies of JS strings in the module's memory.
class CString {
  constructor(m) { this._m = m; }

  /** A malloc'd copy, for the caller to _free. */
  copy(text) {
    const m = this._m;
    const size = m.lengthBytesUTF8(text) + 1;
    const ptr = m._malloc(size);
    if (!ptr) throw new Error('the core could not allocate its input');
    m.stringToUTF8(text, ptr, size);
    return ptr;
  }

  /**
   * Writes text at ptr (capacity bytes there), NUL-terminated; false when it
   * does not fit. ASCII byte by byte: a check's strings are short ids, and
   * this costs less than an encoder's view of the heap.
   */
  writeAt(text, ptr, capacity) {
    const heap = this._m.HEAPU8;  // read each time: memory growth replaces the view
    const n = text.length;
    if (n >= capacity) return false;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) {
        if (this._m.lengthBytesUTF8(text) >= capacity) return false;
        this._m.stringToUTF8(text, ptr, capacity);
        return true;
      }
      heap[ptr + i] = c;
    }
    heap[ptr + n] = 0;
    return true;
  }
}

module.exports = { loadWasmCore };
