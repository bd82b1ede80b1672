/**
 * What one run did, as the search and the reports read it, and the recorder that writes it step by step:
 * a couple of numbers a step on the hot path, the trace built from them only when someone reads it.
 */
import type { Site } from '../site.js';
import { VirtualTimer } from './clock.js';
import type { Candidate, StepKind } from './types.js';
import type { ViolationKind } from './violation-kinds.js';

export interface TraceEntry {
  readonly step: number;
  readonly task: string;
  readonly taskIndex: number;
  readonly kind: StepKind;
  /** The await the task resumes after; null for a start or a timer. */
  readonly site: Site | null;
  /** For a timer step: what created it and with which delay. */
  readonly timer?: { readonly kind: string; readonly delay: number };
  /** A timer an earlier run left pending, which this run took over at what would have been a deadlock. */
  readonly carried?: true;
}

export interface BlockedTask {
  readonly task: string;
  /** Where the task waits, innermost await first; empty when it waits outside instrumented code. */
  readonly sites: readonly Site[];
}

export interface RunViolation {
  readonly kind: ViolationKind;
  readonly message: string;
  /** The step after which it was detected (0: before any step). */
  readonly step: number;
  readonly blocked?: readonly BlockedTask[];
  /** For a wall-clock verdict: how often replaying the schedule gave it again (SPEC §2). */
  readonly reproduced?: Reproduced;
  /** The error or rejection reason behind an `exception`, `unhandled-rejection` or a `check` that threw. */
  readonly cause?: unknown;
}

/** Replays of a wall-clock verdict's schedule, and how many of them gave it again. */
export interface Reproduced {
  readonly tries: number;
  readonly failed: number;
}

export interface RunError {
  readonly phase: 'setup' | 'teardown' | 'scheduler';
  readonly message: string;
  readonly cause: unknown;
}

/** What one run did: enough to replay it and to explain it. */
export interface RunRecord {
  readonly steps: number;
  /** The index chosen at each step, and how many candidates there were (a replay checks both). */
  readonly choices: readonly number[];
  readonly counts: readonly number[];
  readonly trace: readonly TraceEntry[];
  /** How many times the schedule switched away from a task that could have gone on. */
  readonly preemptions: number;
  /**
   * Whether real I/O was in flight at a decision: racecheck let it land first, so interleavings inside
   * the I/O itself (a read overlapping a write's chunks) were not among the schedules this run stands for.
   */
  readonly realIo: boolean;
}

export type RunOutcome =
  | {
      readonly status: 'pass' | 'fail';
      readonly record: RunRecord;
      readonly violation: RunViolation | null;
      /**
       * A step that held the event loop longer than the limit, no later than `violation`: a wall-clock
       * verdict that did not stop the run, to be confirmed by a replay before it is reported.
       */
      readonly blockedLoop?: RunViolation;
    }
  | { readonly status: 'error'; readonly record: RunRecord; readonly error: RunError };

export const STEP_KINDS: readonly StepKind[] = ['start', 'await', 'timer', 'timer'];

/**
 * Records the schedule and the trace of one run, column-wise. Its preemptions follow policy.ts's rule
 * (`isPreemption`), answered by the run without scanning the candidates.
 */
export class TraceRecorder {
  readonly choices: number[] = [];
  readonly counts: number[] = [];
  preemptions = 0;
  /** Task index × 4 + kind (0 start, 1 await, 2 timer, 3 a timer an earlier run left): one number a step. */
  private readonly steps: number[] = [];
  /** The site (or timer) each step resumed. */
  private readonly where: (Site | VirtualTimer | null)[] = [];
  private previousTask = -1;

  get length(): number {
    return this.steps.length;
  }

  /**
   * Records a decision: candidate `index` of `count` was chosen; `canContinue(task)` tells whether a task
   * had a candidate of its own among them (the run answers in O(1)). Returns the step's kind.
   */
  add(index: number, count: number, chosen: Candidate & { readonly site?: Site | null }, canContinue: (task: number) => boolean): StepKind {
    this.choices.push(index);
    this.counts.push(count);
    const taskIndex = chosen.taskIndex;
    const previous = this.previousTask;
    if (previous !== -1 && taskIndex !== previous && canContinue(previous)) this.preemptions++;
    this.previousTask = taskIndex;
    const kind = chosen.kind === 'start' ? 0 : chosen.kind === 'await' ? 1 : (chosen as VirtualTimer).adopted ? 3 : 2;
    this.steps.push((taskIndex << 2) | kind);
    this.where.push(chosen instanceof VirtualTimer ? chosen : (chosen.site ?? null));
    return STEP_KINDS[kind]!;
  }

  /** The task and the site of the last step (the site is null for a start or a timer). */
  lastStep(): { readonly taskIndex: number; readonly site: Site | null } | undefined {
    const last = this.steps.length - 1;
    if (last < 0) return undefined;
    const where = this.where[last];
    return { taskIndex: this.steps[last]! >> 2, site: where instanceof VirtualTimer ? null : (where ?? null) };
  }

  /** What the run did. The trace is built from the columns only when asked for: most runs pass unread. */
  toRecord(taskName: (taskIndex: number) => string, realIo: boolean): RunRecord {
    let trace: TraceEntry[] | undefined;
    // Captures the columns and the naming function, not the run: a record may outlive it by many runs.
    const { steps, where } = this;
    const build = (): TraceEntry[] =>
      steps.map((code, i): TraceEntry => {
        const taskIndex = code >> 2;
        const at = where[i] ?? null;
        const task = taskName(taskIndex);
        if (at instanceof VirtualTimer) {
          const timer = { step: i + 1, task, taskIndex, kind: 'timer', site: null, timer: { kind: at.timerKind, delay: at.delay } } as const;
          return (code & 3) === 3 ? { ...timer, carried: true } : timer;
        }
        return { step: i + 1, task, taskIndex, kind: STEP_KINDS[code & 3]!, site: at };
      });
    return {
      steps: steps.length,
      choices: this.choices,
      counts: this.counts,
      preemptions: this.preemptions,
      realIo,
      get trace() {
        return (trace ??= build());
      },
    };
  }
}
