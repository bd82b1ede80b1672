/**
 * The scheduling rules the run loop, the exhaustive search and the shrinker share: what a preemption is,
 * and which candidate the default schedule takes.
 */
import type { Candidate, CandidateIndex } from './types.js';

/**
 * Whether running `task` next switches away from `previousTask` although it could have gone on (one of
 * the candidates is its own). Switching when the previous task is blocked or done is free.
 */
export function isPreemption(candidates: readonly Candidate[], task: number, previousTask: number): boolean {
  return previousTask !== -1 && task !== previousTask && continuing(candidates, previousTask) !== -1;
}

/**
 * A candidate of `previousTask`, or -1: the default schedule keeps running the task that ran last. With
 * the run's index, the continuation it readied last, in O(1); without, the first in the list.
 */
export function continuing(candidates: readonly Candidate[], previousTask: number, index?: CandidateIndex): number {
  if (index) return previousTask === -1 ? -1 : index.indexOf(previousTask);
  for (let i = 0; i < candidates.length; i++) if (candidates[i]!.taskIndex === previousTask) return i;
  return -1;
}

/**
 * When the task that ran last cannot go on, which candidate the default schedule takes instead:
 * `first`, the first candidate; `lowest`, the lowest-numbered task's; `round-robin`, the next task after
 * the previous one in index order.
 */
export type Fallback = 'first' | 'lowest' | 'round-robin';

/** The default schedule's choice: keep running the task that ran last, else the fallback's. O(candidates) at most. */
export function defaultChoice(candidates: readonly Candidate[], previousTask: number, fallback: Fallback, index?: CandidateIndex): number {
  const same = continuing(candidates, previousTask, index);
  if (same !== -1) return same;
  if (fallback === 'first') return candidates.length > 0 ? 0 : -1;
  return fallbackChoice(candidates, previousTask, fallback);
}

/** The fallback's choice among candidates that are all other tasks' than `excluded` (or any, with -1). */
export function fallbackChoice(candidates: readonly Candidate[], previousTask: number, fallback: Fallback, excluded = -1): number {
  let best = -1;
  for (let i = 0; i < candidates.length; i++) {
    const task = candidates[i]!.taskIndex;
    if (task === excluded) continue;
    if (best === -1) {
      best = i;
      if (fallback === 'first') return i;
      continue;
    }
    const current = candidates[best]!.taskIndex;
    if (fallback === 'lowest' ? task < current : roundRobinDistance(task, previousTask) < roundRobinDistance(current, previousTask)) best = i;
  }
  return best;
}

/** How far `task` comes after `previousTask` in round robin: the task itself first, then those after it, wrapping around. */
export function roundRobinDistance(task: number, previousTask: number): number {
  return task === previousTask ? 0 : task > previousTask ? task - previousTask : task - previousTask + ROUND;
}

/** Larger than any task count: a task before the previous one comes after every task after it. */
const ROUND = 1 << 30;
