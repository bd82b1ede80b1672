/**
 * Seed article 001 ("asyncio.Lock vs threading.Lock"), "Common mistakes", 3 ("Mixing lock types"), and 000
 * ("When do I need locks"), "Mistake 2": a thread lock in async code, held across an await. The first task
 * takes it and awaits; the next one to try spins in acquire(), the event loop never gets control back, and
 * the first task can never resume to release it. The process hangs: racecheck ends the run after its
 * timeout (real time; the CLI runs scenarios in a worker it can terminate) and reports `timeout`.
 *
 * fixedThreadLockWithoutAwait is 001's "First attempt: threading.Lock": nothing awaits while the lock is
 * held, so it is never contended and the counter is right (the article's point is that it blocks the loop
 * while waiting, which cannot happen here). fixedAsyncLock is the fix for the mistake: an async Lock, whose
 * waiters yield.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario } from 'racecheck';
import { Lock } from 'racecheck/sync';
import { SpinLock } from './app/spin-lock.js';

interface State<L> {
  value: number;
  readonly lock: L;
}

const check = (s: State<unknown>) => s.value === 3 || `expected 3, got ${s.value}`;

export const buggyThreadLockAcrossAwait = defineScenario({
  name: 'thread lock: held across an await, the next acquire freezes the event loop',
  // The hang is certain on the first run; a short timeout keeps it cheap.
  timeoutMs: 500,
  setup: (): State<SpinLock> => ({ value: 0, lock: new SpinLock() }),
  tasks: Array.from({ length: 3 }, () => async (s: State<SpinLock>) => {
    s.lock.acquire();
    try {
      await sleep(1000);
      s.value += 1;
    } finally {
      s.lock.release();
    }
  }),
  check,
});

export const fixedThreadLockWithoutAwait = defineScenario({
  name: 'thread lock: never contended when nothing awaits while holding it',
  setup: (): State<SpinLock> => ({ value: 0, lock: new SpinLock() }),
  tasks: Array.from({ length: 3 }, () => async (s: State<SpinLock>) => {
    await Promise.resolve(); // the tasks interleave here, but never inside the lock
    s.lock.acquire();
    try {
      const current = s.value;
      s.value = current + 1;
    } finally {
      s.lock.release();
    }
  }),
  check,
});

export const fixedAsyncLock = defineScenario({
  name: 'thread lock: fixed with an async Lock, whose waiters yield',
  setup: (): State<Lock> => ({ value: 0, lock: new Lock() }),
  tasks: Array.from({ length: 3 }, () => async (s: State<Lock>) => {
    await s.lock.acquire();
    try {
      await sleep(1000);
      s.value += 1;
    } finally {
      s.lock.release();
    }
  }),
  check,
});
