import { syncRuntime } from './bridge.js';

/**
 * Acquires through `acquire`, runs `fn`, then releases whether `fn` returns or throws: runExclusive for
 * Lock and Semaphore. The acquire waits on the caller's behalf, so it declares its scheduling point to the
 * runtime itself (`operation` names it in traces); outside racecheck it is a plain wait.
 *
 * Written with `then` instead of `await` on purpose: nothing in this package is a scheduling point except
 * what it declares, even where a module hook instruments it (a linked checkout is not under node_modules).
 */
export function exclusively<T>(acquire: Promise<void>, release: () => void, operation: string, fn: () => T | PromiseLike<T>): Promise<T> {
  return Promise.resolve(syncRuntime().point(acquire, `racecheck/sync ${operation}`)).then(() => {
    let result: T | PromiseLike<T>;
    try {
      result = fn();
    } catch (error) {
      release();
      throw error;
    }
    return Promise.resolve(result).then(
      (value) => {
        release();
        return value;
      },
      (error: unknown) => {
        release();
        throw error;
      },
    );
  });
}
