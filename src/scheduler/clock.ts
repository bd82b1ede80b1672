import { AsyncResource } from 'node:async_hooks';
import type { Candidate } from './types.js';

/** Where a timer refreshed after its run ended goes: the running run's clock and task (virtual-globals.ts sets it). */
let adoptingRun: () => { readonly clock: VirtualClock; readonly taskIndex: number } | undefined = () => undefined;

export function setAdoptingRun(find: typeof adoptingRun): void {
  adoptingRun = find;
}

/**
 * Timers that were pending when their run ended, newest last. In Node they would still fire, and module
 * state often counts on it (a batcher that armed one flush and remembers it did): a later run that would
 * otherwise be a deadlock takes them over first (adoptCarried). Held strongly, as Node's timer lists hold
 * a pending timer, and bounded: past CARRY_LIMIT the oldest are dropped for good.
 */
const carried = new Map<VirtualTimer, number>();
const CARRY_LIMIT = 256;
/**
 * The numeric ids of the carried timers, with how many hold each. A run's own timers skip them: code may
 * still clear a carried timer by its number, and in Node no two pending timers share one.
 */
const carriedIds = new Map<number, number>();

/** Keeps a timer its run no longer fires, newest last, `remaining` ms from due. */
function carry(timer: VirtualTimer, remaining: number): void {
  uncarry(timer);
  carried.set(timer, Math.max(remaining, 0));
  carriedIds.set(timer.id, (carriedIds.get(timer.id) ?? 0) + 1);
  for (const [oldest] of carried) {
    if (carried.size <= CARRY_LIMIT) break;
    uncarry(oldest);
  }
}

function uncarry(timer: VirtualTimer): void {
  if (!carried.delete(timer)) return;
  const holders = carriedIds.get(timer.id)!;
  if (holders === 1) carriedIds.delete(timer.id);
  else carriedIds.set(timer.id, holders - 1);
}

/**
 * Moves the timers earlier runs left pending, and that keep Node's event loop alive, into `clock`, each due
 * as long after now as it had left when its run ended; firing one runs as `taskIndex`. Returns how many.
 */
export function adoptCarried(clock: VirtualClock, taskIndex: number): number {
  let adopted = 0;
  for (const [timer, remaining] of carried) {
    if (!timer.hasRef()) continue;
    uncarry(timer);
    timer.adopt(clock, taskIndex, remaining);
    adopted++;
  }
  return adopted;
}

/** The instant every run's virtual `Date` starts at: 2000-01-01T00:00:00.000Z. */
export const VIRTUAL_EPOCH = 946_684_800_000;
/**
 * What performance.now() reads at a run's first instant: an hour after the process's start. Never 0, which
 * no real process reads and which code takes for "not set" (lru-cache's TTL start: its entries never expired).
 */
export const VIRTUAL_PERFORMANCE_START = 3_600_000;
/** What process.hrtime reads, in ns, where performance.now() reads 0: it reads the same clock in finer units. */
export const VIRTUAL_HRTIME_ORIGIN = 1_000_000_000_000n;
const TIMEOUT_MAX = 2 ** 31 - 1;

export type TimerKind = 'timeout' | 'interval' | 'immediate';

/**
 * A virtual timer. It doubles as the handle `setTimeout` returns, with the parts of Node's Timeout that
 * code relies on (ref/unref/refresh/close and coercion to a numeric id).
 */
export class VirtualTimer implements Candidate {
  readonly kind = 'timer';
  /** Not pending: cleared, fired (a timeout), or dropped with its run. Only a cleared one stays so for good. */
  cleared = false;
  /** clearTimeout/clearInterval (or close) took it: refresh leaves it alone, as Node does. */
  private revoked = false;
  /** Its callback only settles a promise someone awaits (timers/promises, ctx.sleep): a wait, not code of its own. */
  wakes = false;
  /** When it went into its clock's list (created, re-armed or refreshed): Node's timer lists are FIFO. */
  seq = 0;
  private referenced = true;
  /** Taken over from an earlier run (adoptCarried): an interval then fires once in this run, not for ever. */
  adopted = false;
  /**
   * The async context it was created in: Node runs a timer's callback there, so an AsyncLocalStorage store
   * (a request's id, a trace) set around setTimeout is the callback's too.
   */
  private readonly scope = new AsyncResource('racecheck.timer');

  constructor(
    private clock: VirtualClock,
    readonly id: number,
    public due: number,
    readonly delay: number,
    readonly timerKind: TimerKind,
    readonly callback: (...args: unknown[]) => unknown,
    readonly args: readonly unknown[],
    /** The task that created it (or refreshed it into a later run); firing it runs as that task. */
    public taskIndex: number,
  ) {}

  /**
   * Runs the callback with its arguments, in the context the timer was created in; `within` (a recording
   * replay's: the lane the callback runs in) wraps the call inside that context.
   */
  invoke(within?: (call: () => unknown) => unknown): unknown {
    if (!within) return this.scope.runInAsyncScope(this.callback, this, ...this.args);
    return this.scope.runInAsyncScope(() => within(() => this.callback.call(this, ...this.args)));
  }

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

