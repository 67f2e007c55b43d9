// A site that knows its visitor (a signed-in account) can record choices under
// the account id instead of the browser's random id. An account id can be
// guessed, so consentd accepts a grant for it only with a subject token: a
// short-lived JWS signed by the site's backend (DESIGN.md "Subjects and
// trust"). The banner does not verify the token — the server does — it only
// reads the account id from it and sends it along with each decision.

function claimsOf(token) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) throw new Error('Consent.identify: not a compact JWS');
  const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export class Identity {
  constructor(site, store) {
    this.site = site;
    this.store = store;
    this.current = null;   // {sub, token}; in memory only: the site gives it again on each page
  }

  /** Signs in with a token (returns the account id), or signs out with null. */
  identify(token) {
    if (token == null) {
      this.current = null;
      return this.subject();
    }
    const claims = claimsOf(token);
    if (claims.site !== this.site) throw new Error('Consent.identify: the token is for site ' + claims.site);
    if (typeof claims.sub !== 'string' || !/^[A-Za-z0-9_.:@-]{1,128}$/.test(claims.sub))
      throw new Error('Consent.identify: the token names no usable subject');
    this.current = { sub: claims.sub, token };
    return claims.sub;
  }

  /** The subject decisions are recorded under now. */
  subject() { return this.current ? this.current.sub : this.store.subject(); }

  /** The token to send with a decision for this subject, if any. */
  tokenFor(subject) { return this.current && this.current.sub === subject ? this.current.token : undefined; }
}
