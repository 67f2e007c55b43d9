// The current notice: from consentd, else the copy kept from the last visit,
// else the site's static copy (data-notice). The browser's HTTP cache
// revalidates with the server's ETag, so an unchanged notice costs a 304.
// Whatever the source, the core parses it again and its hash must match what
// the server said: a notice that does not hash to its claim is not shown.

async function fetchJson(url) {
  const res = await fetch(url, { credentials: 'omit', mode: 'cors' });
  if (!res.ok) throw new Error('consent.js: ' + url + ' answered ' + res.status);
  return res.json();
}

export async function loadNotice(config, store) {
  try {
    const doc = await fetchJson(config.server + '/v1/sites/' + encodeURIComponent(config.site) + '/notice');
    store.set('notice', doc);
    return { doc, source: 'server' };
  } catch (error) {
    const kept = store.get('notice', null);
    if (kept) return { doc: kept, source: 'storage', error };
    if (config.staticNotice) return { doc: await fetchJson(config.staticNotice), source: 'static', error };
    throw error;
  }
}

/** The core's parse of a served notice document; throws when the hash does not match. */
export function checkNotice(core, doc) {
  const parsed = core.parseNotice(doc.notice);
  if (parsed.hash !== doc.hash) throw new Error('consent.js: the notice does not hash to what the server said');
  return {
    notice: parsed.notice,
    hash: parsed.hash,
    lastMaterialVersion: doc.last_material_version || (parsed.notice.material ? parsed.notice.version : 1),
  };
}
