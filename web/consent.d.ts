// window.Consent, as consent.js installs it, and start(), the package's entry for a site's own bundle.

/** What consent:change listeners receive (and Consent.on('change', …)). */
export interface ConsentChange {
  /** Every purpose of the notice and whether it is allowed now. */
  allowed: Record<string, boolean>;
  /** Purposes allowed now that were not before. */
  granted: string[];
  /** Purposes no longer allowed: their cookies were deleted, their frames emptied. */
  revoked: string[];
  /**
   * The decision's method ("accept_all", "reject_all", "custom", "withdraw", "gpc"), "sync" from another tab, or
   * "rejected" when the server refused a decision and the page fell back to what it last acknowledged, or
   * "erased" when the visitor had their records deleted ("Delete my records": no choice holds any more).
   */
  method: string;
}

/** What consent:rejected listeners receive (and Consent.on('rejected', …)). */
export interface ConsentRejection {
  decision_id: string;
  /**
   * consentd's error code (e.g. "subject.token_required", "subject.token_expired"), "receipt.mismatch" when the
   * answer was the receipt of another subject or decision, or "http.<status>" for an answer without one.
   */
  code: string;
  /** The refused decision's method. */
  method: string;
}

/** A signed receipt as consentd returned it. */
export interface ConsentReceipt {
  receipt_id: string;
  /** Compact JWS (EdDSA, typ consent-receipt+jws); verify with /.well-known/jwks.json. */
  receipt: string;
  decision_id: string;
  method: string;
  log_index: number;
  server_time: number;
  replayed: boolean;
  checkpoint: string;
  tree_size: number;
  inclusion_proof: string[];
}

export interface ConsentApi {
  /** Whether the purpose may be used now. False until the core has loaded (fail closed). */
  allowed(purpose: string): boolean;
  /**
   * Runs fn once, the first moment every purpose named ("analytics", "analytics marketing" or an array) is
   * allowed on this page: at once if it already is, else in the task that allows it (the click's), before the
   * gated elements. Returns a function that cancels it if it has not run. A withdrawal cannot undo what fn did:
   * listen to 'change' for that. Before consent.js has run, queue the same call:
   * (window.ConsentQueue = window.ConsentQueue || []).push(['whenAllowed', purposes, fn]).
   */
  whenAllowed(purposes: string | string[], fn: () => void): () => void;
  /** 'change' after every decision, 'ready' with Consent.ready, 'receipt' when the server acknowledged one. Returns an unsubscribe function. */
  on(event: 'change', fn: (change: ConsentChange) => void): () => void;
  on(event: 'ready', fn: (detail: { allowed: Record<string, boolean> }) => void): () => void;
  on(event: 'receipt', fn: (detail: { receipt_id: string; decision_id: string }) => void): () => void;
  /**
   * The server refused a decision for good (a 4xx other than 408, 425, 429 and a 404 that is not consentd's own
   * "does not exist"; or an answer naming another subject or decision). It is not retried: the page has fallen back
   * to the state the server last acknowledged (a refusal never makes anything more allowed than it was, so a
   * withdrawal still holds), 'change' has fired with method "rejected", and the visitor sees a short notice
   * (role=status) with the choices.
   */
  on(event: 'rejected', fn: (detail: ConsentRejection) => void): () => void;
  /**
   * 'erased' after "Delete my records": consentd erased the visitor's receipts (erasure_id: its signed erasure
   * receipt) and this browser forgot its id, receipts, queued decisions and choices; 'change' fired with method
   * "erased". The next page is a first visit with a new id.
   */
  on(event: 'erased', fn: (detail: { erasure_id: string }) => void): () => void;
  /** Opens the choices (second layer). */
  show(): void;
  /** The newest signed receipt held by this browser, or null. */
  receipt(): ConsentReceipt | null;
  /**
   * The receipts held by this browser, oldest first: the newest 20, plus the newest naming each purpose (consentd
   * keeps them all: the subject's export).
   */
  receipts(): ConsentReceipt[];
  /** The subject decisions are recorded under: the account id after identify(), else this browser's random id ("b_" + 22 base64url characters). */
  subject(): string;
  /**
   * Records later decisions under a signed-in account: token is a subject token from the
   * site's backend (compact JWS, typ consent-subject+jwt, claims {site, sub, iat, exp}, at
   * most an hour). Returns the account id. identify(null) returns to the browser's id.
   */
  identify(token: string | null): string;
  /** Decisions not yet acknowledged by the server (at most 50 kept; see web/src/outbox_bound.js). */
  pending(): number;
  /**
   * Resolves once the banner is running: the wasm core's banner, or on a first visit already the question drawn
   * from consentd's view (nothing is allowed before a decision either way; allowed() asks the core once it is
   * there). Rejects when it cannot run (then nothing gated runs).
   */
  ready: Promise<ConsentApi>;
}

/** What start() takes: the consent.js tag's data- attributes, plus where the package's dist/ files are served. */
export interface StartOptions {
  /** The site id (data-site). */
  site: string;
  /** consentd's http(s) origin (data-server). */
  server: string;
  /** The URL (absolute or relative to the page) of the folder serving the package's dist/ files: the wasm core, its glue and consent.css are fetched from there by their hashed names. */
  assets: string;
  /** Forces a language (data-lang). */
  lang?: string;
  /** A static copy of the published notice, used when consentd cannot be reached on a first visit (data-notice). */
  notice?: string;
  /** false: the site bundles '@consent-sdk/banner/consent.css' itself, so no <link> is added. */
  stylesheet?: boolean;
}

/**
 * Starts the banner as the consent.js tag does (call it once, as early as possible): Consent Mode defaults are
 * pushed, window.Consent is installed and returned.
 */
export function start(options: StartOptions): ConsentApi;

declare global {
  interface Window {
    Consent: ConsentApi;
    /** Calls queued before consent.js ran; once it has, push() carries each out at once. */
    ConsentQueue?: { push(...commands: ['whenAllowed', string | string[], () => void][]): number };
  }
  interface DocumentEventMap {
    'consent:change': CustomEvent<ConsentChange>;
    'consent:rejected': CustomEvent<ConsentRejection>;
  }
}
