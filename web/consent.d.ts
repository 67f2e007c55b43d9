// window.Consent, as consent.js installs it.

/** What consent:change listeners receive (and Consent.on('change', …)). */
export interface ConsentChange {
  /** Every purpose of the notice and whether it is allowed now. */
  allowed: Record<string, boolean>;
  /** Purposes allowed now that were not before. */
  granted: string[];
  /** Purposes no longer allowed: their cookies were deleted, their frames emptied. */
  revoked: string[];
  /** The decision's method ("accept_all", "reject_all", "custom", "withdraw", "gpc"), or "sync" from another tab. */
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
  /** 'change' after every decision, 'ready' with Consent.ready, 'receipt' when the server acknowledged one. Returns an unsubscribe function. */
  on(event: 'change', fn: (change: ConsentChange) => void): () => void;
  on(event: 'ready', fn: (detail: { allowed: Record<string, boolean> }) => void): () => void;
  on(event: 'receipt', fn: (detail: { receipt_id: string; decision_id: string }) => void): () => void;
  /** The server refused a decision for good (e.g. an expired subject token for a grant); it is not retried. */
  on(event: 'rejected', fn: (detail: { decision_id: string; code: string }) => void): () => void;
  /** Opens the choices (second layer). */
  show(): void;
  /** The newest signed receipt held by this browser, or null. */
  receipt(): ConsentReceipt | null;
  /** Every receipt held by this browser, oldest first. */
  receipts(): ConsentReceipt[];
  /** The subject decisions are recorded under: the account id after identify(), else this browser's random id ("b_" + 22 base64url characters). */
  subject(): string;
  /**
   * Records later decisions under a signed-in account: token is a subject token from the
   * site's backend (compact JWS, typ consent-subject+jwt, claims {site, sub, iat, exp}, at
   * most an hour). Returns the account id. identify(null) returns to the browser's id.
   */
  identify(token: string | null): string;
  /** Decisions not yet acknowledged by the server. */
  pending(): number;
  /**
   * Resolves once the banner is running: the wasm core's banner, or on a first visit already the question drawn
   * from consentd's view (nothing is allowed before a decision either way; allowed() asks the core once it is
   * there). Rejects when it cannot run (then nothing gated runs).
   */
  ready: Promise<ConsentApi>;
}

declare global {
  interface Window {
    Consent: ConsentApi;
  }
  interface DocumentEventMap {
    'consent:change': CustomEvent<ConsentChange>;
  }
}
