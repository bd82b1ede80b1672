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
  /** When the run started and how long it may take (real milliseconds). */
  readonly startedAt: number;
  readonly timeoutMs: number;
}

const RESOLVED = Promise.resolve();

/** Resolves once the microtask queue is empty and stays so after any nextTick user code queued meanwhile. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => {
    let seen = context.userTicks;
    const check = (): void => {
      if (context.userTicks === seen) return resolve();
      seen = context.userTicks;
      RESOLVED.then(() => real.nextTick(check));
    };
    RESOLVED.then(() => real.nextTick(check));
  });
}

/** Runs `fn` as the phase named `phase`, driving virtual time and waiting for I/O until its promise settles. */
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
    const io = host.io();
    if (io.busy()) {
      await io.settle(real.performanceNow() + Math.min(1000, host.timeoutMs), () => done, true);
      continue;
    }
    const timer = host.clock.peek();
    if (timer) {
      host.clock.advance();
      host.fireTimer(timer);
      continue;
    }
    if (real.performanceNow() - host.startedAt > host.timeoutMs) {
      throw new Error(`${phase} did not finish within ${host.timeoutMs} ms`);
    }
    throw new Error(`${phase} never finished: it awaits something nothing will resolve`);
  }
  return settled;
}
