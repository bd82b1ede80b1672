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
 * Picks which candidate runs next. Candidates come in a deterministic order: the ready continuations (in
 * an order of racecheck's own, the same for the same schedule, not the order they became ready), then the
 * due timers Node could fire next, by due time and creation. The array is reused between calls.
 */
export interface Strategy {
  readonly name: string;
  /** The preemption bound within which `covered()` means every schedule ran; undefined when unbounded. */
  readonly bound?: number | undefined;
  startRun(info: RunInfo): void;
  choose(candidates: readonly Candidate[], step: number): number;
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
