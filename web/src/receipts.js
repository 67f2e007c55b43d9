// The signed receipts this browser keeps for its visitor (Consent.receipts(),
// the download in the second layer), and the check that an answer really is
// the receipt of the decision sent. consentd keeps every receipt and exports
// them all (GET …/export); the browser keeps a bounded copy.

import { isBrowserSubjectId } from './storage.js';

/** The newest receipts kept, whatever they name. */
export const RECEIPT_LIMIT = 20;

/** The payload of a compact JWS (RFC 7515 §7.1), or null when it is not one. */
export function payloadOf(jws) {
  const parts = typeof jws === 'string' ? jws.split('.') : [];
  if (parts.length !== 3) return null;
  try {
    const text = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const payload = JSON.parse(new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0))));
    return payload && typeof payload === 'object' ? payload : null;
  } catch (e) {
    return null;
  }
}

/**
 * What an answer to request is: 'ok' when it is a receipt naming the request's
 * subject and decision (and the receipt id it is filed under); 'mismatch' when
 * it is a receipt of something else (another subject, another decision: never
 * stored, the decision counts as refused); 'unreadable' when it is no receipt
 * at all (a captive portal's page, a proxy's): tried again later.
 * The signature is not verified here (the wasm banner core has no verifier);
 * a page that wants to checks it against the JWKS (consent-core.wasm).
 */
export function checkReceipt(request, body) {
  const payload = body && typeof body === 'object' && typeof body.receipt_id === 'string' ? payloadOf(body.receipt) : null;
  if (!payload) return 'unreadable';
  // An account id is never stored in plain: the receipt signs its keyed
  // pseudonym (p_…, docs/erasure.md), which the answer names beside it.
  const subject = isBrowserSubjectId(request.subject_id) ? request.subject_id
    : typeof body.subject === 'string' && /^p_[A-Za-z0-9_-]{22}$/.test(body.subject) ? body.subject : request.subject_id;
  const same = payload.subject === subject && payload.decision_id === request.decision_id &&
    payload.receipt_id === body.receipt_id;
  return same ? 'ok' : 'mismatch';
}

function purposesNamed(entry) {
  const payload = payloadOf(entry.receipt);
  return payload && Array.isArray(payload.purposes) ? payload.purposes.map((p) => p && p.id) : [];
}

/**
 * receipts with entry added (once), bounded: the newest RECEIPT_LIMIT, plus for
 * each purpose the newest receipt that names it — so the receipt behind every
 * purpose's current state stays in the visitor's hands, however many later
 * decisions touched other purposes only. At most RECEIPT_LIMIT + the number of
 * purposes named, whatever the number of decisions.
 */
export function keepReceipt(receipts, entry) {
  const all = receipts.some((r) => r.receipt_id === entry.receipt_id) ? receipts.slice() : receipts.concat([entry]);
  if (all.length <= RECEIPT_LIMIT) return all;
  const keep = new Set(all.slice(-RECEIPT_LIMIT));
  const covered = new Set();
  for (let i = all.length - 1; i >= 0; i--) {
    for (const id of purposesNamed(all[i])) {
      if (covered.has(id)) continue;
      covered.add(id);
      keep.add(all[i]);
    }
  }
  return all.filter((r) => keep.has(r));
}
