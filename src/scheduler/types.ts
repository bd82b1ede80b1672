/** What a strategy chooses among: a task waiting to start or to resume, or a virtual timer that is due. */
export interface Candidate {
  readonly kind: 'start' | 'await' | 'timer';
  /** The task it belongs to (0-based, in scenario order); tasks.length for work outside any task. */
  readonly taskIndex: number;
}

/** Facts a strategy gets before each run. */
export interface RunInfo {
  /** The run's own seed (derived from the master seed and the run's index). */
  readonly seed: number;
  /** 0-based index of the run in this scenario. */
  readonly index: number;
  readonly taskCount: number;
}

/**
 * What the run can say about one decision's candidates without scanning them, so that a strategy's
 * decision need not cost O(candidates) when thousands of tasks are ready. Valid during `choose` only.
 */
export interface CandidateIndex {
  /** How many candidates `task` has at this decision. */
  count(task: number): number;
  /** The index of one candidate of `task` (the continuation it readied last), or -1. */
  indexOf(task: number): number;
  /** Whether `task` has settled: it will never have a candidate again in this run. */
  settled(task: number): boolean;
}

/**
 * Picks which candidate runs next. Candidates come in a deterministic order: the ready continuations (in
 * an order of racecheck's own, the same for the same schedule, not the order they became ready), then the
 * due timers Node could fire next, by due time and creation. The array is reused between calls.
 */
export interface Strategy {
  readonly name: string;
  /** The preemption bound within which `covered()` means every schedule ran; undefined when unbounded. */
  readonly bound?: number | undefined;
  startRun(info: RunInfo): void;
  /** `index`, when given, answers questions about `candidates` in O(1); a strategy may ignore it. */
  choose(candidates: readonly Candidate[], step: number, index?: CandidateIndex): number;
  /** Called once the run ended; `failed` tells whether it found a violation. */
  endRun?(steps: number, failed: boolean): void;
  /** False when the strategy has nothing left to try (an exhaustive search that ran out of schedules). */
  hasMore?(): boolean;
  /** True when it ran out having run every schedule (within its bound): the scenario is proved. */
  covered?(): boolean;
  /** For a strategy made of others: the name of the one driving the current run (reported with a violation). */
  runName?(): string;
  /**
   * For a strategy that replays recorded choices: the 1-based step where the run that just ended stopped
   * fitting them (the program offered other candidates than the recording), if it did.
   */
  diverged?(): number | undefined;
}

export type StepKind = 'start' | 'await' | 'timer';
