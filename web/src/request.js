// What a click means as a decision request, from the view the core drew. The
// request is only a statement of what the visitor chose; the core (here in
// wasm, and again at the server) checks it and turns it into a record.
import { randomId } from './storage.js';

function uaClass(ua) {
  if (/bot|crawl|spider|slurp/i.test(ua)) return 'bot';
  if (/ipad|tablet/i.test(ua)) return 'tablet';
  if (/mobi|android|iphone/i.test(ua)) return 'mobile';
  return 'desktop';
}

/**
 * action: 'accept' | 'reject' | 'save' (choices: {purpose: bool} from the switches).
 * meta: {notice_id, notice_version, hash}; allowed(p): whether p is allowed now
 * (a save that only switches granted purposes off is a withdrawal).
 */
export function buildRequest({ win, view, meta, subject, gpc, allowed, action, choices }) {
  const request = {
    decision_id: randomId(),
    subject_id: subject,
    notice_id: meta.notice_id,
    notice_version: meta.notice_version,
    notice_hash: meta.hash,
    language: view.language,
    client_time: Date.now(),
    context: { ua_class: uaClass(win.navigator.userAgent || '') },
  };
  const origin = win.location.origin;
  if (/^https?:\/\//.test(origin)) request.context.origin = origin;
  const choosable = view.purposes.filter((p) => p.toggleable).map((p) => p.id);
  if (gpc) {
    // Under GPC every decision is recorded as method "gpc"; the purposes the
    // signal locks (the view says which) cannot be chosen at all.
    request.method = 'gpc';
    const all = {};
    for (const id of choosable) all[id] = action === 'accept';
    request.choices = action === 'save' ? choices : all;
    return request;
  }
  if (action === 'accept') request.method = 'accept_all';
  else if (action === 'reject') request.method = 'reject_all';
  else {
    const turnedOff = choosable.filter((id) => allowed(id) && choices[id] === false);
    const turnedOn = choosable.filter((id) => !allowed(id) && choices[id] === true);
    if (turnedOff.length && !turnedOn.length) {
      request.method = 'withdraw';
      request.purposes = turnedOff;
    } else {
      request.method = 'custom';
      request.choices = choices;
    }
  }
  return request;
}
