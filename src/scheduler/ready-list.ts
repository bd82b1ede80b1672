/**
 * The continuations ready to run, and what one decision offers of them. Every operation the step loop
 * makes on every step is O(1) here: a pause goes in and out, a task's count of ready pauses and where its
 * last one is are kept as they change, and the candidates are the list itself unless immediates or due
 * timers narrow or widen them.
 */
import { VirtualTimer, type VirtualClock } from './clock.js';
import { READY, type Pause } from './pause.js';
import type { Candidate, CandidateIndex } from './types.js';

/**
 * How many timers (an immediate included) may fire while a task is ready, before the task runs. A ready
 * continuation may wait behind a due timer (it stands for a latency), but not forever: a task that polls
 * with setImmediate until another sets a flag would otherwise be chosen again and again over that other
 * task's start, a livelock no Node program has (in Node a ready continuation runs before the next macrotask).
 */
const MAX_OVERTAKES = 3;

export class ReadyList {
  /** The ready pauses, in a deterministic order, not the order they became ready (their `seq` keeps that). */
  readonly pauses: Pause[] = [];
  /** The array the current decision's candidates are in: `pauses` itself, or a list of their own. */
  offered: readonly Candidate[] = [];
  /** What strategies may ask of a decision whose candidates are exactly `pauses`. */
  readonly index: CandidateIndex;
  private readonly candidates: Candidate[] = [];
  /** Counts pauses as they become ready (Pause.seq). */
  private seq = 0;
  /** Ready pauses per task: whether the task that ran last could have gone on, in O(1). */
  private readonly perTask: number[] = [];
  /** The pause each task readied last: where its continuation is in the list, in O(1). */
  private readonly lastReady: (Pause | undefined)[] = [];
  /** Immediate ready pauses per task, how many of them are not their task's oldest, and a stamp per task for collecting. */
  private readonly immediates: number[] = [];
  private queuedImmediates = 0;
  private readonly laneStamps: number[] = [];
  private readonly oldestImmediate: Pause[] = [];
  private stamp = 0;

  constructor(settled: (task: number) => boolean) {
    this.index = {
      count: (task) => this.perTask[task] ?? 0,
      settled,
      indexOf: (task) => {
        const last = this.lastReady[task];
        if (last !== undefined && last.slot !== -1) return last.slot;
        if ((this.perTask[task] ?? 0) === 0) return -1;
        const pauses = this.pauses;
        for (let i = 0; i < pauses.length; i++) if (pauses[i]!.taskIndex === task) return i;
        return -1;
      },
    };
  }

  get length(): number {
    return this.pauses.length;
  }

  /** How many pauses of `task` are ready. */
  countOf(task: number): number {
    return this.perTask[task] ?? 0;
  }

  /** Makes a pause ready; `timersFired` is the run's count of timers fired so far (see overtaken). */
  add(pause: Pause, timersFired: number): void {
    pause.state = READY;
    pause.slot = this.pauses.length;
    pause.seq = ++this.seq;
    pause.readyAtTimer = timersFired;
    this.pauses.push(pause);
    this.perTask[pause.taskIndex] = (this.perTask[pause.taskIndex] ?? 0) + 1;
    this.lastReady[pause.taskIndex] = pause;
    if (pause.immediate) {
      const lane = pause.taskIndex;
      const count = this.immediates[lane] ?? 0;
      if (count > 0) this.queuedImmediates++;
      this.immediates[lane] = count + 1;
    }
  }

  /** Takes a pause out in O(1): the last one takes its place. */
  remove(pause: Pause): void {
    const pauses = this.pauses;
    const last = pauses.pop()!;
    if (last !== pause) {
      pauses[pause.slot] = last;
      last.slot = pause.slot;
    }
    pause.slot = -1;
    this.perTask[pause.taskIndex]!--;
    if (pause.immediate) {
      const count = this.immediates[pause.taskIndex]!;
      if (count > 1) this.queuedImmediates--;
      this.immediates[pause.taskIndex] = count - 1;
    }
  }

  /**
   * Sets `offered` to this decision's candidates and returns how many: the ready pauses, of each task only
   * its oldest immediate one, and the clock's due timers unless a ready task was overtaken enough.
   */
  offer(clock: VirtualClock, timersFired: number): number {
    const due = clock.pending > 0 && clock.hasDue() && !this.overtaken(timersFired);
    if (!due && this.queuedImmediates === 0) {
      this.offered = this.pauses;
      return this.pauses.length;
    }
    const candidates = this.candidates;
    candidates.length = 0;
    if (this.queuedImmediates === 0) {
      for (const pause of this.pauses) candidates.push(pause);
    } else {
      // Each task's oldest immediate pause: found in one pass, offered in a second, in list order.
      const stamp = ++this.stamp;
      const oldest = this.oldestImmediate;
      for (const pause of this.pauses) {
        if (!pause.immediate) continue;
        const task = pause.taskIndex;
        if (this.laneStamps[task] !== stamp || pause.seq < oldest[task]!.seq) {
          this.laneStamps[task] = stamp;
          oldest[task] = pause;
        }
      }
      for (const pause of this.pauses) if (!pause.immediate || oldest[pause.taskIndex] === pause) candidates.push(pause);
    }
    if (due) clock.collectDue(candidates);
    this.offered = candidates;
    return candidates.length;
  }

  /** Whether `task` had a candidate of its own at this decision: a ready pause, or a due timer it armed. */
  offeredTo(task: number): boolean {
    if ((this.perTask[task] ?? 0) > 0) return true;
    const offered = this.offered;
    if (offered === this.pauses) return false;
    for (let i = offered.length - 1; i >= 0 && offered[i] instanceof VirtualTimer; i--) if (offered[i]!.taskIndex === task) return true;
    return false;
  }

  /**
   * The pauses that I/O readied during one wait are at the end of the list (from `from` on) in the order
   * their I/O landed, which changes from run to run (three reads in flight at once): they are put in the
   * order they paused, so that a strategy's choice picks the same continuation in every run.
   */
  orderLanded(from: number): void {
    const pauses = this.pauses;
    const count = pauses.length - from;
    if (count < 2) return;
    const landed = pauses.slice(from).sort((a, b) => a.created - b.created);
    const firstSeq = this.seq - count + 1;
    for (let i = 0; i < count; i++) {
      const pause = landed[i]!;
      pauses[from + i] = pause;
      pause.slot = from + i;
      pause.seq = firstSeq + i;
      this.lastReady[pause.taskIndex] = pause;
    }
  }

  /** Whether a ready task has seen MAX_OVERTAKES timers fire since it became ready: no timer is offered then. */
  private overtaken(timersFired: number): boolean {
    const limit = timersFired - MAX_OVERTAKES;
    if (limit < 0) return false;
    for (const pause of this.pauses) if (pause.readyAtTimer <= limit) return true;
    return false;
  }
}
