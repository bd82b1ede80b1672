export interface AcquireOptions {
  /**
   * Give up after this many milliseconds (virtual time inside a racecheck run): 0 to 2^31-1, or Infinity
   * to wait forever like leaving it out.
   */
  readonly timeoutMs?: number;
  /** Give up when this signal aborts. */
  readonly signal?: AbortSignal;
}

/**
 * A wait that timed out: an acquire that did not get the lock (or permit), which the caller therefore
 * must not release, or an `Event.wait()` that did not see the event set.
 */
export class LockTimeoutError extends Error {
  readonly code = 'RACECHECK_LOCK_TIMEOUT';
  constructor(
    readonly timeoutMs: number,
    message = `not acquired within ${timeoutMs} ms`,
  ) {
    super(message);
    this.name = 'LockTimeoutError';
  }
}

/** `Lock.release()` on a lock that is not held, asyncio's "RuntimeError: Lock is not acquired". */
export class LockNotHeldError extends Error {
  readonly code = 'RACECHECK_LOCK_NOT_HELD';
  constructor() {
    super('Lock.release(): the lock is not acquired');
    this.name = 'LockNotHeldError';
  }
}

/** `BoundedSemaphore.release()` that would raise the value above its initial value. */
export class SemaphoreOverReleaseError extends Error {
  readonly code = 'RACECHECK_OVER_RELEASE';
  constructor(readonly bound: number) {
    super(`BoundedSemaphore.release(): released too many times (the initial value is ${bound})`);
    this.name = 'SemaphoreOverReleaseError';
  }
}

export function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}
