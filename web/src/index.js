// The package's entry for a site's own bundle (import { start } from
// '@consent-sdk/banner'). Importing it does nothing; start() does what the
// consent.js tag does, with its settings as arguments. The wasm core and the
// stylesheet are still fetched from `assets`, the folder where the
// site serves the package's dist/ files (their hashed names are built in).
import { pushDefaults } from './consent_mode.js';
import { checkConfig } from './config.js';
import { boot } from './boot.js';

export function start(options) {
  const o = options || {};
  const assets = String(o.assets || '');
  if (!assets) throw new Error('consent: start() needs assets, the URL of the folder serving dist/');
  const win = window;
  pushDefaults(win);
  const base = new URL(assets.endsWith('/') ? assets : assets + '/', win.location.href).href;
  const config = checkConfig({ site: o.site, server: o.server, base, lang: o.lang, staticNotice: o.notice });
  return boot(win, config, { stylesheet: o.stylesheet });
}
