// Deleting a purpose's cookies on withdrawal. The notice names them with
// patterns ("_pk_id*"); a cookie may have been set for this host or any parent
// domain, and for the root path or the current one, so every variant is expired.

export function cookieMatches(name, pattern) {
  if (!pattern.endsWith('*')) return name === pattern;
  return name.startsWith(pattern.slice(0, -1));
}

export function cookiePatterns(notice, purposeId) {
  const purpose = (notice.purposes || []).find((p) => p.id === purposeId);
  if (!purpose) return [];
  const out = [];
  for (const s of purpose.services || []) for (const c of s.cookies || []) out.push(c.name);
  return out;
}

function domainVariants(host) {
  const parts = host.split('.');
  const out = [''];
  for (let i = 0; i < parts.length - 1; i++) out.push('; domain=' + parts.slice(i).join('.'));
  return out;
}

function pathVariants(pathname) {
  const out = ['/'];
  const segments = pathname.split('/').filter(Boolean);
  let path = '';
  for (const s of segments) { path += '/' + s; out.push(path); }
  return out;
}

/** Expires every cookie visible to the page whose name matches one of the patterns; returns the names. */
export function deleteCookies(doc, patterns) {
  if (!patterns.length) return [];
  const names = doc.cookie.split(';').map((c) => c.split('=')[0].trim()).filter(Boolean);
  const doomed = names.filter((n) => patterns.some((p) => cookieMatches(n, p)));
  const loc = doc.location;
  for (const name of doomed)
    for (const domain of domainVariants(loc.hostname))
      for (const path of pathVariants(loc.pathname))
        doc.cookie = name + '=; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=0; path=' + path + domain;
  return doomed;
}
