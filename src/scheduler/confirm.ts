/**
 * Verdicts that depend on real time (`timeout`, `blocked-loop`) are the only ones a busy machine could
 * fake. Before one is reported, its schedule is replayed: it is reported only if every replay gives it
 * again (SPEC §2), so a correct scenario gets the same verdict on an idle machine and on a busy one.
 */
import type { NormalizedScenario } from '../scenario/types.js';
import { Run, type RunSettings } from './run.js';
import type { RunRecord, RunViolation } from './run-record.js';
import type { Limits } from './settings.js';
import { createReplayStrategy } from './strategies/replay.js';

/** Replays per wall-clock verdict. Two misses in a row by chance would need two stalls at one step. */
export const CONFIRMATION_TRIES = 2;

export interface ConfirmInput {
  readonly scenario: NormalizedScenario;
  readonly seed: number;
  readonly limits: Limits;
  readonly record: RunRecord;
  readonly violation: RunViolation;
  /** Called before each replay (watchdogs time runs from their start), and at each of its steps. */
  readonly onRunStart?: () => void;
  readonly onStep?: RunSettings['onStep'];
}

/** The violation with `reproduced` when every replay gave it again; null when one did not. */
export async function confirmWallClockVerdict(input: ConfirmInput): Promise<RunViolation | null> {
  const schedule = { choices: input.record.choices, counts: input.record.counts };
  let last: RunViolation | undefined;
  for (let tries = 1; tries <= CONFIRMATION_TRIES; tries++) {
    input.onRunStart?.();
    // Past the recorded choices (a run that timed out while still taking steps) it goes on by the default.
    const strategy = createReplayStrategy(schedule, { strict: false });
    strategy.startRun({ seed: input.seed, index: 0, taskCount: input.scenario.tasks.length });
    // Timed without the thread's waits for a CPU: on a busy machine a step's wall time is longer than the
    // step (run-queue.ts), and the first run, timed by the wall clock alone, may have been slowed that way.
    const outcome = await new Run({ scenario: input.scenario, seed: input.seed, strategy, ...input.limits, discountRunQueue: true, onStep: input.onStep }).execute();
    if (outcome.status === 'error') return null;
    const again = input.violation.kind === 'blocked-loop' ? outcome.blockedLoop : outcome.violation;
    if (again?.kind !== input.violation.kind || (again.kind === 'blocked-loop' && again.step !== input.violation.step)) return null;
    last = again;
  }
  // The last replay's message: its figure is the step's own time, not one a busy moment lengthened.
  return { ...input.violation, message: last?.message ?? input.violation.message, reproduced: { tries: CONFIRMATION_TRIES, failed: CONFIRMATION_TRIES } };
}
