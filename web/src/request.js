// A decision request: what the core said a click records (banner.click in the
// browser, or the `clicks` of consentd's first-visit answer) plus who, which
// notice, which language and when. The core checks it again (decision.make,
// here and at the server) before anything is recorded.
import { randomId } from './storage.js';

function uaClass(ua) {
  if (/bot|crawl|spider|slurp/i.test(ua)) return 'bot';
  if (/ipad|tablet/i.test(ua)) return 'tablet';
  if (/mobi|android|iphone/i.test(ua)) return 'mobile';
  return 'desktop';
}

/**
 * record: {method, choices?, purposes?} from the core.
 * meta: {notice_id, notice_version, hash}; language: the one shown.
 */
export function buildRequest({ win, record, meta, subject, language }) {
  return Object.assign({
    decision_id: randomId(),
    subject_id: subject,
    notice_id: meta.notice_id,
    notice_version: meta.notice_version,
    notice_hash: meta.hash,
    language,
    client_time: Date.now(),
    context: { ua_class: uaClass(win.navigator.userAgent || '') },
  }, record);   // no context.origin: consentd records the Origin header the browser sent (issue #10 item 7)
}
