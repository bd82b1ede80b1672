import { type LockProbe, probeFor } from './bridge.js';
import { exclusively } from './point.js';
import { type AcquireOptions, LockTimeoutError, SemaphoreOverReleaseError } from './errors.js';
import { refusal, WaitQueue } from './wait-queue.js';

/**
 * A counter of permits for async code, with asyncio.Semaphore's semantics: `acquire()` takes a permit,
 * waiting while there is none, waiters are served first come first served (a new caller never takes a
 * permit ahead of one already waiting), and `release()` gives a permit to the next waiter or back to the
 * pool. Releasing more than was acquired raises the value; use BoundedSemaphore to forbid that.
 */
export class Semaphore {
  #value: number;
  /** A BoundedSemaphore's initial value, which a release may not exceed; Infinity for a Semaphore. */
  readonly #bound: number;
  readonly #waiters = new WaitQueue();
  readonly #probe: LockProbe | undefined;

  /** `value` is the number of permits to start with, a non-negative integer (RangeError otherwise). */
  constructor(value = 1) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`Semaphore: the initial value must be a non-negative integer, got ${value}`);
    this.#value = value;
    const bounded = this instanceof BoundedSemaphore;
    this.#bound = bounded ? value : Infinity;
    this.#probe = probeFor(bounded ? 'BoundedSemaphore' : 'Semaphore', this, new.target);
  }

  /** The permits available now. A permit handed to a waiter that has not resumed yet is not available. */
  get value(): number {
    return this.#value;
  }

  /** Whether `acquire()` would wait: no permit is available, or callers are already waiting for one. */
  locked(): boolean {
    return this.#value === 0 || this.#waiters.size > 0;
  }

  /**
   * Resolves when the caller holds a permit. With `timeoutMs` it rejects with LockTimeoutError if no permit
   * was obtained in time; with `signal` it rejects with an AbortError when aborted, at once if the signal
   * already is. Either way the caller holds no permit and must not release one.
   */
  acquire(options: AcquireOptions = {}): Promise<void> {
    const refused = refusal(options, 'Semaphore.acquire()');
    if (refused) return Promise.reject(refused);
    const probe = this.#probe;
    if (probe?.bypassed?.()) return Promise.resolve();
    const request = probe?.requested?.();
    if (!this.locked()) {
      this.#value--;
      probe?.granted?.(request);
      return Promise.resolve();
    }
    return this.#waiters.wait(options, (ms) => new LockTimeoutError(ms, `Semaphore.acquire(): no permit within ${ms} ms`), probe, request);
  }

  /**
   * Gives a permit to the longest-waiting caller, or adds it to the available ones. A BoundedSemaphore
   * throws SemaphoreOverReleaseError instead, and changes nothing, if every permit is already available.
   */
  release(): void {
    const probe = this.#probe;
    if (probe?.bypassed?.()) return;
    if (this.#value >= this.#bound) throw new SemaphoreOverReleaseError(this.#bound);
    probe?.released?.();
    // The permit goes straight to the waiter, without passing through `value`, so nobody can take it
    // before the woken waiter resumes.
    if (!this.#waiters.wakeNext()) this.#value++;
  }

  /** Runs `fn` holding a permit and releases it afterwards, whether `fn` returns or throws. */
  runExclusive<T>(fn: () => T | PromiseLike<T>, options: AcquireOptions = {}): Promise<T> {
    return exclusively(this.acquire(options), () => this.release(), 'Semaphore.runExclusive: acquire', fn);
  }
}

/**
 * A Semaphore that cannot be released above its initial value, like asyncio.BoundedSemaphore: such a
 * release throws SemaphoreOverReleaseError and changes nothing. It catches a release without an acquire.
 */
export class BoundedSemaphore extends Semaphore {}
