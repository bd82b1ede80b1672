import { continuing, defaultChoice, roundRobinDistance } from '../policy.js';
import type { Candidate, CandidateIndex, Strategy } from '../types.js';

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

/**
 * A decision of the current path, kept so the search can come back and take another branch. Its free
 * alternatives (those that cost nothing more) are explored depth-first; they are either a short list (the
 * other continuations of the task that could have gone on) or, when any candidate was free to run, every
 * index but the first choice, walked by a cursor: a frame is a few numbers whatever the candidate count.
 */
interface Frame {
  /** Candidates there were; a replay of the same choices must find as many. */
  readonly count: number;
  chosen: number;
  /** The choice the run made first here: the cursor skips it. */
  readonly first: number;
  /** Free alternatives still to try, when they are a list; null when every other index is free. */
  free: number[] | null;
  /** With `free` null: the next index the cursor tries. */
  next: number;
}

/**
 * Roots of subtrees still to explore at one cost level, as columns. A root is a prefix (the first
 * `depths[i]` choices of `paths[i]`, shared by every root one run made) and a cursor `params[i]` that says
 * which alternative to take at the decision after it: the next costly index to try (preemptions) or the
 * round-robin rank to take (delays). A cursor yields one alternative and puts its successor back: one root
 * per decision, not one per alternative, so a decision among thousands of candidates costs O(1) here.
 */
class RootQueue {
  private readonly paths: (readonly number[])[] = [];
  private readonly depths: number[] = [];
  private readonly params: number[] = [];
  private head = 0;

  get size(): number {
    return this.paths.length - this.head;
  }

  push(path: readonly number[], depth: number, param: number): void {
    this.paths.push(path);
    this.depths.push(depth);
    this.params.push(param);
  }

  /** The next root, or undefined when the queue is empty. */
  shift(): { readonly path: readonly number[]; readonly depth: number; readonly param: number } | undefined {
    if (this.head >= this.paths.length) return undefined;
    const i = this.head++;
    const root = { path: this.paths[i]!, depth: this.depths[i]!, param: this.params[i]! };
    if (this.head > 1024 && this.head * 2 > this.paths.length) {
      // Drop the consumed front so the arrays do not keep it alive.
      this.paths.splice(0, this.head);
      this.depths.splice(0, this.head);
      this.params.splice(0, this.head);
      this.head = 0;
    }
    return root;
  }
}

const DEFAULT_MAX_PENDING = 1_000_000;
/** A frame with no free alternative: shared, and never added to (`nextFree` only takes from a list that has items). */
const NONE: number[] = [];

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
 * dearer ones are queued as roots of later subtrees. A decision with a single candidate is no choice. Every
 * decision costs O(candidates) and keeps O(1) memory. Nothing else is pruned: partial-order reduction needs
 * to know which state each step reads and writes, and racecheck sees awaits, not memory accesses.
 */
