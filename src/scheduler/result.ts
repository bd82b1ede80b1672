/**
 * The result model: what `runScenario` returns and what reports are built from. Plain data throughout, so
 * a result crosses process boundaries as JSON.
 */
import type { Advice } from '../advise/types.js';
import { toSiteRef, type SiteRef } from '../site.js';
import type { Reproduced, RunRecord, RunViolation, TraceEntry } from './run-record.js';
import type { ViolationKind } from './violation-kinds.js';

export interface TraceStep {
  readonly step: number;
  readonly task: string;
  readonly kind: 'start' | 'await' | 'timer';
  /** The await the task resumed after; null when it started or a timer fired. */
  readonly site: SiteRef | null;
  readonly timer?: { readonly kind: string; readonly delay: number };
}

export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
  /** 1-based number of the run that failed, and that run's own seed. */
  readonly run: number;
  readonly seed: number;
  /** The step after which it was detected. */
  readonly step: number;
  readonly strategy: string;
  /** The schedule: chosen index and candidate count at each step. */
  readonly choices: readonly number[];
  readonly counts: readonly number[];
  readonly trace: readonly TraceStep[];
  readonly preemptions: number;
  readonly shrunk: boolean;
  /** Runs spent minimising the schedule. */
  readonly shrinkRuns?: number;
  /** For a deadlock: every blocked task and where it waits, innermost await first. */
  readonly blocked?: readonly { readonly task: string; readonly sites: readonly SiteRef[] }[];
  /** For `timeout` and `blocked-loop`: the replays that confirmed it before it was reported. */
  readonly reproduced?: Reproduced;
  /** The error's stack, for a violation that is an error (mapped to the original source). */
  readonly stack?: string;
}

export interface SearchSummary {
  readonly strategy: string;
  /** Distinct schedules run. */
  readonly schedules: number;
  /** True only when every schedule was run (an exhaustive search that finished). */
  readonly complete: boolean;
  /** The preemption bound the search was complete within, when there was one. */
  readonly maxPreemptions?: number;
  /**
   * Real I/O was in flight during the runs: racecheck let it land before each decision, so interleavings
   * inside the I/O operations themselves were not explored, and the search is never called complete.
   */
  readonly realIo?: true;
  /** Runs of the same choices offered different candidates (real I/O timing): the search went on, but cannot be complete. */
  readonly nondeterministic?: true;
  /**
   * Where a run first stopped fitting choices recorded earlier: a replayed schedule after the program
   * changed, or (with `nondeterministic`) a path the search had taken before. `site` is where the run was
   * just before: the last step both shared.
   */
  readonly divergedAt?: { readonly run: number; readonly step: number; readonly site: SiteRef | null };
}

export interface ResultBase {
  readonly id: string;
  readonly name: string;
  readonly runs: number;
  /** Runs that found a violation: 1 at most unless `keepGoing`. */
  readonly failedRuns: number;
  readonly steps: number;
  readonly durationMs: number;
  /** The master seed. */
  readonly seed: number;
  readonly search: SearchSummary;
  /** Set when `signal` stopped the search: `runs` counts the runs that finished. */
  readonly interrupted?: true;
  /** The lock advisor's findings (SPEC §6), when it has any. */
  readonly advice?: readonly Advice[];
  /** Lock construction sites that were no-ops in every run: the search was an `--advise` variant (or its replay). */
  readonly bypassLocks?: readonly string[];
}

export type ScenarioResult =
  | (ResultBase & { readonly status: 'pass'; readonly violation: null })
  | (ResultBase & { readonly status: 'fail'; readonly violation: Violation })
  | (ResultBase & { readonly status: 'error'; readonly violation: null; readonly error: { readonly message: string } });

/** A run's violation as the result reports it: the run's number and seed, its schedule and its trace. */
export function toViolation(violation: RunViolation, record: RunRecord, index: number, seed: number, strategy: string): Violation {
  const result: Violation = {
    kind: violation.kind,
    message: violation.message,
    run: index + 1,
    seed,
    step: violation.step,
    strategy,
    choices: record.choices,
    counts: record.counts,
    trace: record.trace.map(toTraceStep),
    preemptions: record.preemptions,
    shrunk: false,
  };
  const reproduced = violation.reproduced ? { ...result, reproduced: violation.reproduced } : result;
  if (!violation.blocked) return reproduced;
  return { ...reproduced, blocked: violation.blocked.map(({ task, sites }) => ({ task, sites: sites.map(toSiteRef) })) };
}

export function toTraceStep(entry: TraceEntry): TraceStep {
  const step: TraceStep = { step: entry.step, task: entry.task, kind: entry.kind, site: entry.site && toSiteRef(entry.site) };
  return entry.timer ? { ...step, timer: entry.timer } : step;
}

/** A scenario that could not be run (its worker died before a run started, its setup failed, ...). */
export function errorResult(base: ResultBase, message: string): ScenarioResult {
  return { ...base, status: 'error', violation: null, error: { message } };
}
