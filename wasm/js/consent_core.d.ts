// Types of the wasm core's JS API (wasm/js/consent_core.js).

export interface CoreErrorInfo { code: string; message: string; path: string }

export declare class ConsentError extends Error {
  readonly code: string;
  readonly path: string;
  constructor(error: CoreErrorInfo);
}

export type PurposeStateName = 'granted' | 'denied';
export type MethodName = 'accept_all' | 'reject_all' | 'custom' | 'withdraw' | 'gpc' | 'server_withdraw';

export interface PurposeRecord {
  state: PurposeStateName;
  method: MethodName;
  notice_id: string;
  notice_version: number;
  decided_at: number;
  receipt_id: string;
}
export type SubjectState = Record<string, PurposeRecord>;

export interface PolicyArgs {
  notice: object;
  now: number;
  last_material_version?: number;
  gpc?: boolean;
  state?: SubjectState;
}

export interface DecisionRequest {
  decision_id: string;
  subject_id: string;
  notice_id: string;
  notice_version: number;
  notice_hash: string;
  language: string;
  method: MethodName;
  choices?: Record<string, boolean>;
  purposes?: string[];
  client_time?: number;
  context?: { origin?: string; ua_class?: 'desktop' | 'mobile' | 'tablet' | 'bot' | 'other' };
}

export interface Decision extends Omit<DecisionRequest, 'choices'> {
  purposes: Record<string, PurposeStateName>;
}

export interface Verdict { allowed: boolean; reason: string; receipt_id: string | null }
export interface PromptVerdict { needed: boolean; reason: string; purposes: string[] }

export interface PurposeView {
  id: string; title: string; description: string;
  necessary: boolean; toggleable: boolean; checked: boolean; gpc_locked: boolean;
  services: { name: string; provider: string; third_party: boolean; cookies: { name: string; lifetime_days: number }[] }[];
}
export interface BannerView {
  language: string; dir: 'ltr' | 'rtl'; title: string; body: string;
  labels: Record<string, string>;
  controller: { name: string; contact: string };
  policy_url: string; gpc_applied: boolean; prompt: boolean;
  purposes: PurposeView[];
}

export interface ProofAnswer { valid: boolean; reason?: string; message?: string }

export interface ConsentCore {
  call(operation: string, input: unknown): unknown;
  canonicalize(value: unknown): string;
  parseNotice(notice: object): { notice: object; hash: string };
  bannerView(args: PolicyArgs & { languages?: string[] }): BannerView;
  /** banner.view, policy.is_allowed for every purpose and consent_mode.state, from one parse of the notice. */
  evaluate(args: PolicyArgs & { languages?: string[] }): { view: BannerView; verdicts: Record<string, Verdict>; consent_mode: Record<string, 'granted' | 'denied'> };
  /** What a click on the banner records (click.hpp). */
  click(args: PolicyArgs & { click: 'accept' | 'reject' | 'save'; choices?: Record<string, boolean> }): { method: string; choices?: Record<string, boolean>; purposes?: string[] };
  makeDecision(notice: object, request: DecisionRequest): Decision;
  applyDecision(state: SubjectState, decision: Decision, decidedAt: number, receiptId?: string): SubjectState;
  isAllowed(args: PolicyArgs & { purpose: string }): Verdict;
  needsPrompt(args: PolicyArgs): PromptVerdict;
  consentMode(args: PolicyArgs): Record<string, 'granted' | 'denied'>;
  merkleLeafHash(data: string): string;
  verifyInclusion(args: { leaf_index: number; tree_size: number; leaf_hash: string; proof: string[] | null; root: string }): ProofAnswer;
  verifyConsistency(args: { size1: number; size2: number; root1: string; root2: string; proof: string[] | null }): ProofAnswer;
  verifyReceipt(jws: string, jwks: { keys: object[] }): { valid: boolean; kid?: string; payload?: Record<string, unknown>; reason?: string; message?: string };
  verifyCheckpoint(note: string, origin: string, jwks: { keys: object[] }): { valid: boolean; tree_size?: number; root?: string; timestamp?: number; reason?: string; message?: string };
  /** A whole proof bundle (an export) checked as consentctl verify checks it, erased entries included. */
  verifyBundle(bundle: object, options?: { checkpoint?: string; consistency?: { from: number; to: number; proof: string[] }; held?: string[] }): { valid: boolean; lines?: string[]; receipts?: number; erasures?: number; erased?: number; held?: number; held_erased?: number; tree_size?: number; reason?: string; message?: string };
}

export declare function loadConsentCore(options?: { wasmBinary?: ArrayBuffer | Uint8Array; locateFile?: (path: string) => string; createModule?: (opts: object) => Promise<unknown> }): Promise<ConsentCore>;
