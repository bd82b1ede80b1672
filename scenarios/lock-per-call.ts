/**
 * Seed article 001 ("asyncio.Lock vs threading.Lock"), "Common mistakes", 1: creating the lock inside the
 * function. Every call makes its own lock, so every call gets a lock at once and nothing is excluded: the
 * code looks locked and still loses updates. The article's critical section is `counter.value += 1`, which
 * has no await and so would be safe even without a lock; here it reads, awaits some I/O and writes, the case
 * the lock is there for. The fix makes the lock once, for the counter, and shares it.
 */
import { defineScenario } from 'racecheck';
import { Lock } from 'racecheck/sync';

interface Counter {
  value: number;
  /** The lock that belongs to the counter (the fix uses it; the mistake ignores it). */
  readonly lock: Lock;
}

/** Stands for the I/O a real update does between reading and writing. */
const save = (value: number) => Promise.resolve(value);

async function updateWithLockPerCall(counter: Counter): Promise<void> {
  const lock = new Lock(); // a new lock every call: nobody else ever waits on it
  await lock.runExclusive(async () => {
    const current = counter.value;
    await save(current + 1);
    counter.value = current + 1;
  });
}

async function updateWithSharedLock(counter: Counter): Promise<void> {
  await counter.lock.runExclusive(async () => {
    const current = counter.value;
    await save(current + 1);
    counter.value = current + 1;
  });
}

const setup = (): Counter => ({ value: 0, lock: new Lock() });
const check = (counter: Counter) => counter.value === 10 || `expected 10, got ${counter.value}`;

export const buggyLockPerCall = defineScenario({
  name: 'lock per call: a Lock made inside the function excludes nothing',
  setup,
  tasks: Array.from({ length: 10 }, () => updateWithLockPerCall),
  check,
});

export const fixedSharedLock = defineScenario({
  name: 'lock per call: fixed with one Lock per counter',
  setup,
  tasks: Array.from({ length: 10 }, () => updateWithSharedLock),
  check,
});
