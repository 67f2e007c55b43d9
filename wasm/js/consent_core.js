// The JS face of the wasm core: one async initializer, typed methods, and C
// errors turned into ConsentError in exactly one place (call()).
// Works as a CommonJS module (node, bundlers) and as a plain browser script
// (globalThis.ConsentCore), next to consent-core.js and consent-core.wasm.
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.ConsentCore = factory();
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  /** An error reported by the core: a stable dotted code, a message, a JSON pointer. */
  class ConsentError extends Error {
    constructor(error) {
      super(error.message);
      this.name = 'ConsentError';
      this.code = error.code;
      this.path = error.path || '';
    }
  }

  class Core {
    constructor(module) {
      this._m = module;
    }

    /** Calls one core operation with a JSON-serializable input; returns its value or throws ConsentError. */
    call(operation, input) {
      const m = this._m;
      const opPtr = this._string(operation);
      const inPtr = this._string(JSON.stringify(input));
      let outPtr = 0;
      try {
        outPtr = m._consent_call(opPtr, inPtr);
        if (!outPtr) throw new ConsentError({ code: 'api.out_of_memory', message: 'the core could not allocate its answer' });
        const envelope = JSON.parse(m.UTF8ToString(outPtr));
        if (!envelope.ok) throw new ConsentError(envelope.error);
        return envelope.value;
      } finally {
        m._free(opPtr);
        m._free(inPtr);
        if (outPtr) m._consent_free(outPtr);
      }
    }

    _string(text) {
      const m = this._m;
      const size = m.lengthBytesUTF8(text) + 1;
      const ptr = m._malloc(size);
      if (!ptr) throw new ConsentError({ code: 'api.out_of_memory', message: 'the core could not allocate its input' });
      m.stringToUTF8(text, ptr, size);
      return ptr;
    }

    canonicalize(value) { return this.call('jcs.canonicalize', value); }
    parseNotice(notice) { return this.call('notice.parse', notice); }
    bannerView(args) { return this.call('banner.view', args); }
    /** The view, a verdict per purpose and the Consent Mode states, from one parse of the notice. */
    evaluate(args) { return this.call('banner.evaluate', args); }
    /** What a click records: {method, choices?, purposes?} (click: 'accept' | 'reject' | 'save'). */
    click(args) { return this.call('banner.click', args); }
    makeDecision(notice, request) { return this.call('decision.make', { notice, request }); }
    applyDecision(state, decision, decidedAt, receiptId) {
      const input = { state, decision, decided_at: decidedAt };
      if (receiptId) input.receipt_id = receiptId;
      return this.call('state.apply', input);
    }
    isAllowed(args) { return this.call('policy.is_allowed', args); }
    needsPrompt(args) { return this.call('policy.needs_prompt', args); }
    consentMode(args) { return this.call('consent_mode.state', args); }
    merkleLeafHash(data) { return this.call('merkle.leaf_hash', { data }).hash; }
    verifyInclusion(args) { return this.call('merkle.verify_inclusion', args); }
    verifyConsistency(args) { return this.call('merkle.verify_consistency', args); }
    verifyReceipt(jws, jwks) { return this.call('receipt.verify', { jws, jwks }); }
    verifyCheckpoint(note, origin, jwks) { return this.call('checkpoint.verify', { note, origin, jwks }); }
    /** A whole proof bundle (an export), as consentctl verify checks it; options: {checkpoint, consistency, held}. */
    verifyBundle(bundle, options = {}) { return this.call('bundle.verify', { bundle, ...options }); }
  }

  /**
   * The one async initializer. options are handed to the Emscripten module
   * (e.g. wasmBinary in node, locateFile in the browser); createModule defaults
   * to the global/required consent-core.js factory.
   */
  async function loadConsentCore(options) {
    const opts = Object.assign({}, options);
    let factory = opts.createModule;
    delete opts.createModule;
    if (!factory) {
      factory = typeof createConsentCoreModule === 'function'
        ? createConsentCoreModule // eslint-disable-line no-undef
        : require('./consent-core.js');
    }
    return new Core(await factory(opts));
  }

  return { loadConsentCore, ConsentError };
});
