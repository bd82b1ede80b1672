import { schedulingPoint } from './point.js';
import { abortError, type AcquireOptions, LockTimeoutError } from './errors.js';

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
  /** Stops the waiter's timeout and abort listener. */
  dispose(): void;
}

/**
 * A mutual-exclusion lock for async code, with asyncio.Lock's semantics: `acquire()` resolves once the
 * caller holds the lock, waiters are served first come first served, `release()` hands the lock to the
 * next waiter or frees it, and releasing a lock that is not held throws.
 */
export class Lock {
  #locked = false;
  readonly #waiters: Waiter[] = [];

  /** Whether some caller holds the lock (including one it was just handed to and has not resumed yet). */
  locked(): boolean {
    return this.#locked;
  }

  /**
   * Resolves when the caller holds the lock. With `timeoutMs` it rejects with LockTimeoutError if the lock
   * was not obtained in time; with `signal` it rejects with an AbortError when aborted. Either way the
   * caller does not hold the lock and must not release it.
   */
  acquire(options: AcquireOptions = {}): Promise<void> {
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (!this.#locked && this.#waiters.length === 0) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.#abandon(waiter, new LockTimeoutError(timeoutMs)), timeoutMs);
      const onAbort = (): void => this.#abandon(waiter, abortError(signal!));
      const waiter: Waiter = {
        resolve,
        reject,
        dispose() {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Hands the lock to the longest-waiting caller, or frees it. Throws if the lock is not held. */
  release(): void {
    if (!this.#locked) throw new Error('Lock.release(): the lock is not acquired');
    const next = this.#waiters.shift();
    if (next) {
      next.dispose();
      next.resolve();
    } else {
      this.#locked = false;
    }
  }

  /** Runs `fn` holding the lock and releases it afterwards, whether `fn` returns or throws. */
  async runExclusive<T>(fn: () => T | PromiseLike<T>, options: AcquireOptions = {}): Promise<T> {
    await schedulingPoint(this.acquire(options), 'Lock.runExclusive: acquire');
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  #abandon(waiter: Waiter, error: Error): void {
    const index = this.#waiters.indexOf(waiter);
    if (index === -1) return;
    this.#waiters.splice(index, 1);
    waiter.dispose();
    waiter.reject(error);
  }
}
