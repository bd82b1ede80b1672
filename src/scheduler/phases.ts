/**
 * The parts of a run that are not tasks: setup, check and teardown. Their awaits are native, but the
 * virtual timers they wait on fire in due order (no choices, no steps) and the real I/O they wait on is
 * waited for.
 */
import { context, real } from './context.js';
import type { VirtualClock, VirtualTimer } from './clock.js';
import type { IoWatch } from './io.js';
import { isThenable } from './outcome.js';

export interface PhaseHost {
  readonly clock: VirtualClock;
  io(): IoWatch;
  fireTimer(timer: VirtualTimer): void;
  /**
   * Until when (real time) a wait may hold the next timer back, as it does between steps: as long as the
   * timer would really take, within the run's budget, while I/O is evidently under way; 0 otherwise.
   */
  holdTimerUntil(io: IoWatch, now: number): number;
  /**
   * Takes over the timers earlier runs left pending (clock.ts adoptCarried), once a run, at what would be a
   * phase that never finishes or a deadlock; whether it took any.
   */
  adoptCarried(): boolean;
  /** A wait that held timers back until `holdUntil` ended: what it spent counts against the run's budget. */
  heldTimer(since: number, holdUntil: number): void;
  /** The real time by which the phase must have settled (read at each turn: a confirming replay moves it on by the thread's waits for a CPU). */
  phaseDeadline(phase: string): number;
  readonly timeoutMs: number;
}

const RESOLVED = Promise.resolve();

/**
 * A phase still waiting at its deadline. Real time alone can cause it (a setup waiting for a server it
 * started, slow to listen while the cores are busy), so a run whose setup overran is run again before it
 * is reported (confirm.ts, rerunOverranSetup). Its name stays Error's: the message users see is unchanged.
 */
export class PhaseDeadlineError extends Error {
  constructor(
    readonly phase: string,
    timeoutMs: number,
  ) {
    super(`${phase} did not finish within ${timeoutMs} ms`);
  }
}

/**
 * Resolves once the microtask queue is empty and stays so after any nextTick user code queued meanwhile.
 * A check runs in a nextTick once the microtasks before it have run; but nextTicks queued before the drain
 * began (a server's close callback) run in the same batch just before it, and the promise chains they start
 * run after it. So it takes two quiet checks in a row: the second comes after those chains, whatever their depth.
 */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => {
    let seen = context.userTicks;
    let quiet = 0;
    const check = (): void => {
      if (context.userTicks === seen) {
        if (++quiet === 2) return resolve();
      } else {
        seen = context.userTicks;
        quiet = 0;
      }
      RESOLVED.then(() => real.nextTick(check));
    };
    RESOLVED.then(() => real.nextTick(check));
  });
}

/** With a virtual timer pending, how long a phase waits for I/O before the clock may move. */
const PATIENCE_MS = 1000;
/** Real turns of the event loop in which nothing happened before a phase is called stuck, or a run deadlocked (run.ts lastLook). */
export const LAST_LOOK_TURNS = 3;

/**
 * Runs `fn` as the phase named `phase`, driving virtual time and waiting for I/O until its promise settles.
 * I/O in flight is waited for first (it takes no virtual time); then the clock moves to the next timer; a
 * phase still waiting at its deadline (the host's phaseDeadline) fails.
 */
export async function runPhase<T>(host: PhaseHost, phase: string, fn: () => T | PromiseLike<T>): Promise<T> {
  const value = fn();
  if (!isThenable(value)) return value;
  let done = false;
  const settled = Promise.resolve(value).finally(() => {
    done = true;
  });
  settled.catch(() => undefined);
  while (!done) {
    await drainMicrotasks();
    if (done) break;
    const deadline = host.phaseDeadline(phase);
    if (real.performanceNow() > deadline) throw new PhaseDeadlineError(phase, host.timeoutMs);
    const io = host.io();
    const timer = host.clock.peek();
    if (io.busy()) {
      const now = real.performanceNow();
      // A pending timer (a client's 30 s connect timeout, a query timeout) waits for an answer on its way as
      // it does between steps; a timer an I/O callback arms (a write queued with setImmediate) ends the wait.
      // A timer due now (an immediate) fires after what lands at once, as between steps.
      const due = host.clock.hasDue();
      const holdUntil = timer && !due ? host.holdTimerUntil(io, now) : 0;
      const limit = timer ? Math.min(deadline, Math.max(now + PATIENCE_MS, holdUntil)) : deadline;
      const armed = host.clock.armed;
      const outcome = await io.settle(limit, () => done || host.clock.armed !== armed, due ? 'eager' : 'patient', holdUntil);
      if (holdUntil > 0) host.heldTimer(now, holdUntil);
      if (outcome === 'progress' || done || ((outcome === 'requests' || outcome === 'handles') && !timer)) continue;
    }
    if (timer) {
      host.clock.advance();
      host.fireTimer(timer);
      continue;
    }
    // Open handles that stayed quiet may still answer in real time (a keep-alive socket's own timeout): the deadline bounds it.
    if (io.busy()) continue;
    // Before concluding, real turns of the event loop: what Node finishes in a later phase (a handle's close
    // callback comes in the close phase, after the check phase where an immediate runs) may still resolve it.
    let moved = false;
    for (let turn = 0; turn < LAST_LOOK_TURNS && !moved; turn++) {
      await new Promise((resolve) => real.setImmediate(resolve));
      await drainMicrotasks();
      moved = done || io.busy() || host.clock.peek() !== undefined;
    }
    // A timer an earlier run left pending would still fire in Node.
    if (moved || host.adoptCarried()) continue;
    throw new Error(`${phase} never finished: it awaits something nothing will resolve`);
  }
  return settled;
}
