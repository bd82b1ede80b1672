export interface AcquireOptions {
  /** Give up after this many milliseconds (virtual time inside a racecheck run). */
  readonly timeoutMs?: number;
  /** Give up when this signal aborts. */
  readonly signal?: AbortSignal;
}

/** An acquire that timed out: the caller does not hold the lock (or permit) and must not release it. */
export class LockTimeoutError extends Error {
  readonly code = 'RACECHECK_LOCK_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`not acquired within ${timeoutMs} ms`);
    this.name = 'LockTimeoutError';
  }
}

export function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}
