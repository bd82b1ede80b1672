import type { NormalizedScenario } from '../scenario/types.js';
import { real } from './context.js';
import type { Limits } from './settings.js';
import { Run, type RunSettings } from './run.js';
import type { RunOutcome, RunRecord, RunViolation } from './run-record.js';
import { defaultChoice, fallbackChoice, isPreemption } from './policy.js';
import type { Strategy } from './types.js';

export interface ShrinkInput {
  readonly scenario: NormalizedScenario;
  /** The failing run's seed: Math.random must replay the same numbers. */
  readonly seed: number;
  readonly limits: Limits;
  readonly record: RunRecord;
  readonly violation: RunViolation;
  /** Runs and real milliseconds shrinking may spend. */
  readonly budget?: { readonly runs: number; readonly ms: number };
  /** Called before each shrinking run (watchdogs), and at each of its steps. */
  readonly onRunStart?: () => void;
  readonly onStep?: RunSettings['onStep'];
}

export interface ShrinkResult {
  readonly record: RunRecord;
  readonly violation: RunViolation;
  /** Runs spent shrinking. */
  readonly runs: number;
}

/**
 * A place where the schedule did not take the default: once `task` has taken `steps` steps and is the one
 * that just ran, run `target` (or, without a target, the lowest-numbered other task that can run).
 * Keyed on a task's own progress rather than on the global step number, a deviation keeps its meaning
 * when other deviations are removed.
 */
interface Deviation {
  readonly task: number;
  readonly steps: number;
  readonly target: number | undefined;
  /** Whether it switched away from a task that could have gone on. */
  readonly preempts: boolean;
}

const DEFAULT_BUDGET = { runs: 2000, ms: 10_000 };

/**
 * Minimises a failing schedule. A schedule is seen as its deviations from the default policy (keep running
 * the task that ran last; when it cannot go on, run the lowest-numbered task that can). Delta debugging
 * (Zeller's ddmin) removes deviations while the run still fails with the same kind of violation: the
 * preempting ones first (fewer preemptions), then the others (closer to plain sequential runs); then each
 * remaining switch drops its specific target if any other task will do. Each candidate is re-run to
 * confirm it. Returns null when nothing simpler fails the same way.
 */
export async function shrinkSchedule(input: ShrinkInput): Promise<ShrinkResult | null> {
  const budget = input.budget ?? DEFAULT_BUDGET;
  const deadline = real.performanceNow() + budget.ms;
  let runs = 0;
  let last: { record: RunRecord; violation: RunViolation } | null = null;
  /** Checked before any bookkeeping: once the budget is spent, every loop below stops at once. */
  const spent = (): boolean => runs >= budget.runs || real.performanceNow() > deadline;

  const attempt = async (strategy: Strategy): Promise<RunOutcome | null> => {
    if (spent()) return null;
    runs++;
    input.onRunStart?.();
    strategy.startRun({ seed: input.seed, index: 0, taskCount: input.scenario.tasks.length });
    return new Run({ scenario: input.scenario, seed: input.seed, strategy, ...input.limits, onStep: input.onStep }).execute();
  };
  const fails = async (deviations: readonly Deviation[]): Promise<boolean> => {
    if (spent()) return false;
    const outcome = await attempt(createGuidedStrategy(deviations));
    if (!outcome || outcome.status !== 'fail' || outcome.violation?.kind !== input.violation.kind) return false;
    last = { record: outcome.record, violation: outcome.violation };
    return true;
  };

  const recorder = createDeviationRecorder(input.record.choices);
  await attempt(recorder);
  const deviations = recorder.deviations();
  if (!(await fails(deviations))) return null;

  const preempting = deviations.filter((d) => d.preempts);
  const free = deviations.filter((d) => !d.preempts);
  const fewerPreemptions = await ddmin(preempting, (subset) => fails([...subset, ...free]), spent);
  const kept = [...fewerPreemptions, ...(await ddmin(free, (subset) => fails([...fewerPreemptions, ...subset]), spent))];
  for (let i = 0; i < kept.length && !spent(); i++) {
    const deviation = kept[i]!;
    if (deviation.target === undefined) continue;
    const untargeted = { ...deviation, target: undefined };
    if (await fails(kept.map((d, j) => (j === i ? untargeted : d)))) kept[i] = untargeted;
  }

  const simplified = kept.length < deviations.length || kept.some((d, i) => d.target !== deviations[i]?.target);
  // Out of budget, the last schedule that failed is the simplest one confirmed; otherwise confirm `kept`.
  if (!spent() && (!simplified || !(await fails(kept)))) return null;
  const found = last as { record: RunRecord; violation: RunViolation } | null;
  if (!found || found.record.preemptions > input.record.preemptions || sameChoices(found.record.choices, input.record.choices)) return null;
  return { ...found, runs };
}

