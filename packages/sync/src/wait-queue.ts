import { type LockProbe, syncRuntime } from './bridge.js';
import { abortError, type AcquireOptions } from './errors.js';

/** setTimeout's largest delay: Node (and racecheck's virtual clock) turn anything longer into 1 ms. */
const TIMEOUT_MAX = 2 ** 31 - 1;

interface Waiter {
  resolve(): void;
  /** Stops the waiter's timeout and abort listener. */
  dispose(): void;
}

/**
 * Why a wait must fail before it starts, if it must. Primitives check this before their fast path, so
 * a bad timeout or an aborted signal fails the same way whether or not the caller would have waited.
 */
export function refusal(options: AcquireOptions, operation: string): Error | undefined {
  const { signal, timeoutMs } = options;
  if (timeoutMs !== undefined && !(timeoutMs >= 0 && (timeoutMs <= TIMEOUT_MAX || timeoutMs === Infinity))) {
    return new RangeError(`${operation}: timeoutMs must be from 0 to ${TIMEOUT_MAX}, or Infinity; got ${timeoutMs}`);
  }
  if (signal?.aborted) return abortError(signal);
  return undefined;
}

/**
 * First-come-first-served waiters that leave the queue when they time out or are aborted. Waking one
 * settles its promise at once and for good, so a timeout or abort that comes after the wake-up (even in
 * the same tick) finds it gone and does nothing: whatever the primitive handed over stays handed over.
 */
export class WaitQueue {
  readonly #waiters: Waiter[] = [];

  get size(): number {
    return this.#waiters.length;
  }

  /**
   * Queues the caller; `options` must have passed `refusal()`. A lock's `probe` hears when this request
   * is granted or abandoned (`request` is what its `requested()` returned).
   */
  wait(options: AcquireOptions, timeoutError: (timeoutMs: number) => Error, probe?: LockProbe, request?: unknown): Promise<void> {
    const { signal, timeoutMs } = options;
    return syncRuntime().internal(new Promise<void>((resolve, reject) => {
      const abandon = (error: Error, reason: 'timeout' | 'abort'): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index === -1) return;
        this.#waiters.splice(index, 1);
        waiter.dispose();
        probe?.abandoned?.(request, reason);
        reject(error);
      };
      const timer = timeoutMs === undefined || timeoutMs === Infinity ? undefined : setTimeout(() => abandon(timeoutError(timeoutMs), 'timeout'), timeoutMs);
      const onAbort = (): void => abandon(abortError(signal!), 'abort');
      const waiter: Waiter = {
        resolve() {
          probe?.granted?.(request);
          resolve();
        },
        dispose() {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    }));
  }

  /** Wakes the longest-waiting caller; false if nobody waits. */
  wakeNext(): boolean {
    const next = this.#waiters.shift();
    if (!next) return false;
    next.dispose();
    next.resolve();
    return true;
  }

  /** Wakes every caller, in the order they came. */
  wakeAll(): void {
    for (const waiter of this.#waiters.splice(0)) {
      waiter.dispose();
      waiter.resolve();
    }
  }
}
