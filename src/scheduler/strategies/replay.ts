import type { Candidate, Strategy } from '../types.js';

/** A recorded schedule: the index chosen at each step and, to detect a changed program, how many candidates there were. */
export interface Schedule {
  readonly choices: readonly number[];
  readonly counts: readonly number[];
}

/** The program no longer makes the decisions the recorded schedule describes. */
export class ReplayMismatchError extends Error {
  readonly code = 'RACECHECK_REPLAY_MISMATCH';
  constructor(message: string) {
    super(`the recorded schedule no longer fits this program: ${message}`);
    this.name = 'ReplayMismatchError';
  }
}

/** Replays a recorded schedule choice by choice, and refuses to improvise when the program changed. */
export function createReplayStrategy(schedule: Schedule, name = 'replay'): Strategy {
  return {
    name,
    startRun() {},
    choose(candidates: readonly Candidate[], step: number) {
      const choice = schedule.choices[step];
      const count = schedule.counts[step];
      if (choice === undefined || count === undefined) {
        throw new ReplayMismatchError(`it recorded ${schedule.choices.length} steps, but the run goes on after them`);
      }
      if (count !== candidates.length) {
        throw new ReplayMismatchError(`at step ${step + 1} it recorded ${count} runnable candidates, now there are ${candidates.length}`);
      }
      return choice;
    },
    endRun(steps: number) {
      if (steps < schedule.choices.length) {
        throw new ReplayMismatchError(`it recorded ${schedule.choices.length} steps, but the run ended after ${steps}`);
      }
    },
  };
}
