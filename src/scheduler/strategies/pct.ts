import { alea } from '../rng.js';
import type { Candidate, CandidateIndex, RunInfo, Strategy } from '../types.js';

export interface PctOptions {
  /** Bug depth d: d-1 priority change points per run. Default 3. */
  readonly depth?: number;
}

export const DEFAULT_PCT_DEPTH = 3;

/**
 * Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010). Each run
 * gives the tasks random distinct priorities d..d+n-1 and picks d-1 change points among the k steps; the
 * highest-priority ready task always runs, and at the i-th change point the running task drops to priority
 * d-i. A bug of depth d is found with probability at least 1/(n·k^(d-1)) per run, where uniform random
 * choice can need exponentially many runs for a task held back over many steps.
 * k is not known before a run, so it is the longest run seen so far in this scenario (at least 2n at first).
 */
export function createPctStrategy(options: PctOptions = {}): Strategy {
  const depth = options.depth ?? DEFAULT_PCT_DEPTH;
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`PCT depth must be a positive integer, got ${depth}`);
  let longestRun = 0;
  // Reused from run to run.
  const priorities: number[] = [];
  const order: number[] = [];
  /** The change points as drawn (the i-th lowers the running task to priority d-1-i), and their order by step. */
  const changePoints: number[] = [];
  const byStep: number[] = [];
  let cursor = 0;

  /** The tasks by priority, highest first: the initial order, then the lowered ones in the order they were lowered. */
  const ranked: number[] = [];

  const priorityOf = (task: number): number => priorities[task] ?? 0;
  const highest = (candidates: readonly Candidate[], index: CandidateIndex | undefined): number => {
    if (index) {
      // Down the ranking to the first task that can run, dropping settled tasks for good; past as many
      // waiting tasks as there are candidates, scanning the candidates is no dearer.
      let looked = 0;
      for (let i = 0; i < ranked.length && looked <= candidates.length; i++) {
        const task = ranked[i]!;
        const at = index.indexOf(task);
        if (at !== -1) return at;
        if (index.settled(task)) ranked.splice(i--, 1);
        else looked++;
      }
    }
    let best = 0;
    for (let i = 1; i < candidates.length; i++) {
      if (priorityOf(candidates[i]!.taskIndex) > priorityOf(candidates[best]!.taskIndex)) best = i;
    }
    return best;
  };
  /** Drops `task` to the bottom of the ranking (a change point lowers it below every task so far). */
  const lower = (task: number): void => {
    const at = ranked.indexOf(task);
    if (at !== -1) ranked.splice(at, 1);
    ranked.push(task);
  };

  return {
    name: 'pct',
    startRun(info: RunInfo) {
      const next = alea(`${info.seed}:pct`);
      // One slot more than the tasks: work outside any task (its index is taskCount) gets a priority too.
      const slots = info.taskCount + 1;
      order.length = slots;
      for (let i = 0; i < slots; i++) order[i] = i;
      for (let i = slots - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const swap = order[i]!;
        order[i] = order[j]!;
        order[j] = swap;
      }
      priorities.length = slots;
      for (let rank = 0; rank < slots; rank++) priorities[order[rank]!] = depth + rank;
      ranked.length = slots;
      for (let rank = 0; rank < slots; rank++) ranked[rank] = order[slots - 1 - rank]!;
      const k = Math.max(longestRun, 2 * slots);
      // A run can use at most one change point per step: a deeper bug depth draws no more than that.
      const points = Math.min(depth - 1, k);
      changePoints.length = points;
      byStep.length = points;
      for (let i = 0; i < points; i++) {
        changePoints[i] = 1 + Math.floor(next() * k);
        byStep[i] = i;
      }
      // By step, then by draw: at a step drawn twice, the first draw counts (as it always has).
      byStep.sort((a, b) => changePoints[a]! - changePoints[b]! || a - b);
      cursor = 0;
    },
    choose(candidates: readonly Candidate[], step: number, index?: CandidateIndex) {
      let chosen = highest(candidates, index);
      // Steps only grow within a run, so the next change point is found by walking forward: O(1) a step.
      while (cursor < byStep.length && changePoints[byStep[cursor]!]! < step + 1) cursor++;
      if (cursor < byStep.length && changePoints[byStep[cursor]!] === step + 1) {
        const task = candidates[chosen]!.taskIndex;
        priorities[task] = depth - 1 - byStep[cursor]!;
        lower(task);
        chosen = highest(candidates, index);
      }
      return chosen;
    },
    endRun(steps: number) {
      longestRun = Math.max(longestRun, steps);
    },
  };
}