  /**
   * Re-arms it `delay` from now, as Node does, also once it fired ("using this on a timer that has already
   * called its callback will reactivate the timer": undici's fast timers tick that way). A timer of a run
   * that ended (dropped with it) joins the run that refreshes it, as that run's task's; outside a run it
   * stays dropped. A cleared timer stays cleared.
   */
  refresh(): this {
    if (this.revoked) return this;
    this.adopted = false;
    if (this.clock.disposed) {
      const run = adoptingRun();
      if (run === undefined) return this;
      uncarry(this);
      this.clock = run.clock;
      this.taskIndex = run.taskIndex;
    }
    if (this.cleared) this.clock.revive(this);
    else this.clock.reschedule(this, this.clock.now + this.delay);
    return this;
  }

  close(): this {
    this.clock.clear(this);
    return this;
  }

  /** Joins `clock`'s run, as `taskIndex`'s, due `remaining` ms from its now (adoptCarried). */
  adopt(clock: VirtualClock, taskIndex: number, remaining: number): void {
    this.adopted = true;
    this.clock = clock;
    this.taskIndex = taskIndex;
    clock.revive(this, remaining);
  }

  /** `using timer = setTimeout(...)` clears it at the end of the block, as Node's Timeout and Immediate do. */
  [Symbol.dispose](): void {
    this.clock.clear(this);
  }

  /** Called by its clock's clear. */
  revoke(): void {
    this.revoked = true;
    this.cleared = true;
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
  /** Its run is over: its timers were dropped. */
  disposed = false;
  /** Told of every timer created; set only in a recording replay (observer.ts). */
  onAdd: ((timer: VirtualTimer) => void) | undefined = undefined;
  /** Timers armed so far (created, re-armed, refreshed): a wait for I/O ends when an I/O callback arms one. */
  armed = 0;
  private nextId = 1;
  private nextSeq = 1;
  /** The delays seen while collecting due timers (reused: collecting happens at every step with a due timer). */
  private readonly delays: number[] = [];
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
    // Past the ids of the timers earlier runs left: carried ones, and those taken over into this run.
    while (carriedIds.has(this.nextId) || this.byId?.has(this.nextId)) this.nextId++;
    const timer = new VirtualTimer(this, this.nextId++, this.now + ms, ms, kind, callback, args, taskIndex);
    (this.byId ??= new Map()).set(timer.id, timer);
    this.insert(timer);
    this.onAdd?.(timer);
    return timer;
  }

  /** Accepts a handle or its numeric id, like Node's clear* functions; anything else is ignored. */
  clear(handle: unknown): void {
    const timer = handle instanceof VirtualTimer ? handle : this.byId?.get(Number(handle));
    if (!timer) return;
    const pending = !timer.cleared;
    // A fired or dropped timer is revoked too: a later refresh must not revive what the program cleared.
    timer.revoke();
    uncarry(timer);
    if (!pending) return;
    this.byId?.delete(timer.id);
    this.remove(timer);
  }

  /** Puts a timer that fired, or one of an ended run, back in the list, `after` ms (its delay) from now. */
  revive(timer: VirtualTimer, after = timer.delay): void {
    timer.cleared = false;
    timer.due = this.now + after;
    const byId = (this.byId ??= new Map());
    if (!byId.has(timer.id)) byId.set(timer.id, timer);
    this.insert(timer);
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

  /**
   * Whether a timer that keeps Node's event loop alive is pending. When every task waits and only unref'd
   * timers are left (the connection-checking interval of an http server, say), Node would have nothing
   * left to do: it is a deadlock, not a reason to move time on forever.
   */
  hasReferenced(): boolean {
    for (const timer of this.timers) if (timer.hasRef()) return true;
    return false;
  }

  /** Whether a timer is due at the current instant. */
  hasDue(): boolean {
    const first = this.timers[0];
    return first !== undefined && first.due <= this.now;
  }

  /**
   * Pushes onto `out` the due timers Node could fire next: the oldest pending setImmediate (they fire in
   * the order they were created) and, for each delay, the oldest due timer with that delay (timers with the
   * same delay fire in the order they were armed). Timers with different delays that fall due at the same
   * instant may fire in either order, and so may an immediate and a timer. Time moves only when nothing is
   * due, so every due timer is due at this very instant.
   */
  collectDue(out: Candidate[]): void {
    const delays = this.delays;
    delays.length = 0;
    let immediate = false;
    for (const timer of this.timers) {
      if (timer.due > this.now) break;
      if (timer.timerKind === 'immediate') {
        if (immediate) continue;
        immediate = true;
      } else {
        if (delays.includes(timer.delay)) continue;
        delays.push(timer.delay);
      }
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
   * callback clears it (one taken over from an earlier run is carried on instead); a timeout is spent.
   */
  take(timer: VirtualTimer): void {
    this.remove(timer);
    if (timer.timerKind === 'interval' && !timer.adopted) {
      timer.due = this.now + Math.max(timer.delay, 1);
      this.insert(timer);
      return;
    }
    timer.cleared = true;
    this.byId?.delete(timer.id);
    // An adopted interval fires once in this run: a stale one would otherwise turn a true deadlock into a run
    // that never ends. Later runs may take it again.
    if (timer.timerKind === 'interval') carry(timer, timer.delay);
  }

  /** Drops every pending timer from the run, which is over; a later run may still take them over (adoptCarried). */
  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers) {
      timer.cleared = true;
      carry(timer, timer.due - this.now);
    }
    this.timers.length = 0;
    this.byId?.clear();
  }

  private insert(timer: VirtualTimer): void {
    this.armed++;
    timer.seq = this.nextSeq++;
    let index = this.timers.length;
    while (index > 0) {
      const before = this.timers[index - 1]!;
      if (before.due <= timer.due) break;
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
