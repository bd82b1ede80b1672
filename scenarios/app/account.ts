import { setTimeout as sleep } from 'node:timers/promises';
import { Lock } from 'racecheck/sync';

/** A bank account whose withdrawals hold a lock across the balance check and the (slow) ledger write. */
export class Account {
  #balance: number;
  readonly #lock = new Lock();

  constructor(balance: number) {
    this.#balance = balance;
  }

  get balance(): number {
    return this.#balance;
  }

  /** Acquires and releases by hand, and forgets the release on the early return. */
  async withdrawForgettingRelease(amount: number): Promise<boolean> {
    await this.#lock.acquire();
    if (this.#balance < amount) return false; // returns holding the lock: every later caller waits forever
    await this.#writeLedger(-amount);
    this.#balance -= amount;
    this.#lock.release();
    return true;
  }

  /** The same, with the release in `finally`, which runs on every way out (asyncio's `async with`). */
  async withdraw(amount: number): Promise<boolean> {
    await this.#lock.acquire();
    try {
      if (this.#balance < amount) return false;
      await this.#writeLedger(-amount);
      this.#balance -= amount;
      return true;
    } finally {
      this.#lock.release();
    }
  }

  async #writeLedger(_delta: number): Promise<void> {
    await sleep(5);
  }
}
