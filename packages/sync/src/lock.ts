import { type LockProbe, probeFor } from './bridge.js';
import { exclusively } from './point.js';
import { type AcquireOptions, LockNotHeldError, LockTimeoutError } from './errors.js';
import { refusal, WaitQueue } from './wait-queue.js';

/**
 * A mutual-exclusion lock for async code, with asyncio.Lock's semantics: `acquire()` resolves once the
 * caller holds the lock, waiters are served first come first served, `release()` hands the lock to the
 * next waiter or frees it, and releasing a lock that is not held throws LockNotHeldError.
 */
export class Lock {
  #locked = false;
  readonly #waiters = new WaitQueue();
  /** Where racecheck's runtime hears about this lock, if it was running when the lock was made. */
  readonly #probe: LockProbe | undefined;

  constructor() {
    this.#probe = probeFor('Lock', this, new.target);
  }

  /** Whether some caller holds the lock (including one it was just handed to and has not resumed yet). */
  locked(): boolean {
    return this.#locked;
  }

  /**
   * Resolves when the caller holds the lock. With `timeoutMs` it rejects with LockTimeoutError if the lock
   * was not obtained in time; with `signal` it rejects with an AbortError when aborted, at once if the
   * signal already is. Either way the caller does not hold the lock and must not release it.
   */
  acquire(options: AcquireOptions = {}): Promise<void> {
    const refused = refusal(options, 'Lock.acquire()');
    if (refused) return Promise.reject(refused);
    const probe = this.#probe;
    if (probe?.bypassed?.()) return Promise.resolve();
    const request = probe?.requested?.();
    if (!this.#locked && this.#waiters.size === 0) {
      this.#locked = true;
      probe?.granted?.(request);
      return Promise.resolve();
    }
    return this.#waiters.wait(options, (ms) => new LockTimeoutError(ms, `Lock.acquire(): not acquired within ${ms} ms`), probe, request);
  }

  /** Hands the lock to the longest-waiting caller, or frees it. Throws LockNotHeldError if the lock is not held. */
  release(): void {
    const probe = this.#probe;
    if (probe?.bypassed?.()) return;
    if (!this.#locked) throw new LockNotHeldError();
    probe?.released?.();
    // The lock stays locked through a hand-off, so nobody can take it before the woken waiter resumes.
    if (!this.#waiters.wakeNext()) this.#locked = false;
  }

  /** Runs `fn` holding the lock and releases it afterwards, whether `fn` returns or throws. */
  runExclusive<T>(fn: () => T | PromiseLike<T>, options: AcquireOptions = {}): Promise<T> {
    return exclusively(this.acquire(options), () => this.release(), 'Lock.runExclusive: acquire', fn);
  }
}
