import { Lock } from 'racecheck/sync';

/** Loads the value of a key from somewhere slow (a database, another service). */
export type Loader = (key: string) => Promise<string>;

/**
 * The check-then-act cache of seed article 000: if the key is missing, fetch it and store it. The fetch
 * awaits, so every caller that arrives before the first fetch is stored also finds the key missing and
 * fetches it again.
 */
export class CheckThenActCache {
  readonly #cache = new Map<string, string>();

  constructor(private readonly load: Loader) {}

  async get(key: string): Promise<string> {
    if (!this.#cache.has(key)) {
      const value = await this.load(key); // other callers pass the check above meanwhile
      this.#cache.set(key, value);
    }
    return this.#cache.get(key)!;
  }
}

/**
 * The article's fix, double-checked locking: a hit returns at once without the lock; a miss takes the lock
 * and checks again, because another caller may have stored the key while this one waited for the lock.
 */
export class DoubleCheckedCache {
  readonly #cache = new Map<string, string>();
  readonly #lock = new Lock();

  constructor(private readonly load: Loader) {}

  async get(key: string): Promise<string> {
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    return this.#lock.runExclusive(async () => {
      const stored = this.#cache.get(key);
      if (stored !== undefined) return stored;
      const value = await this.load(key);
      this.#cache.set(key, value);
      return value;
    });
  }
}
