/**
 * The lock advisor's findings (SPEC §6): what a scenario's result carries as `advice`, and what a report
 * carries (the same, with the variant's schedule packed into a replay token). Plain data throughout.
 */
import type { PrimitiveKind } from '@racecheck/sync/bridge';
import type { SiteRef } from '../site.js';
import type { ViolationKind } from './violation-kinds.js';

export const ADVICE_CODES = [
  'lock-without-await',
  'lock-per-call',
  'blocking-in-lock',
  'lock-not-released',
  'release-by-other-task',
  'lock-order-inversion',
  'lock-needed',
  'lock-unneeded',
] as const;

export type AdviceCode = (typeof ADVICE_CODES)[number];

/** The codes the normal runs find; the other two cost the extra runs of `--advise`. */
export type ObservedCode = Exclude<AdviceCode, 'lock-needed' | 'lock-unneeded'>;

interface AdviceBase {
  readonly message: string;
  /** Where the lock was made (`new Lock()`). */
  readonly lock: SiteRef;
  /** The other sites that prove it: acquires, the blocking step, the foreign release. */
  readonly sites: readonly SiteRef[];
  /** Which primitive it is. */
  readonly primitive: PrimitiveKind;
}

/** A violation found with a lock made a no-op: enough to replay that variant's schedule. */
export interface VariantViolation {
  readonly kind: ViolationKind;
  readonly message: string;
  readonly run: number;
  readonly seed: number;
  readonly strategy: string;
  readonly choices: readonly number[];
  readonly counts: readonly number[];
  /** The construction sites made no-ops (a replay must make them no-ops again). */
  readonly bypass: readonly string[];
  /** The step from which the run fired timers an earlier run of its process had left pending (Schedule.carriedFrom). */
  readonly carriedFrom?: number;
  /** The explanation of the violation (SPEC §5), when racecheck had one. */
  readonly explanation?: unknown;
}

export type Advice =
  | (AdviceBase & { readonly code: Exclude<ObservedCode, 'lock-order-inversion'> })
  | (AdviceBase & { readonly code: 'lock-order-inversion'; readonly locks: readonly SiteRef[] })
  | (AdviceBase & { readonly code: 'lock-needed'; readonly violation: VariantViolation })
  | (AdviceBase & { readonly code: 'lock-unneeded'; readonly search: { readonly schedules: number; readonly complete: boolean } });

/** A lock-needed violation as a report shows it: kind, message, and the token that replays the variant. */
export interface ReportVariantViolation {
  readonly kind: ViolationKind;
  readonly message: string;
  readonly replay: string;
  readonly command: string;
  readonly explanation?: unknown;
}

export type ReportAdvice =
  | Exclude<Advice, { readonly code: 'lock-needed' }>
  | (AdviceBase & { readonly code: 'lock-needed'; readonly violation: ReportVariantViolation });
