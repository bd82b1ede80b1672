/**
 * Seed article 002 ("how to use asyncio.Lock"), "Example 4: Coordinating Updates to a Database with a Lock":
 * concurrent tasks updating a row, on a real SQL database, PGlite (Postgres compiled to WebAssembly, in this
 * process). An increment done as a SELECT and then an UPDATE with the value read loses updates when another
 * task's UPDATE lands between the two queries. Two fixes: let the database do it in one statement
 * (`UPDATE ... SET value = value + 1`), or hold one lock across the read-modify-write, as the article does.
 * The awaits in the item store are scheduling points; PGlite's own awaits are not (it is under
 * node_modules), so each query runs to its result within the step that issued it.
 */
import { PGlite } from '@electric-sql/pglite';
import { defineScenario, type TaskFn } from 'racecheck';
import { Lock } from 'racecheck/sync';
import { ItemStore } from './app/item-store.js';

// Starting Postgres takes seconds; a query takes a fraction of a millisecond. Start it once, when the
// module loads, and reset the table before every run.
const db = new PGlite();
await db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)');

interface State {
  readonly store: ItemStore;
  readonly lock: Lock;
}

const TASKS = 5;

async function setup(): Promise<State> {
  await db.exec('TRUNCATE items; INSERT INTO items (id, value) VALUES (1, 0)');
  return { store: new ItemStore(db), lock: new Lock() };
}

async function check(s: State): Promise<true | string> {
  const value = await s.store.value(1);
  return value === TASKS || `expected value ${TASKS} after ${TASKS} increments, found ${value}`;
}

const scenario = (name: string, increment: TaskFn<State>) =>
  defineScenario({ name, setup, tasks: Array.from({ length: TASKS }, () => increment), check });

export const buggySelectThenUpdate = scenario('database: SELECT, then UPDATE with the value read, loses updates', (s) =>
  s.store.incrementReadModifyWrite(1),
);

export const fixedAtomicUpdate = scenario('database: UPDATE ... SET value = value + 1 in one statement', (s) =>
  s.store.incrementAtomically(1),
);

export const fixedLockedSelectThenUpdate = scenario('database: SELECT then UPDATE under one lock', (s) =>
  s.lock.runExclusive(() => s.store.incrementReadModifyWrite(1)),
);
