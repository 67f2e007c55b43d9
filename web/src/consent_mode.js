// Google Consent Mode v2. Defaults ("denied" for every type) are pushed the
// moment consent.js runs, before any gated tag can; after each decision, and
// for a returning visitor once the core has loaded, an update carries the
// core's own mapping of purposes to consent types.

const TYPES = ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage',
  'functionality_storage', 'personalization_storage', 'security_storage'];

function gtagOf(win) {
  win.dataLayer = win.dataLayer || [];
  if (typeof win.gtag === 'function') return win.gtag;
  // The same shape as Google's snippet: gtag.js reads Arguments objects.
  return function gtag() { win.dataLayer.push(arguments); };
}

export function pushDefaults(win) {
  const denied = {};
  for (const t of TYPES) denied[t] = 'denied';
  denied.wait_for_update = 500;
  gtagOf(win)('consent', 'default', denied);
}

/** states: {consent_type: "granted"|"denied"} from the core's consent_mode.state. */
export function pushUpdate(win, states) {
  gtagOf(win)('consent', 'update', Object.assign({}, states));
}
