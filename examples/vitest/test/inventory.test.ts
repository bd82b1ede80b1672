import { raceTest } from 'racecheck/vitest';
import { expect, test } from 'vitest';
import { Inventory, LockedInventory, type StockStore } from '../src/inventory.js';

const store = (): StockStore => ({ save: async () => {} });

test('a single reservation takes the unit', async () => {
  const inventory = new Inventory({ book: 1 }, store());
  expect(await inventory.reserve('book', 1)).toBe(true);
  expect(inventory.left('book')).toBe(0);
});

// Fails: racecheck finds the schedule where alice and bob both get the last book.
raceTest('two reservations of the last unit', {
  setup: () => ({ inventory: new Inventory({ book: 1 }, store()) }),
  tasks: {
    alice: (s) => s.inventory.reserve('book', 1),
    bob: (s) => s.inventory.reserve('book', 1),
  },
  check: (_s, results) => {
    const granted = Object.values(results).filter((r) => r.status === 'fulfilled' && r.value === true);
    return granted.length <= 1 || `${granted.length} reservations of 1 unit`;
  },
});

// Passes: with the lock, every schedule racecheck tries grants the book once.
raceTest('two reservations of the last unit, locked', {
  setup: () => ({ inventory: new LockedInventory({ book: 1 }, store()) }),
  tasks: {
    alice: (s) => s.inventory.reserve('book', 1),
    bob: (s) => s.inventory.reserve('book', 1),
  },
  check: (s, results) => {
    const granted = Object.values(results).filter((r) => r.status === 'fulfilled' && r.value === true);
    return (granted.length === 1 && s.inventory.left('book') === 0) || `${granted.length} reservations, ${s.inventory.left('book')} left`;
  },
});
