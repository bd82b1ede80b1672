/**
 * Seed article 001 ("asyncio.Lock vs threading.Lock"), "Common mistakes", 2: a blocking call inside the
 * critical section (`time.sleep(1)` under `async with lock`); 002 lists the same mistake ("Blocking
 * Operations Inside Critical Sections"). The async lock is right, but a synchronous sleep freezes the whole
 * event loop while it holds it: no other task, timer or I/O callback runs meanwhile. racecheck times the
 * synchronous part of every step and reports one longer than `maxBlockingMs` (default 100 ms) as
 * `blocked-loop`. The fix waits without blocking: `await` a timer, which is virtual time under racecheck.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario } from 'racecheck';
import { Lock } from 'racecheck/sync';

/** Python's time.sleep: blocks the thread, and with it the event loop, for `ms` milliseconds of real time. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface State {
  value: number;
  readonly lock: Lock;
}

const setup = (): State => ({ value: 0, lock: new Lock() });
const check = (s: State) => s.value === 3 || `expected 3, got ${s.value}`;

export const buggyBlockingSleep = defineScenario({
  name: 'blocking call: a synchronous sleep while holding the lock',
  setup,
  tasks: Array.from({ length: 3 }, () => async (s: State) => {
    await s.lock.acquire();
    try {
      sleepSync(150); // the article's time.sleep(1), shortened: 150 ms is already past the 100 ms limit
      s.value += 1;
    } finally {
      s.lock.release();
    }
  }),
  check,
});

export const fixedAsyncSleep = defineScenario({
  name: 'blocking call: fixed by awaiting a timer instead',
  setup,
  tasks: Array.from({ length: 3 }, () => async (s: State) => {
    await s.lock.acquire();
    try {
      await sleep(150); // yields: other tasks run (or queue on the lock) while this one waits
      s.value += 1;
    } finally {
      s.lock.release();
    }
  }),
  check,
});