/**
 * Zeller and Hildebrandt's ddmin: a 1-minimal subset of `items` for which `test` still holds, or the
 * smallest found when `spent` says the budget ran out. Chunks are contiguous, so a complement is the
 * items before and after one: linear to build.
 */
async function ddmin<T>(items: readonly T[], test: (subset: readonly T[]) => Promise<boolean>, spent: () => boolean): Promise<readonly T[]> {
  if (items.length === 0 || (await test([]))) return [];
  let current = [...items];
  let granularity = 2;
  while (current.length >= 2 && !spent()) {
    const size = Math.ceil(current.length / granularity);
    const starts = Array.from({ length: Math.ceil(current.length / size) }, (_, i) => i * size);
    let reduced = false;
    for (const start of starts) {
      if (spent()) return current;
      const chunk = current.slice(start, start + size);
      if (await test(chunk)) {
        current = chunk;
        granularity = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      for (const start of starts) {
        if (spent()) return current;
        const complement = [...current.slice(0, start), ...current.slice(start + size)];
        if (await test(complement)) {
          current = complement;
          granularity = Math.max(granularity - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (granularity >= current.length) break;
      granularity = Math.min(granularity * 2, current.length);
    }
  }
  return current;
}

/** Counts each task's steps, which is what deviations are keyed on. */
class Progress {
  previous = -1;
  private readonly steps: number[] = [];

  stepsOf(task: number): number {
    return this.steps[task] ?? 0;
  }

  ran(task: number): void {
    this.steps[task] = this.stepsOf(task) + 1;
    this.previous = task;
  }
}

/** Replays a recorded schedule exactly and notes where it deviated from the default. */
function createDeviationRecorder(choices: readonly number[]): Strategy & { deviations(): Deviation[] } {
  const found: Deviation[] = [];
  let progress = new Progress();
  return {
    name: 'replay',
    startRun() {
      progress = new Progress();
      found.length = 0;
    },
    choose(candidates, step) {
      const chosen = Math.min(choices[step] ?? 0, candidates.length - 1);
      const task = candidates[chosen]!.taskIndex;
      const previous = progress.previous;
      if (task !== candidates[defaultChoice(candidates, previous, 'lowest')]!.taskIndex) {
        found.push({ task: previous, steps: progress.stepsOf(previous), target: task, preempts: isPreemption(candidates, task, previous) });
      }
      progress.ran(task);
      return chosen;
    },
    deviations: () => [...found],
  };
}

/** Follows the default policy except at the deviations, where it switches as they say if it can. */
function createGuidedStrategy(deviations: readonly Deviation[]): Strategy {
  const planned = new Map(deviations.map((d) => [`${d.task}:${d.steps}`, d]));
  let progress = new Progress();
  return {
    name: 'shrink',
    startRun() {
      progress = new Progress();
    },
    choose(candidates) {
      const previous = progress.previous;
      const deviation = planned.get(`${previous}:${progress.stepsOf(previous)}`);
      let chosen = -1;
      if (deviation) {
        chosen = deviation.target === undefined ? -1 : candidates.findIndex((c) => c.taskIndex === deviation.target);
        if (chosen === -1) chosen = fallbackChoice(candidates, previous, 'lowest', previous);
      }
      if (chosen === -1) chosen = defaultChoice(candidates, previous, 'lowest');
      progress.ran(candidates[chosen]!.taskIndex);
      return chosen;
    },
  };
}

function sameChoices(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((choice, i) => choice === b[i]);
}
