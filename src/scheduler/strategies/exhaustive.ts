import { defaultChoice, isPreemption, roundRobinDistance } from '../policy.js';
import type { Candidate, Strategy } from '../types.js';

export interface ExhaustiveOptions {
  /** Explore only schedules with at most this many preemptions (or delays). Default: no bound. */
  readonly maxPreemptions?: number | undefined;
  /**
   * How many subtree roots may wait to be explored. Past it, new ones are dropped and the search can no
   * longer end with a complete verdict: the frontier of a search too big to finish must not grow without end.
   */
  readonly maxPending?: number;
  /**
   * What a schedule's cost counts, and so the order schedules are explored in (cheapest first):
   * `preemptions` (iterative context bounding; the default) or `delays` (delay bounding).
   */
  readonly order?: 'preemptions' | 'delays';
}

/** A decision of the current path, kept so the search can come back and take another branch. */
interface Frame {
  /** Candidates there were; a replay of the same choices must find as many. */
  readonly count: number;
  chosen: number;
  /** Alternatives that cost nothing more (explored depth-first in this subtree), in candidate order. */
  readonly untried: number[];
}

/**
 * The roots of subtrees still to explore at one cost level, as columns: root i starts with the first
 * `depths[i]` choices of `paths[i]` (shared by every root one run created), then `alternatives[i]`.
 */
class RootQueue {
  private readonly paths: (readonly number[])[] = [];
  private readonly depths: number[] = [];
  private readonly alternatives: number[] = [];
  private head = 0;

  get size(): number {
    return this.paths.length - this.head;
  }

  push(path: readonly number[], depth: number, alternative: number): void {
    this.paths.push(path);
    this.depths.push(depth);
    this.alternatives.push(alternative);
  }

  /** The next root's choices, or undefined when the queue is empty. */
  shift(): number[] | undefined {
    if (this.head >= this.paths.length) return undefined;
    const i = this.head++;
    const plan = [...this.paths[i]!.slice(0, this.depths[i]!), this.alternatives[i]!];
    if (this.head > 1024 && this.head * 2 > this.paths.length) {
      // Drop the consumed front so the arrays do not keep it alive.
      this.paths.splice(0, this.head);
      this.depths.splice(0, this.head);
      this.alternatives.splice(0, this.head);
      this.head = 0;
    }
    return plan;
  }
}

const NO_ALTERNATIVES: number[] = [];
const DEFAULT_MAX_PENDING = 1_000_000;

/**
 * Depth-first enumeration of every schedule, cheapest first. With `preemptions` (the `exhaustive`
 * strategy), the cost of a schedule is how often it switched away from a task that could have gone on
 * (iterative context bounding, as in CHESS: Musuvathi and Qadeer, PLDI 2007): switching when a task is
 * blocked or finished is free, so all schedules with c preemptions run before any with c+1. With `delays`
 * (Emmi, Qadeer and Rakamarić, POPL 2011), the default is round robin and every departure from it costs
 * how many candidates it skips: bound 0 is a single schedule, so the first few bounds stay small even
 * with many tasks.
 *
 * Each schedule is a fresh run (stateless search): the root's choices are replayed, and past them the
 * default is taken. At every decision, alternatives of equal cost are explored depth-first right away and
 * dearer ones are queued as roots of later subtrees. A decision with a single candidate is no choice.
 * Nothing else is pruned: partial-order reduction needs to know which state each step reads and writes,
 * and racecheck sees awaits, not memory accesses (see the README).
 */
