// A site that knows its visitor (a signed-in account) can record choices under
// the account id instead of the browser's random id. An account id can be
// guessed, so consentd accepts a grant for it only with a subject token: a
// short-lived JWS signed by the site's backend (DESIGN.md "Subjects and
// trust"). The banner does not verify the token — the server does — it only
// reads the account id from it and sends it along with each decision.
//
// The token is kept in memory only (here and in the outbox), never in storage:
// it is a bearer credential for the account. A decision still waiting after a
// reload is sent without one, unless the page has called identify() again
// before it goes: a refusal or withdrawal needs none and is recorded; a grant
// is refused (subject.token_required), and the page falls back and asks again
// (refusal.js, the "rejected" event).

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

  /**
   * The server would not take this token (expired, not signed by the site): it is not sent again. The account
   * id stays: later grants for it are refused until the page calls identify() with a fresh token, while
   * refusals and withdrawals, which need none, still reach the server.
   */
  forget(token) {
    if (this.current && this.current.token === token) this.current = { sub: this.current.sub, token: undefined };
  }
}
