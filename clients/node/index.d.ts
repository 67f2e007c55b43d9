// Types of @consent-sdk/client (clients/node).

export interface Verdict { allowed: boolean; reason: string; receipt_id: string | null }

export declare class ConsentError extends Error {
  /** consentd's registered code (docs/errors.md), or client.timeout / client.unreachable / client.bad_answer. */
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfter: number | null;
  readonly path: string;
}

export interface ClientOptions { timeoutMs?: number; retries?: number; backoffMs?: number; maxBackoffMs?: number }

export interface StreamEvent { type: 'receipt' | 'notice' | 'heartbeat' | string; id: number | null; data: any }

export interface SnapshotPage {
  event_id: number;
  notice: { version: number; hash: string; last_material_version: number; notice: object };
  subjects: Array<{ subject: string; last_event_id: number; state: Record<string, object> }>;
  next: { at: number; after: string } | null;
}

export declare class ConsentClient {
  constructor(baseUrl: string, site: string, apiKey: string, options?: ClientOptions);
  readonly site: string;
  check(subject: string, purpose: string): Promise<Verdict>;
  checkMany(pairs: Array<[string, string]>): Promise<Verdict[]>;
  withdraw(subject: string, options?: { purposes?: string[]; decisionId?: string }): Promise<any>;
  /** erases the subject's receipts (reason: a word such as subject_request); the erasure receipt answer */
  erase(subject: string, reason?: string): Promise<any>;
  export(subject: string): Promise<any>;
  publishNotice(notice: object): Promise<{ version: number; hash: string }>;
  acknowledge(backend: string, receipts: string[]): Promise<any>;
  backends(): Promise<any>;
  snapshot(limit?: number): AsyncGenerator<SnapshotPage>;
  events(lastEventId: number | null, onEvent: (event: StreamEvent) => void,
         options?: { notices?: boolean; idleMs?: number }): { done: Promise<void>; close(): void };
  close(): void;
}

/** One consent::StateTable in the wasm core: the mirror's states and notice, and every answer. */
export interface CoreTable {
  /** {"notice": {…}, "version": N, "last_material_version": M} as JSON text */
  setNotice(noticeJson: string): void;
  putState(subject: string, stateJson: string): void;
  /** a receipt event's data as JSON text; true when a backend must acknowledge it */
  apply(receiptJson: string): boolean;
  clear(): void;
  /** an erased subject: it answers no_decision from now on; true when the table held it */
  forget(subject: string): boolean;
  /** now: seconds since the Unix epoch, an integer */
  allowed(subject: string, purpose: string, now: number): boolean;
  verdict(subject: string, purpose: string, now: number): Verdict;
  readonly subjects: number;
  readonly noticeVersion: number;
  /** gives the table's memory back to the core (also done when it is garbage-collected) */
  free(): void;
}

/** consent-mirror.{js,wasm}: the core's JSON API and its StateTable. */
export interface WasmCore {
  callText(operation: string, inputJson: string): string;
  call(operation: string, value: unknown): any;
  table(): CoreTable;
  /** bytes the core's allocator has taken from wasm memory so far (where the tables live) */
  heapBytes(): number;
}
export declare function loadWasmCore(dir?: string): Promise<WasmCore>;

export interface MirrorOptions {
  core?: WasmCore;
  staleAfterMs?: number;
  fallback?: 'deny' | 'ask';
  /** seconds since the Unix epoch */
  clock?: () => number;
  pageLimit?: number;
  /** set: acknowledge each applied withdrawal under this registered name */
  backend?: string | null;
  reconnectMs?: number;
  /** called with each receipt event's data once the mirror has applied it */
  onReceipt?: ((data: { receipt_id: string; subject: string; method: string; log_index: number; server_time: number }) => void) | null;
}

export declare const STALE: Verdict;

export declare class Mirror {
  constructor(client: ConsentClient, options?: MirrorOptions);
  readonly eventId: number;
  readonly live: boolean;
  readonly noticeVersion: number;
  readonly subjects: number;
  readonly errors: unknown[];
  allowed(subject: string, purpose: string): boolean;
  verdict(subject: string, purpose: string): Verdict;
  verdictAsync(subject: string, purpose: string): Promise<Verdict>;
  waitFor(eventId?: number, noticeVersion?: number, timeoutMs?: number): Promise<boolean>;
  loadSnapshot(): Promise<void>;
  start(options?: { timeoutMs?: number }): Promise<this>;
  stop(): Promise<void>;
}
