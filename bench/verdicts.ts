/** Small scenarios (four tasks, a few awaits each) for exhaustive search to prove, with their buggy twins. */
import { defineScenario } from 'racecheck';
import { Lock } from 'racecheck/sync';

const step = () => Promise.resolve();

interface Counter {
  value: number;
  lock: Lock;
}

const counter = (body: (s: Counter) => Promise<void>) =>
  defineScenario({
    setup: (): Counter => ({ value: 0, lock: new Lock() }),
    tasks: Array.from({ length: 4 }, () => body),
    check: (s) => s.value === 4 || `expected 4, got ${s.value}`,
  });

/** Each task awaits, then increments under the lock with an await inside: three awaits each. */
export const lockedCounter = counter(async (s) => {
  await step();
  await s.lock.acquire();
  const current = s.value;
  await step();
  s.value = current + 1;
  s.lock.release();
});

/** The twin without the lock. */
export const unlockedCounter = counter(async (s) => {
  await step();
  const current = s.value;
  await step();
  s.value = current + 1;
  await step();
});

/** Three awaits each, and every increment is atomic (no await between its read and its write). */
export const atomicCounter = counter(async (s) => {
  await step();
  s.value = s.value + 1;
  await step();
  await step();
});