export function createExhaustiveStrategy(options: ExhaustiveOptions = {}): Strategy {
  const bound = options.maxPreemptions;
  const order = options.order ?? 'preemptions';
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  const pending = new Map<number, RootQueue>();
  let pendingCount = 0;
  /** Set once a root was dropped: the search may then run out without having covered everything. */
  let truncated = false;
  let started = false;
  let level = 0;
  let frames: Frame[] = [];
  /** Frames below this index belong to the subtree's root: fixed, not to backtrack into. */
  let rootLength = 0;
  let plan: number[] = [];
  let exhausted = false;
  let previousTask = -1;
  /** Roots found in the current run, waiting for its final path: depth, alternative, cost, flattened. */
  const found: number[] = [];
  /**
   * The 0-based step where the current run stopped offering what an earlier run with the same choices
   * offered (real I/O timing, state left by an earlier run), or -1. Past it the run follows the default and
   * nothing of it is explored further; the search goes on elsewhere but can no longer claim completeness.
   */
  let diverged = -1;
  let everDiverged = false;

  const nextRoot = (): boolean => {
    while (bound === undefined || level <= bound) {
      const root = pending.get(level)?.shift();
      if (root) {
        pendingCount--;
        plan = root;
        rootLength = plan.length;
        frames = [];
        return true;
      }
      pending.delete(level);
      if (![...pending.keys()].some((key) => key > level)) return false;
      level++;
    }
    return false;
  };

  /** What taking candidate `i` costs beyond the default, given the task that ran last. */
  const costOf = (candidates: readonly Candidate[], i: number, chosen: number): number => {
    if (order === 'preemptions') return isPreemption(candidates, candidates[i]!.taskIndex, previousTask) ? 1 : 0;
    return roundRobinRank(candidates, i, previousTask) - roundRobinRank(candidates, chosen, previousTask);
  };

  return {
    name: 'exhaustive',
    bound,
    startRun() {
      previousTask = -1;
      found.length = 0;
      diverged = -1;
      if (!started) {
        // The first run is the root of everything: the default schedule.
        started = true;
        plan = [];
        rootLength = 0;
      }
    },
    choose(candidates: readonly Candidate[], step: number) {
      const fallback = order === 'preemptions' ? 'first' : 'round-robin';
      let frame = frames[step];
      // A decision on the path being replayed must offer what it offered before.
      const planned = frame ? undefined : plan[step];
      if (diverged === -1 && ((frame && frame.count !== candidates.length) || (planned !== undefined && planned >= candidates.length))) {
        diverged = step;
        everDiverged = true;
      }
      if (diverged !== -1) {
        const chosen = defaultChoice(candidates, previousTask, fallback);
        previousTask = candidates[chosen]!.taskIndex;
        return chosen;
      }
      if (!frame) {
        const chosen = planned ?? defaultChoice(candidates, previousTask, fallback);
        let untried = NO_ALTERNATIVES;
        // Decisions inside the subtree's root are fixed; below it every other candidate is a branch.
        if (step >= rootLength) {
          for (let i = 0; i < candidates.length; i++) {
            if (i === chosen) continue;
            const cost = costOf(candidates, i, chosen);
            if (cost === 0) {
              if (untried === NO_ALTERNATIVES) untried = [];
              untried.push(i);
            } else if (bound === undefined || level + cost <= bound) {
              found.push(step, i, cost);
            }
          }
        }
        frame = { count: candidates.length, chosen, untried };
        frames[step] = frame;
      }
      previousTask = candidates[frame.chosen]!.taskIndex;
      return frame.chosen;
    },
    endRun(steps: number) {
      frames.length = Math.min(frames.length, diverged === -1 ? steps : diverged);
      if (found.length > 0) {
        const path = frames.map((f) => f.chosen);
        for (let i = 0; i < found.length; i += 3) {
          if (pendingCount >= maxPending) {
            truncated = true;
            break;
          }
          const cost = found[i + 2]!;
          let queue = pending.get(level + cost);
          if (!queue) pending.set(level + cost, (queue = new RootQueue()));
          queue.push(path, found[i]!, found[i + 1]!);
          pendingCount++;
        }
      }
      // Backtrack to the deepest decision inside the current subtree with a free alternative left.
      for (let depth = frames.length - 1; depth >= rootLength; depth--) {
        const frame = frames[depth]!;
        const alternative = frame.untried.shift();
        if (alternative === undefined) continue;
        frame.chosen = alternative;
        frames.length = depth + 1;
        plan = frames.map((f) => f.chosen);
        return;
      }
      if (!nextRoot()) exhausted = true;
    },
    hasMore() {
      return !exhausted;
    },
    covered() {
      return exhausted && !truncated && !everDiverged;
    },
    diverged() {
      return diverged === -1 ? undefined : diverged + 1;
    },
  };
}

/**
 * A candidate's place in round robin after `previousTask`: the task itself first, then the tasks after it
 * in index order, wrapping around; a task's own candidates in order.
 */
function roundRobinRank(candidates: readonly Candidate[], i: number, previousTask: number): number {
  const task = candidates[i]!.taskIndex;
  const distance = (task: number) => roundRobinDistance(task, previousTask);
  let rank = 0;
  for (let j = 0; j < candidates.length; j++) {
    const other = candidates[j]!.taskIndex;
    if (distance(other) < distance(task) || (distance(other) === distance(task) && j < i)) rank++;
  }
  return rank;
}
