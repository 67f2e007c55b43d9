// What the site owner wrote on the one script tag. Everything else comes from
// the notice the server publishes, so a site has nothing else to configure.
//
//   <script src=".../consent.<hash>.js" integrity="sha384-…" data-site="shop" data-server="https://consent.example" async></script>
//
// Optional: data-lang (force a language), data-notice (a static copy of a
// published notice, used when the server cannot be reached on a first visit).
// A bundled site hands the same settings to start() (index.js) instead.

function scriptElement(doc) {
  // document.currentScript is set while an async classic script first runs.
  return doc.currentScript || doc.querySelector('script[data-site][src*="consent"]');
}

/** Checks the settings, whichever way they came; base is where the banner's other files are served. */
export function checkConfig({ site, server, base, lang, staticNotice }) {
  site = site || '';
  server = (server || '').replace(/\/+$/, '');
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(site)) throw new Error('consent.js: data-site is missing or not a site id');
  if (!/^https?:\/\//.test(server)) throw new Error('consent.js: data-server must be the http(s) address of consentd');
  return { site, server, base, lang: lang || '', staticNotice: staticNotice || '' };
}

export function readConfig(doc) {
  const tag = scriptElement(doc);
  if (!tag) throw new Error('consent.js: the script tag with data-site was not found');
  const src = tag.src;
  return checkConfig({
    site: tag.getAttribute('data-site'),
    server: tag.getAttribute('data-server'),
    // The wasm and the stylesheet sit beside consent.js.
    base: src.slice(0, src.lastIndexOf('/') + 1),
    lang: tag.getAttribute('data-lang'),
    staticNotice: tag.getAttribute('data-notice'),
  });
}
