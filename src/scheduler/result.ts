/**
 * The result model: what `runScenario` returns and what reports are built from. Plain data throughout, so
 * a result crosses process boundaries as JSON.
 */
import type { Advice } from './advice.js';
import { toSiteRef, type SiteRef } from '../site.js';
import type { Reproduced, RunRecord, RunViolation, TraceEntry } from './run-record.js';
import type { ViolationKind } from './violation-kinds.js';

export interface TraceStep {
  readonly step: number;
  /** The lane: the scenario task that ran the step, or an activity (a request handler, a timer callback, ...). */
  readonly task: string;
  readonly kind: 'start' | 'await' | 'timer';
  /** The await the task resumed after; null when it started or a timer fired. */
  readonly site: SiteRef | null;
  readonly timer?: { readonly kind: string; readonly delay: number };
  /** On an activity's steps: the task or activity whose step created it. */
  readonly origin?: string;
}

/** The classic shapes of a race (SPEC §5). */
export type ConflictPattern = 'lost-update' | 'stale-check' | 'torn-read' | 'other';

/** One read or write of shared state that is part of the conflict. */
export interface ExplainedAccess {
  readonly step: number;
  /** The lane that made it (a task or an activity). */
  readonly task: string;
  readonly op: 'read' | 'write';
  /** A readable path to the state: `s.value`, `this.#cache.get("user:1")`, `requests.length`. */
  readonly target: string;
  /** A short rendering of the value read or written. */
  readonly value: string;
  readonly site: SiteRef | null;
}

/** Which reads and writes of shared state crossed which await (SPEC §5). */
export interface Explanation {
  /** One sentence, the way a reviewer would say it. */
  readonly summary: string;
  readonly pattern: ConflictPattern;
  /** The accesses that make up the conflict, in step order. */
  readonly accesses: readonly ExplainedAccess[];
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
  /**
   * The reads and writes behind it, from a recording replay of the schedule; null when nothing could be
   * tracked. Always there in a report (build.ts); absent only on a violation a crashed worker left.
   */
  readonly explanation?: Explanation | null;
  /** For `exception`, `unhandled-rejection` and a `check` that threw: the error's stack, racecheck's frames left out. */
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
   * just before: the last step both shared. `earlierRunTimers`: a replay stopped fitting where its recorded
   * run went on with timers an earlier run of its process had left pending (not a change of the program).
   */
  readonly divergedAt?: { readonly run: number; readonly step: number; readonly site: SiteRef | null; readonly earlierRunTimers?: true };
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

/** The origin of a timer an earlier run left pending and this one took over (clock.ts adoptCarried). */
export const EARLIER_RUN = 'an earlier run';

/** The first step of a trace that fired a timer an earlier run left pending: a replay of the scenario alone has none from there. */
export function firstEarlierRunStep(trace: readonly TraceStep[]): number | undefined {
  return trace.find((step) => step.origin === EARLIER_RUN)?.step;
}

/**
 * A run's violation as the result reports it: the run's number and seed, its schedule and its trace. This
 * trace is the search's own; the one reported is the recording replay's (explain/), with precise lanes.
 * Without one, steps outside any task go to a `callback` lane whose origin is the step before, and
 * racecheck's own scheduling points show no site rather than an internal one.
 */
export function toViolation(violation: RunViolation, record: RunRecord, index: number, seed: number, strategy: string, stack?: string): Violation {
  const entries = record.trace;
  const trace = entries.map((entry, i): TraceStep => {
    const step = toTraceStep(entry);
    const plain = step.site && step.site.line === 0 ? { ...step, site: null } : step;
    if (entry.task !== EXTERNAL_LANE) return plain;
    if (entry.carried) return { ...plain, task: 'callback', origin: EARLIER_RUN };
    let origin = 'setup';
    for (let j = i - 1; j >= 0; j--) {
      if (entries[j]!.task !== EXTERNAL_LANE) {
        origin = entries[j]!.task;
        break;
      }
    }
    return { ...plain, task: 'callback', origin };
  });
  const result: Violation = {
    kind: violation.kind,
    message: violation.message,
    run: index + 1,
    seed,
    step: violation.step,
    strategy,
    choices: record.choices,
    counts: record.counts,
    trace,
    preemptions: record.preemptions,
    shrunk: false,
    explanation: null,
    ...(stack === undefined ? {} : { stack }),
  };
  const reproduced = violation.reproduced ? { ...result, reproduced: violation.reproduced } : result;
  if (!violation.blocked) return reproduced;
  // racecheck's own scheduling points (line 0) are no place in the user's code: the replay names the call instead.
  return { ...reproduced, blocked: violation.blocked.map(({ task, sites }) => ({ task, sites: sites.filter((site) => site.line > 0).map(toSiteRef) })) };
}

/** The lane of work the search ran outside any task (run.ts); never shown under that name. */
const EXTERNAL_LANE = '(external)';

export function toTraceStep(entry: TraceEntry): TraceStep {
  const step: TraceStep = { step: entry.step, task: entry.task, kind: entry.kind, site: entry.site && toSiteRef(entry.site) };
  return entry.timer ? { ...step, timer: entry.timer } : step;
}

/** A scenario that could not be run (its worker died before a run started, its setup failed, ...). */
export function errorResult(base: ResultBase, message: string): ScenarioResult {
  return { ...base, status: 'error', violation: null, error: { message } };
}
