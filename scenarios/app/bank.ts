import { setTimeout as sleep } from 'node:timers/promises';
import { Lock } from 'racecheck/sync';

/** An account of the bank below: its balance and the lock that guards it. */
export class BankAccount {
  balance: number;
  readonly lock = new Lock();

  constructor(
    readonly id: number,
    balance: number,
  ) {
    this.balance = balance;
  }
}

/** Writes every movement to a slow ledger: the await that makes a transfer need its locks. */
async function record(_from: BankAccount, _to: BankAccount, _amount: number): Promise<void> {
  await sleep(5);
}

/**
 * Moves money between two accounts, holding both accounts' locks: the source's first, then the
 * destination's. Two transfers in opposite directions take them in opposite orders.
 */
export async function transfer(from: BankAccount, to: BankAccount, amount: number): Promise<void> {
  await from.lock.acquire();
  try {
    await to.lock.acquire();
    try {
      const source = from.balance;
      await record(from, to, amount);
      from.balance = source - amount;
      to.balance += amount;
    } finally {
      to.lock.release();
    }
  } finally {
    from.lock.release();
  }
}

/** The same, taking the two locks in one order for every pair (the lower account id first), whatever the direction. */
export async function transferInOrder(from: BankAccount, to: BankAccount, amount: number): Promise<void> {
  const [first, second] = from.id < to.id ? [from, to] : [to, from];
  await first.lock.acquire();
  try {
    await second.lock.acquire();
    try {
      const source = from.balance;
      await record(from, to, amount);
      from.balance = source - amount;
      to.balance += amount;
    } finally {
      second.lock.release();
    }
  } finally {
    first.lock.release();
  }
}

/** Reads both balances under both locks, the destination's first: the reverse of `transfer`. */
export async function audit(a: BankAccount, b: BankAccount): Promise<number> {
  await b.lock.acquire();
  try {
    await a.lock.acquire();
    try {
      await sleep(1);
      return a.balance + b.balance;
    } finally {
      a.lock.release();
    }
  } finally {
    b.lock.release();
  }
}
