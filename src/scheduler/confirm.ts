/**
 * Verdicts that depend on real time (`timeout`, `blocked-loop`) are the only ones a busy machine could
 * fake. Before one is reported, its schedule is replayed: it is reported only if every replay gives it
 * again (SPEC §2), so a correct scenario gets the same verdict on an idle machine and on a busy one. A
 * setup or teardown that overran the run's timeout is the one error real time alone can give: that run starts again.
 */
import type { NormalizedScenario } from '../scenario/types.js';
import { Run, type RunSettings } from './run.js';
import { PhaseDeadlineError } from './phases.js';
import type { RunOutcome, RunRecord, RunViolation } from './run-record.js';
import type { Limits } from './settings.js';
import { startReplay } from './strategies/replay.js';
import type { RunInfo } from './types.js';

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
    const strategy = startReplay(schedule, input.seed, input.scenario.tasks.length);
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

/** The phase whose deadline ended the run in an error, if one did: setup or teardown (a check's is a timeout). */
function overranPhase(outcome: RunOutcome): 'setup' | 'teardown' | undefined {
  if (outcome.status !== 'error' || !(outcome.error.cause instanceof PhaseDeadlineError)) return undefined;
  return outcome.error.phase === 'setup' || outcome.error.phase === 'teardown' ? outcome.error.phase : undefined;
}

/**
 * A setup or teardown that did not finish within `timeoutMs` is the one error a busy machine could fake:
 * what it waits for (a server it started, a process it ended) may be slow only because the cores are busy.
 * The run starts again, timed without the thread's waits for a CPU, up to CONFIRMATION_TRIES times, and the
 * first of them whose phase finishes is the run (its tasks, verdict and record); the error stands only if
 * none does. After a setup that overran no task had run, so the strategy has made no choice for this run
 * yet: the new run is the one it began. After a teardown, the tasks' schedule is replayed.
 * `start` makes a Run with the first one's settings and those given; `info` is the run's, for a replay's
 * strategy; `onRunStart` is called before each.
 */
export async function rerunOverranPhase(
  first: { run: Run; outcome: RunOutcome },
  start: (settings: Partial<RunSettings>) => Run,
  info: RunInfo,
  onRunStart?: () => void,
): Promise<{ run: Run; outcome: RunOutcome }> {
  const phase = overranPhase(first.outcome);
  if (phase === undefined) return first;
  for (let tries = 1; tries <= CONFIRMATION_TRIES; tries++) {
    onRunStart?.();
    const run = start(phase === 'setup' ? { discountRunQueue: true } : { discountRunQueue: true, strategy: startReplay(first.outcome.record, info.seed, info.taskCount) });
    const outcome = await run.execute();
    if (overranPhase(outcome) === phase) continue;
    // Another error of the same phase may come of the first one still running beside it (a port it holds): the overrun stands.
    return outcome.status === 'error' && outcome.error.phase === phase ? first : { run, outcome };
  }
  return first;
}
