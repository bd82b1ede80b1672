/**
 * Seed article 002 ("how to use asyncio.Lock"), "Best Practices": "Avoid Nested Locks: nested lock
 * acquisitions can lead to deadlocks". A transfer holds both accounts' locks, the source's first; two
 * transfers in opposite directions each take one lock and wait for the other forever: racecheck reports the
 * `deadlock`, and its lock advisor names the cause, `lock-order-inversion`, with both orders.
 *
 * latentAuditInReverseOrder is the same mistake that no run hits: an audit takes the two locks the other
 * way round, but only after the transfer is done (it waits 100 ms of virtual time), so in this scenario the
 * two can never deadlock and it passes. The lock advisor still reports the inversion, from the lock-order
 * graph of all the runs: with other timing (a slower ledger, an earlier audit) the same code deadlocks.
 *
 * The fix takes nested locks in one order everywhere: the lower account id first.
 */
import { defineScenario, type TaskContext } from 'racecheck';
import { audit, BankAccount, transfer, transferInOrder } from './app/bank.js';

interface Bank {
  readonly alice: BankAccount;
  readonly bob: BankAccount;
}

const setup = (): Bank => ({ alice: new BankAccount(1, 100), bob: new BankAccount(2, 100) });
const balanced = (bank: Bank) => bank.alice.balance + bank.bob.balance === 200 || `money appeared or vanished: ${bank.alice.balance} + ${bank.bob.balance}`;

export const buggyTransfersInOppositeOrders = defineScenario({
  name: 'lock order: two transfers in opposite directions take the same two locks in opposite orders',
  setup,
  tasks: {
    toBob: (bank: Bank) => transfer(bank.alice, bank.bob, 30),
    toAlice: (bank: Bank) => transfer(bank.bob, bank.alice, 20),
  },
  check: balanced,
});

export const latentAuditInReverseOrder = defineScenario({
  name: 'lock order: an audit takes the locks in reverse order, after the transfer (no run deadlocks)',
  setup,
  tasks: {
    toBob: (bank: Bank) => transfer(bank.alice, bank.bob, 30),
    audit: async (bank: Bank, ctx: TaskContext) => {
      await ctx.sleep(100);
      return audit(bank.alice, bank.bob);
    },
  },
  check: (bank, results) => (results.audit?.status === 'fulfilled' && results.audit.value === 200) || `the audit saw ${JSON.stringify(results.audit)}`,
});

export const fixedOneLockOrder = defineScenario({
  name: 'lock order: fixed by taking the locks in one order (the lower account id first)',
  setup,
  tasks: {
    toBob: (bank: Bank) => transferInOrder(bank.alice, bank.bob, 30),
    toAlice: (bank: Bank) => transferInOrder(bank.bob, bank.alice, 20),
  },
  check: (bank: Bank) => (bank.alice.balance === 90 && bank.bob.balance === 110) || `balances ${bank.alice.balance} and ${bank.bob.balance}, expected 90 and 110`,
});
