import { type AcquireOptions, LockTimeoutError } from './errors.js';
import { refusal, WaitQueue } from './wait-queue.js';

/**
 * A flag that async code can wait for, with asyncio.Event's semantics: `wait()` resolves once the flag is
 * set (at once if it already is), `set()` wakes every waiter, and `clear()` makes later waits wait again.
 * Waiters woken by `set()` resume even if `clear()` follows in the same tick.
 */
export class Event {
  #set = false;
  readonly #waiters = new WaitQueue();

  /** Whether the flag is set. */
  isSet(): boolean {
    return this.#set;
  }

  /** Sets the flag and wakes every waiter, in the order they started waiting. */
  set(): void {
    if (this.#set) return;
    this.#set = true;
    this.#waiters.wakeAll();
  }

  /** Resets the flag: waits that start from now on wait for the next `set()`. */
  clear(): void {
    this.#set = false;
  }

  /**
   * Resolves once the flag is set. With `timeoutMs` it rejects with LockTimeoutError if the flag was not
   * set in time; with `signal` it rejects with an AbortError when aborted, at once if the signal already is.
   */
  wait(options: AcquireOptions = {}): Promise<void> {
    const refused = refusal(options, 'Event.wait()');
    if (refused) return Promise.reject(refused);
    if (this.#set) return Promise.resolve();
    return this.#waiters.wait(options, (ms) => new LockTimeoutError(ms, `Event.wait(): not set within ${ms} ms`));
  }
}
