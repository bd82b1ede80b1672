import { defaultChoice } from '../policy.js';
import type { Candidate, RunInfo, Strategy } from '../types.js';

/** A recorded schedule: the index chosen at each step and, to detect a changed program, how many candidates there were. */
export interface Schedule {
  readonly choices: readonly number[];
  readonly counts: readonly number[];
  /**
   * The step (1-based) from which the recorded run fired timers an earlier run of its process had left
   * pending (clock.ts adoptCarried). A replay of the scenario alone has none: it stops fitting there.
   */
  readonly carriedFrom?: number | undefined;
}

/** Whether a replay stopped fitting its recording where the recorded run went on with an earlier run's timers. */
export function divergedAtCarried(schedule: Schedule, step: number): boolean {
  return schedule.carriedFrom !== undefined && step >= schedule.carriedFrom;
}

/** The program no longer makes the decisions the recorded schedule describes (strict replays only). */
export class ReplayMismatchError extends Error {
  readonly code = 'RACECHECK_REPLAY_MISMATCH';
  constructor(message: string) {
    super(`the recorded schedule no longer fits this program: ${message}`);
    this.name = 'ReplayMismatchError';
  }
}

export interface ReplayOptions {
  /**
   * `strict` (true): refuse to improvise when the program changed (ReplayMismatchError). Otherwise the
   * replay follows the recording as far as it fits, then takes the default schedule, and `diverged()`
   * says where it stopped fitting.
   */
  readonly strict?: boolean;
  readonly name?: string;
}

/** Why a replay of the scenario alone cannot follow a run that fired an earlier run's timers, `from` (`from step 4`) on. */
export function carriedWhy(from: string): string {
  return `${from} the recorded run fired timers an earlier run of its process had left pending, which a replay of the scenario alone does not have`;
}

/** Replays a recorded schedule choice by choice. */
export function createReplayStrategy(schedule: Schedule, options: ReplayOptions = {}): Strategy {
  const strict = options.strict ?? true;
  let diverged: number | undefined;
  let previousTask = -1;
  const mismatch = (step: number, message: string): void => {
    if (strict) throw new ReplayMismatchError(divergedAtCarried(schedule, step + 1) ? `${message} (${carriedWhy(`from step ${schedule.carriedFrom}`)})` : message);
    diverged ??= step + 1;
  };
  return {
    name: options.name ?? 'replay',
    startRun() {
      diverged = undefined;
      previousTask = -1;
    },
    choose(candidates: readonly Candidate[], step: number) {
      const choice = schedule.choices[step];
      const count = schedule.counts[step];
      if (diverged === undefined) {
        if (choice === undefined || count === undefined) mismatch(step, `it recorded ${schedule.choices.length} steps, but the run goes on after them`);
        else if (count !== candidates.length) mismatch(step, `at step ${step + 1} it recorded ${count} runnable candidates, now there are ${candidates.length}`);
      }
      const chosen = diverged === undefined ? choice! : defaultChoice(candidates, previousTask, 'first');
      previousTask = candidates[chosen]?.taskIndex ?? -1;
      return chosen;
    },
    endRun(steps: number) {
      if (diverged === undefined && steps < schedule.choices.length) mismatch(steps, `it recorded ${schedule.choices.length} steps, but the run ended after ${steps}`);
    },
    diverged: () => diverged,
  };
}

/**
 * A replay of a recorded run as a finding is replayed (to confirm it, explain it, run it again): as far as
 * the recording fits, then on by the default, started as its run's first replay.
 */
export function startReplay(schedule: Schedule, seed: number, taskCount: number): Strategy {
  const strategy = createReplayStrategy(schedule, { strict: false });
  strategy.startRun({ seed, index: 0, taskCount });
  return strategy;
}

/**
 * `--replay` after a change: the first run follows the recording as far as it fits; if it stopped fitting,
 * the search goes on with `then` for the remaining runs, so the changed program is tested on the
 * interleavings near the one that failed and beyond. If the recording fitted, that one run is all.
 */
export function createReplayThenStrategy(schedule: Schedule, then: Strategy): Strategy {
  const replay = createReplayStrategy(schedule, { strict: false });
  let run = 0;
  let firstDiverged: number | undefined;
  const current = (): Strategy => (run <= 1 ? replay : then);
  return {
    name: 'replay',
    startRun(info: RunInfo) {
      run++;
      // The runs after the replay are the strategy's own: it counts them from its first.
      current().startRun(run === 1 ? info : { ...info, index: info.index - 1 });
    },
    choose: (candidates, step) => current().choose(candidates, step),
    endRun(steps: number, failed: boolean) {
      current().endRun?.(steps, failed);
      if (run === 1) firstDiverged = replay.diverged?.();
    },
    hasMore: () => run === 0 || (firstDiverged !== undefined && (then.hasMore?.() ?? true)),
    runName: () => (run <= 1 ? 'replay' : (then.runName?.() ?? then.name)),
    diverged: () => (run === 1 ? firstDiverged : undefined),
  };
}
