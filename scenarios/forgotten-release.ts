/**
 * Seed article 002 ("how to use asyncio.Lock"), "Common Mistakes to Avoid": forgetting to release the lock.
 * A withdrawal acquires the lock by hand and returns early, still holding it, when the balance is too low;
 * every withdrawal after that waits for the lock forever. Nothing is left to run and no timer is pending,
 * so racecheck reports a `deadlock` and names the await each blocked task is stuck at. The fix releases in
 * `finally` (the article's advice: `async with`, or try...finally with acquire()/release()).
 */
import { defineScenario, type TaskResults } from 'racecheck';
import { Account } from './app/account.js';

// Whoever goes first gets 60 of the 100; the second is refused, and the third must still get an answer.
const AMOUNTS = { alice: 60, bob: 60, carol: 60 };

export const buggyEarlyReturnKeepsLock = defineScenario({
  name: 'forgotten release: an early return keeps the lock, later withdrawals wait forever',
  setup: () => new Account(100),
  tasks: Object.fromEntries(Object.entries(AMOUNTS).map(([name, amount]) => [name, (account: Account) => account.withdrawForgettingRelease(amount)])),
});

export const fixedReleaseInFinally = defineScenario({
  name: 'forgotten release: fixed by releasing in finally',
  setup: () => new Account(100),
  tasks: Object.fromEntries(Object.entries(AMOUNTS).map(([name, amount]) => [name, (account: Account) => account.withdraw(amount)])),
  check: (account: Account, results: TaskResults) => {
    const granted = Object.values(results).filter((result) => result.status === 'fulfilled' && result.value === true).length;
    if (granted !== 1) return `${granted} withdrawals of 60 from 100 succeeded, expected 1`;
    return account.balance === 40 || `balance ${account.balance}, expected 40`;
  },
});
