// Checks a held receipt in the browser with the wasm core (the same C++ that
// consentd and consentctl run), trusting nothing but consentd's public keys:
//   signed     the compact JWS verifies (Ed25519) under a key of consentd's JWKS
//   yours      its payload names this browser's subject id and this decision
//   logged     the checkpoint handed out with it is signed, and the inclusion proof
//              puts exactly these bytes (RFC 9162 leaf = the JWS text) in that tree
//   still      today's signed checkpoint: the log only grew since (consistency
//              proof) and the receipt is still in it (a fresh inclusion proof)
// consentd's open routes are read through the shop's /api/log/* (consentd
// sends no CORS header on them); the shop cannot forge them without the keys.
'use strict';
(function () {
  let corePromise = null;
  // The module's file is content-hashed: its tag says where it is (data-wasm).
  const wasmUrl = () => document.querySelector('script[data-wasm]').getAttribute('data-wasm');
  const core = () => corePromise || (corePromise = window.ConsentCore.loadConsentCore({
    locateFile: (p) => (p.endsWith('.wasm') ? wasmUrl() : '/dist/' + p),
  }));

  async function get(url, as) {
    const res = await fetch(url, { cache: 'no-store' });
    if (!res.ok) throw new Error(url + ': HTTP ' + res.status);
    return as === 'text' ? res.text() : res.json();
  }

  /** The JWS payload as JSON, without checking anything (for display; the checks say what holds). */
  function decodePayload(jws) {
    try {
      const part = String(jws).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const bytes = Uint8Array.from(atob(part + '='.repeat((4 - (part.length % 4)) % 4)), (c) => c.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      return null;
    }
  }

  /** The trust anchor: consentd's keys, and its current checkpoint verified with them. */
  async function context() {
    const [c, config, jwks] = await Promise.all([core(), get('/api/config'), get('/api/log/jwks')]);
    const res = await fetch('/api/log/checkpoint', { cache: 'no-store' });
    // Before the first receipt consentd has no checkpoint (404, log.empty).
    if (res.status === 404) return { core: c, origin: config.log_origin, jwks, note: '', current: { valid: false, empty: true, reason: 'the log is still empty' } };
    if (!res.ok) throw new Error('/api/log/checkpoint: HTTP ' + res.status);
    const note = await res.text();
    return { core: c, origin: config.log_origin, jwks, note, current: c.verifyCheckpoint(note, config.log_origin, jwks) };
  }

  // One check: a thrown ConsentError (say, a proof hash that is not base64) is a failed check, not a broken page.
  async function step(id, label, run) {
    try {
      const [ok, detail] = await run();
      return { id, label, ok: ok === true, detail };
    } catch (e) {
      return { id, label, ok: false, detail: e.message };
    }
  }

  function inclusion(ctx, held, size, root, proof) {
    return ctx.core.verifyInclusion({ leaf_index: held.log_index, tree_size: size, leaf_hash: ctx.core.merkleLeafHash(held.receipt), proof, root });
  }

  async function stillInLog(ctx, held, then) {
    const now = ctx.current;
    if (!now.valid) return [false, 'today\'s checkpoint does not verify: ' + now.reason];
    if (then && then.valid) {
      if (then.tree_size > now.tree_size) return [false, 'today\'s log is smaller than when the receipt was issued'];
      const grew = then.tree_size === now.tree_size ? { valid: then.root === now.root }
        : ctx.core.verifyConsistency({ size1: then.tree_size, size2: now.tree_size, root1: then.root, root2: now.root,
          proof: (await get('/api/log/consistency?from=' + then.tree_size + '&to=' + now.tree_size)).proof });
      if (!grew.valid) return [false, 'the log was rewritten since (consistency proof fails: ' + (grew.reason || 'roots differ') + ')'];
    }
    const fresh = await get('/api/log/inclusion?leaf=' + held.log_index + '&size=' + now.tree_size);
    const inc = inclusion(ctx, held, now.tree_size, now.root, fresh.proof);
    return [inc.valid, inc.valid ? 'in today\'s tree of ' + now.tree_size + (then ? '; the log only grew since' : '')
      : 'not in today\'s tree: ' + inc.reason];
  }

  /** Every check of one held receipt ({receipt, receipt_id, decision_id, log_index, checkpoint, tree_size, inclusion_proof}). */
  async function checkReceipt(ctx, held, subject) {
    const checks = [];
    let payload = null;
    checks.push(await step('signed', 'Signed by consentd', () => {
      const v = ctx.core.verifyReceipt(held.receipt, ctx.jwks);
      payload = v.valid ? v.payload : null;
      return [v.valid, v.valid ? 'Ed25519, key ' + v.kid : (v.message || v.reason)];
    }));
    checks.push(await step('yours', subject ? 'Names this browser' : 'Matches its file', () => {
      if (!payload) return [false, 'no signed payload to compare'];
      const same = payload.receipt_id === held.receipt_id && payload.log_index === held.log_index &&
        (!held.decision_id || payload.decision_id === held.decision_id) && (!subject || payload.subject === subject);
      return [same, same ? 'subject ' + payload.subject : 'the signed payload names another subject, decision or place in the log'];
    }));
    let then = null;
    checks.push(await step('logged', 'In the log when issued', () => {
      if (!held.checkpoint) return [false, 'no checkpoint came with this receipt'];
      then = ctx.core.verifyCheckpoint(held.checkpoint, ctx.origin, ctx.jwks);
      if (!then.valid) return [false, 'its checkpoint does not verify: ' + (then.message || then.reason)];
      if (then.tree_size !== held.tree_size) return [false, 'the checkpoint is for another tree size'];
      const inc = inclusion(ctx, held, then.tree_size, then.root, held.inclusion_proof || []);
      return [inc.valid, inc.valid ? 'leaf ' + held.log_index + ' of ' + then.tree_size + ', signed checkpoint' : 'inclusion proof fails: ' + inc.reason];
    }));
    checks.push(await step('still', 'Still in today\'s log', () => stillInLog(ctx, held, then)));
    return { checks, payload: payload || decodePayload(held.receipt), verified: payload !== null };
  }

  window.VeloVerify = { core, context, checkReceipt, decodePayload };
})();
