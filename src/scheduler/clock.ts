import type { Candidate } from './types.js';

/** The instant every run's virtual `Date` starts at: 2000-01-01T00:00:00.000Z. */
export const VIRTUAL_EPOCH = 946_684_800_000;
const TIMEOUT_MAX = 2 ** 31 - 1;

export type TimerKind = 'timeout' | 'interval' | 'immediate';

/**
 * A virtual timer. It doubles as the handle `setTimeout` returns, with the parts of Node's Timeout that
 * code relies on (ref/unref/refresh/close and coercion to a numeric id).
 */
export class VirtualTimer implements Candidate {
  readonly kind = 'timer';
  cleared = false;
  private referenced = true;

  constructor(
    private readonly clock: VirtualClock,
    readonly id: number,
    public due: number,
    readonly delay: number,
    readonly timerKind: TimerKind,
    readonly callback: (...args: unknown[]) => unknown,
    readonly args: readonly unknown[],
    /** The task that created it; firing it runs as that task. */
    readonly taskIndex: number,
  ) {}

  ref(): this {
    this.referenced = true;
    return this;
  }

  unref(): this {
    this.referenced = false;
    return this;
  }

  hasRef(): boolean {
    return this.referenced;
  }

  refresh(): this {
    if (!this.cleared) this.clock.reschedule(this, this.clock.now + this.delay);
    return this;
  }

  close(): this {
    this.clock.clear(this);
    return this;
  }

  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

/**
 * One run's virtual time: the current instant in milliseconds since the run started and its pending
 * timers, ordered by due time and then creation. Time only moves when the scheduler calls `advance`.
 */
export class VirtualClock {
  now = 0;
  private nextId = 1;
  private readonly timers: VirtualTimer[] = [];
  /** Created with the first timer: most runs have none. */
  private byId: Map<number, VirtualTimer> | undefined;

  add(
    kind: TimerKind,
    callback: (...args: unknown[]) => unknown,
    delay: unknown,
    args: readonly unknown[],
    taskIndex: number,
  ): VirtualTimer {
    const ms = kind === 'immediate' ? 0 : normalizeDelay(delay);
    const timer = new VirtualTimer(this, this.nextId++, this.now + ms, ms, kind, callback, args, taskIndex);
    (this.byId ??= new Map()).set(timer.id, timer);
    this.insert(timer);
    return timer;
  }

  /** Accepts a handle or its numeric id, like Node's clear* functions; anything else is ignored. */
  clear(handle: unknown): void {
    const timer = handle instanceof VirtualTimer ? handle : this.byId?.get(Number(handle));
    if (!timer || timer.cleared) return;
    timer.cleared = true;
    this.byId?.delete(timer.id);
    this.remove(timer);
  }

  owns(handle: unknown): boolean {
    return handle instanceof VirtualTimer || (typeof handle === 'number' && this.byId !== undefined && this.byId.has(handle));
  }

  reschedule(timer: VirtualTimer, due: number): void {
    this.remove(timer);
    timer.due = due;
    this.insert(timer);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Whether a timer is due at the current instant. */
  hasDue(): boolean {
    const first = this.timers[0];
    return first !== undefined && first.due <= this.now;
  }

  /** Pushes every timer due at the current instant onto `out`, earliest first. */
  collectDue(out: Candidate[]): void {
    for (const timer of this.timers) {
      if (timer.due > this.now) break;
      out.push(timer);
    }
  }

  /** Jumps to the earliest pending timer's due time. */
  advance(): void {
    const first = this.timers[0];
    if (first && first.due > this.now) this.now = first.due;
  }

  /** The earliest pending timer, if any. */
  peek(): VirtualTimer | undefined {
    return this.timers[0];
  }

  /**
   * Takes a timer out before its callback runs. An interval goes back in at `now + delay` unless its
   * callback clears it; a timeout is spent.
   */
  take(timer: VirtualTimer): void {
    this.remove(timer);
    if (timer.timerKind === 'interval') {
      timer.due = this.now + Math.max(timer.delay, 1);
      this.insert(timer);
    } else {
      timer.cleared = true;
      this.byId?.delete(timer.id);
    }
  }

  /** Drops every pending timer: the run is over. */
  dispose(): void {
    for (const timer of this.timers) timer.cleared = true;
    this.timers.length = 0;
    this.byId?.clear();
  }

  private insert(timer: VirtualTimer): void {
    let index = this.timers.length;
    while (index > 0) {
      const before = this.timers[index - 1]!;
      if (before.due < timer.due || (before.due === timer.due && before.id < timer.id)) break;
      index--;
    }
    this.timers.splice(index, 0, timer);
  }

  private remove(timer: VirtualTimer): void {
    const index = this.timers.indexOf(timer);
    if (index !== -1) this.timers.splice(index, 1);
  }
}

/** Node's rule: a delay that is not a number in [1, 2^31-1] becomes 1. */
function normalizeDelay(delay: unknown): number {
  const ms = Number(delay);
  return ms >= 1 && ms <= TIMEOUT_MAX ? ms : 1;
}
