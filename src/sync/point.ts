import { libraryPoint } from '../scheduler/runtime.js';

/**
 * Acquires through `acquire`, runs `fn`, then releases whether `fn` returns or throws: runExclusive for
 * Lock and Semaphore. racecheck's own modules are not instrumented, so the acquire, which waits on the
 * caller's behalf, declares its scheduling point itself (`label` names it in traces); outside a run it is
 * a plain await.
 */
export async function exclusively<T>(acquire: Promise<void>, release: () => void, label: string, fn: () => T | PromiseLike<T>): Promise<T> {
  await libraryPoint(acquire, `racecheck/sync ${label}`);
  try {
    return await fn();
  } finally {
    release();
  }
}
