import { setTimeout as sleep } from 'node:timers/promises';
import { Lock } from 'racecheck/sync';

/**
 * AsyncRateLimiter from seed article 000, without its lock: at most `maxRequests` grants in any window of
 * `windowMs`. The check and the write are separated by an await, so several callers can pass the check
 * before any of them records its grant.
 */
export class RateLimiter {
  #requests: number[] = [];

  constructor(
    readonly maxRequests: number,
    readonly windowMs: number,
  ) {}

  async acquire(): Promise<boolean> {
    const now = performance.now(); // asyncio's loop.time(): a monotonic clock
    const cutoff = now - this.windowMs;
    this.#requests = this.#requests.filter((t) => t > cutoff);
    if (this.#requests.length >= this.maxRequests) return false;
    await sleep(10); // some async work: another caller can pass the check above meanwhile
    this.#requests.push(now);
    return true;
  }
}

/** The article's version: the same check-await-write, under a lock, so one caller at a time runs it. */
export class LockedRateLimiter extends RateLimiter {
  readonly #lock = new Lock();

  override acquire(): Promise<boolean> {
    return this.#lock.runExclusive(() => super.acquire());
  }
}
