/**
 * Seed article 002 ("how to use asyncio.Lock"), "Example 3: Using asyncio.wait_for with asyncio.Lock", and
 * its "Common Mistakes": releasing a lock the task does not hold. The article acquires with a timeout and,
 * in `finally`, releases `if lock.locked()`. But locked() says that *some* task holds the lock, not this
 * one: a task whose acquire timed out releases the holder's lock, and the next task walks into the
 * critical section while the holder is still in it. (With the article's numbers, a 2 s timeout and 1 s of
 * work, two tasks never time out; here the holder works 1.5 s and the impatient task waits 1 s.)
 *
 * - buggyReleaseIfLocked: the article's `finally: if lock.locked(): lock.release()`. A third task arrives
 *   after the wrongful release and gets the lock while the holder still works: the invariant "at most one
 *   task in the critical section" fails (kind `invariant`).
 * - buggyReleaseInFinally: `finally { lock.release() }` around an acquire that can time out. The timed-out
 *   task frees the holder's lock, and the holder's own release then throws LockNotHeldError: the holder's
 *   task rejects (kind `exception`).
 * - fixedReleaseOnlyIfAcquired: acquire before `try`, so only a task that got the lock reaches the
 *   `finally` that releases it. The timed-out acquire rejects with LockTimeoutError, which is the expected
 *   outcome here (allowRejections) and what the check asserts.
 *
 * `lock.acquire({ timeoutMs })` is asyncio.wait_for(lock.acquire(), timeout) on virtual time: the seconds
 * of waiting cost no real time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario, type TaskFn, type TaskResults } from 'racecheck';
import { Lock, LockTimeoutError } from 'racecheck/sync';

interface State {
  readonly lock: Lock;
  /** Tasks inside the critical section now. */
  inside: number;
  /** Who got into the critical section, in order. */
  readonly acquired: string[];
}

const setup = (): State => ({ lock: new Lock(), inside: 0, acquired: [] });
const atMostOneInside = (s: State) => s.inside <= 1 || `${s.inside} tasks are inside the critical section at once`;

/** The work done holding the lock, `holdMs` long. */
async function criticalSection(s: State, name: string, holdMs: number): Promise<void> {
  s.inside++;
  s.acquired.push(name);
  await sleep(holdMs);
  s.inside--;
}

/** The article's task_that_might_block, releasing in `finally` when `release` says so. */
function taskThatMightBlock(options: { startAfterMs: number; timeoutMs: number; holdMs: number; release: (lock: Lock) => void }): TaskFn<State> {
  return async (s, ctx) => {
    if (options.startAfterMs > 0) await sleep(options.startAfterMs);
    try {
      await s.lock.acquire({ timeoutMs: options.timeoutMs });
      await criticalSection(s, ctx.name, options.holdMs);
    } catch (error) {
      if (!(error instanceof LockTimeoutError)) throw error;
      // "Failed to acquire lock within timeout": handled, and the task goes on to its finally.
    } finally {
      options.release(s.lock);
    }
  };
}

const releaseIfLocked = (lock: Lock) => {
  if (lock.locked()) lock.release();
};
const releaseAlways = (lock: Lock) => lock.release();

export const buggyReleaseIfLocked = defineScenario({
  name: 'lock timeout: `if lock.locked(): lock.release()` frees another task\'s lock',
  setup,
  tasks: {
    holder: taskThatMightBlock({ startAfterMs: 0, timeoutMs: 1000, holdMs: 1500, release: releaseIfLocked }),
    impatient: taskThatMightBlock({ startAfterMs: 10, timeoutMs: 1000, holdMs: 100, release: releaseIfLocked }),
    late: taskThatMightBlock({ startAfterMs: 1100, timeoutMs: 1000, holdMs: 100, release: releaseIfLocked }),
  },
  invariant: atMostOneInside,
});

export const buggyReleaseInFinally = defineScenario({
  name: 'lock timeout: `finally { lock.release() }` after a timed-out acquire',
  setup,
  tasks: {
    holder: taskThatMightBlock({ startAfterMs: 0, timeoutMs: 1000, holdMs: 1500, release: releaseAlways }),
    impatient: taskThatMightBlock({ startAfterMs: 10, timeoutMs: 1000, holdMs: 100, release: releaseAlways }),
  },
  invariant: atMostOneInside,
});

/** Acquire first, then try/finally: a task that did not get the lock never reaches the release. */
function acquireThenTry(options: { startAfterMs: number; timeoutMs: number; holdMs: number }): TaskFn<State> {
  return async (s, ctx) => {
    if (options.startAfterMs > 0) await sleep(options.startAfterMs);
    // A timeout rejects here, before the try: a task that did not get the lock cannot release it.
    await s.lock.acquire({ timeoutMs: options.timeoutMs });
    try {
      await criticalSection(s, ctx.name, options.holdMs);
    } finally {
      s.lock.release();
    }
  };
}

export const fixedReleaseOnlyIfAcquired = defineScenario({
  name: 'lock timeout: release only after a successful acquire',
  setup,
  // The impatient task's timeout is the expected outcome: its task rejects with LockTimeoutError.
  allowRejections: true,
  tasks: {
    holder: acquireThenTry({ startAfterMs: 0, timeoutMs: 1000, holdMs: 1500 }),
    impatient: acquireThenTry({ startAfterMs: 10, timeoutMs: 1000, holdMs: 100 }),
    late: acquireThenTry({ startAfterMs: 1100, timeoutMs: 1000, holdMs: 100 }),
  },
  invariant: atMostOneInside,
  check: (s: State, results: TaskResults) => {
    const impatient = results.impatient;
    if (impatient?.status !== 'rejected' || !(impatient.reason instanceof LockTimeoutError)) {
      return `the impatient task should time out, got ${JSON.stringify(impatient)}`;
    }
    for (const name of ['holder', 'late']) {
      const result = results[name];
      if (result?.status === 'rejected') return `${name} rejected: ${String(result.reason)}`;
    }
    return s.acquired.join(',') === 'holder,late' || `acquired in order ${s.acquired.join(',')}`;
  },
});
