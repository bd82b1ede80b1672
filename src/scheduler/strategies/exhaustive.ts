import type { Candidate, Strategy } from '../types.js';

export interface ExhaustiveOptions {
  /** Explore only schedules with at most this many preemptions. Default: no bound. */
  readonly maxPreemptions?: number | undefined;
}

/** A decision of the current path, kept so the search can come back and take another branch. */
interface Frame {
  /** Candidates there were; a replay of the same choices must find as many. */
  readonly count: number;
  chosen: number;
  /** Free alternatives (no preemption) still to try from this decision, in candidate order. */
  readonly untried: number[];
}

/** The program made different candidates for the same choices: exhaustive search needs a deterministic scenario. */
export class NondeterminismError extends Error {
  readonly code = 'RACECHECK_NONDETERMINISM';
  constructor(step: number, expected: number, actual: number) {
    super(
      `the scenario is not deterministic: replaying the same choices gave ${actual} candidates at step ${step} where an earlier run had ${expected}; exhaustive search cannot cover it (does it depend on real I/O timing or on state left by earlier runs?)`,
    );
    this.name = 'NondeterminismError';
  }
}

/**
 * Depth-first enumeration of every schedule, in order of increasing preemptions (iterative context
 * bounding, as in CHESS: Musuvathi and Qadeer, PLDI 2007). A preemption is switching away from a task that
 * could have gone on; switching when it is blocked or finished is free. Schedules with c preemptions are all
 * run before any with c+1: each decision's free alternatives are explored depth-first right away, and its
 * preempting alternatives are queued as the roots of the next bound's subtrees.
 *
 * Each schedule is a fresh run (stateless search): the prefix of recorded choices is replayed, and past it
 * the default is to keep running the current task, else the first candidate. A decision with a single
 * candidate is no choice and costs nothing. Nothing else is pruned; see the README on reduction.
 */
export function createExhaustiveStrategy(options: ExhaustiveOptions = {}): Strategy & { readonly bound: number | undefined } {
  const bound = options.maxPreemptions;
  /** Roots of subtrees still to explore, by their number of preemptions: each a prefix of choices. */
  const pending = new Map<number, number[][]>([[0, [[]]]]);
  let level = 0;
  let frames: Frame[] = [];
  /** Frames below this index belong to the subtree's root prefix: fixed, not to backtrack into. */
  let rootLength = 0;
  let plan: number[] = [];
  let exhausted = false;
  let previousTask = -1;

  const nextRoot = (): boolean => {
    while (bound === undefined || level <= bound) {
      const queue = pending.get(level);
      const root = queue?.shift();
      if (root) {
        plan = root;
        rootLength = root.length;
        frames = [];
        return true;
      }
      pending.delete(level);
      if (![...pending.keys()].some((key) => key > level)) return false;
      level++;
    }
    return false;
  };
  nextRoot();

  const defer = (prefix: readonly number[], alternative: number): void => {
    const next = level + 1;
    if (bound !== undefined && next > bound) return;
    const queue = pending.get(next) ?? [];
    queue.push([...prefix, alternative]);
    pending.set(next, queue);
  };

  return {
    name: 'exhaustive',
    bound,
    startRun() {
      previousTask = -1;
    },
    choose(candidates: readonly Candidate[], step: number) {
      const previousEnabled = candidates.some((c) => c.taskIndex === previousTask);
      let frame = frames[step];
      if (frame) {
        // A decision on the path being replayed: the program must offer what it offered before.
        if (frame.count !== candidates.length) throw new NondeterminismError(step + 1, frame.count, candidates.length);
      } else {
        const planned = plan[step];
        if (planned !== undefined && planned >= candidates.length) throw new NondeterminismError(step + 1, planned + 1, candidates.length);
        const chosen = planned ?? (previousEnabled ? candidates.findIndex((c) => c.taskIndex === previousTask) : 0);
        const untried: number[] = [];
        // Decisions inside the subtree's root prefix are fixed; below it every other candidate is a branch.
        if (step >= rootLength) {
          const prefix = frames.map((f) => f.chosen);
          candidates.forEach((candidate, i) => {
            if (i === chosen) return;
            if (previousEnabled && candidate.taskIndex !== previousTask) defer(prefix, i);
            else untried.push(i);
          });
        }
        frame = { count: candidates.length, chosen, untried };
        frames[step] = frame;
      }
      previousTask = candidates[frame.chosen]!.taskIndex;
      return frame.chosen;
    },
    endRun(steps: number) {
      frames.length = Math.min(frames.length, steps);
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
  };
}