export function createExhaustiveStrategy(options: ExhaustiveOptions = {}): Strategy {
  const bound = options.maxPreemptions;
  const order = options.order ?? 'preemptions';
  const fallback = order === 'preemptions' ? 'first' : 'round-robin';
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  const pending = new Map<number, RootQueue>();
  let pendingCount = 0;
  /** Set once a root was dropped: the search may then run out without having covered everything. */
  let truncated = false;
  let level = 0;
  let frames: Frame[] = [];
  /** Frames below this index belong to the subtree's root: fixed, not to backtrack into. */
  let rootLength = 0;
  /** The choices to replay, and for the root's last decision the cursor that picks its alternative. */
  let plan: readonly number[] = [];
  let planLength = 0;
  let rootParam = -1;
  let exhausted = false;
  let previousTask = -1;
  /** Cursor roots the current run found, waiting for its final path: depth and param, flattened. */
  const found: number[] = [];
  /**
   * The 0-based step where the current run stopped offering what an earlier run with the same choices
   * offered (real I/O timing, state left by an earlier run), or -1. Past it the run follows the default and
   * nothing of it is explored further; the search goes on elsewhere but can no longer claim completeness.
   */
  let diverged = -1;
  let everDiverged = false;

  const enqueue = (cost: number, path: readonly number[], depth: number, param: number): void => {
    if (bound !== undefined && cost > bound) return;
    if (pendingCount >= maxPending) {
      truncated = true;
      return;
    }
    let queue = pending.get(cost);
    if (!queue) pending.set(cost, (queue = new RootQueue()));
    queue.push(path, depth, param);
    pendingCount++;
  };

  const nextRoot = (): boolean => {
    while (bound === undefined || level <= bound) {
      const root = pending.get(level)?.shift();
      if (root) {
        pendingCount--;
        plan = root.path;
        planLength = root.depth;
        rootParam = root.param;
        rootLength = root.depth + 1;
        frames = [];
        return true;
      }
      pending.delete(level);
      if (![...pending.keys()].some((key) => key > level)) return false;
      level++;
    }
    return false;
  };

  /**
   * At the root's last decision: the alternative its cursor names, and the cursor's successor queued. Null
   * when the cursor has nothing left here (the candidates are as before, so this happens only at the end).
   */
  const resolveRoot = (candidates: readonly Candidate[], step: number): number | null => {
    if (order === 'preemptions') {
      // Costly alternatives: the candidates of other tasks than the one that could have gone on.
      let chosen = -1;
      let more = false;
      for (let i = rootParam; i < candidates.length; i++) {
        if (candidates[i]!.taskIndex === previousTask) continue;
        if (chosen === -1) chosen = i;
        else {
          more = true;
          break;
        }
      }
      if (chosen === -1) return null;
      if (more) enqueue(level, plan, step, chosen + 1);
      return chosen;
    }
    const chosen = rankedAt(candidates, previousTask, rootParam);
    if (chosen === -1) return null;
    if (rootParam + 1 < candidates.length) enqueue(level + 1, plan, step, rootParam + 1);
    return chosen;
  };

  return {
    name: 'exhaustive',
    bound,
    startRun() {
      previousTask = -1;
      found.length = 0;
      diverged = -1;
    },
    choose(candidates: readonly Candidate[], step: number, index?: CandidateIndex) {
      let frame = frames[step];
      let chosen: number;
      if (diverged === -1 && frame && frame.count !== candidates.length) diverged = step;
      if (diverged === -1 && !frame) {
        let planned: number | null | undefined = step < planLength ? plan[step] : undefined;
        if (step === planLength && rootParam !== -1) planned = resolveRoot(candidates, step);
        if (planned === null || (planned !== undefined && planned >= candidates.length)) diverged = step;
        else {
          const pick = planned ?? defaultChoice(candidates, previousTask, fallback, index);
          frame = { count: candidates.length, chosen: pick, first: pick, free: NONE, next: 0 };
          // Decisions inside the subtree's root are fixed; below it every other candidate is a branch.
          if (step >= rootLength && candidates.length > 1) branch(frame, candidates, step, index);
          frames[step] = frame;
        }
      }
      if (diverged !== -1) {
        everDiverged = true;
        chosen = defaultChoice(candidates, previousTask, fallback, index);
      } else {
        chosen = frame!.chosen;
      }
      previousTask = candidates[chosen]!.taskIndex;
      return chosen;
    },
    endRun(steps: number) {
      frames.length = Math.min(frames.length, diverged === -1 ? steps : diverged);
      if (found.length > 0) {
        const path = frames.map((f) => f.chosen);
        for (let i = 0; i < found.length; i += 3) enqueue(level + found[i + 2]!, path, found[i]!, found[i + 1]!);
      }
      // Backtrack to the deepest decision inside the current subtree with a free alternative left.
      for (let depth = frames.length - 1; depth >= rootLength; depth--) {
        const frame = frames[depth]!;
        const alternative = nextFree(frame);
        if (alternative === -1) continue;
        frame.chosen = alternative;
        frames.length = depth + 1;
        plan = frames.map((f) => f.chosen);
        planLength = plan.length;
        rootParam = -1;
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

  /** Notes a new decision's alternatives: its free ones in the frame, its dearer ones as one cursor root. */
  function branch(frame: Frame, candidates: readonly Candidate[], step: number, index: CandidateIndex | undefined): void {
    if (order === 'delays') {
      // Every alternative skips at least one candidate of round robin: rank r costs r.
      found.push(step, 1, 1);
      return;
    }
    const own = index ? index.count(previousTask) : continuing(candidates, previousTask) === -1 ? 0 : 2;
    if (own === 0) {
      // Any candidate was free to run: the cursor walks every other index.
      frame.free = null;
      return;
    }
    if (own === 1) {
      // Its one continuation is the choice: no free alternative; the first other candidate starts the costly cursor.
      const costly = frame.chosen === 0 ? 1 : 0;
      if (costly < candidates.length) found.push(step, costly, 1);
      return;
    }
    // The task that ran last could go on: its other continuations are free, every other task costs one.
    const free: number[] = [];
    let costly = -1;
    for (let i = 0; i < candidates.length; i++) {
      if (i === frame.chosen) continue;
      if (candidates[i]!.taskIndex === previousTask) free.push(i);
      else if (costly === -1) costly = i;
    }
    frame.free = free;
    if (costly !== -1) found.push(step, costly, 1);
  }
}

/** The next free alternative of a frame, or -1: from its list, or by its cursor over every other index. */
function nextFree(frame: Frame): number {
  if (frame.free) return frame.free.length === 0 ? -1 : frame.free.shift()!;
  if (frame.next === frame.first) frame.next++;
  if (frame.next >= frame.count) return -1;
  return frame.next++;
}

/** The candidate at round-robin rank `rank` after `previousTask` (0: the default), or -1. O(c log c), once per root. */
function rankedAt(candidates: readonly Candidate[], previousTask: number, rank: number): number {
  if (rank >= candidates.length) return -1;
  const order = Array.from({ length: candidates.length }, (_, i) => i);
  order.sort((a, b) => roundRobinDistance(candidates[a]!.taskIndex, previousTask) - roundRobinDistance(candidates[b]!.taskIndex, previousTask) || a - b);
  return order[rank]!;
}
