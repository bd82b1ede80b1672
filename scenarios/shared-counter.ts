/**
 * The shared counter of seed article 001 ("asyncio.Lock vs threading.Lock"), its lock fix, and the counter of
 * 002 ("how to use asyncio.Lock"), Example 1, whose tasks do random amounts of work between the read and the
 * write. The racy read-await-write itself is scenarios/counter.ts#default; it stays alone in that file because
 * the quick start and the CLI tests count on it being the file's only scenario.
 *
 * fixedNoAwaitCounter is 001's first program ("What happened?"): read, then write, with no await in between.
 * The article reports 17 of 100 updates lost, but in JavaScript (and in asyncio, for that program) nothing
 * can run between a read and a write that no await separates, so the claim does not hold and no schedule
 * loses an update. fixedSimpleCounter is 000's "Mistake 3" (SimpleCounter): a synchronous increment needs no
 * lock for the same reason.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario } from 'racecheck';
import { Lock } from 'racecheck/sync';

interface Counter {
  value: number;
}

/** 001, "How to solve it?": every read-await-write under one lock that all tasks share. */
export const fixedCounter = defineScenario({
  name: 'counter: read-await-write under one shared Lock',
  // One lock for the whole counter, made once (the article makes it at module level); a fresh one per run.
  setup: () => ({ counter: { value: 0 } as Counter, lock: new Lock() }),
  tasks: Array.from({ length: 10 }, () => async (s: { counter: Counter; lock: Lock }) => {
    await s.lock.acquire();
    try {
      const current = s.counter.value;
      await Promise.resolve();
      s.counter.value = current + 1;
    } finally {
      s.lock.release();
    }
  }),
  check: (s) => s.counter.value === 10 || `expected 10, got ${s.counter.value}`,
});

/** 001, "What happened?": 100 tasks, read and write with no await between them. Correct as written. */
export const fixedNoAwaitCounter = defineScenario({
  name: 'counter: read and write with no await between them (nothing to lose)',
  setup: (): Counter => ({ value: 0 }),
  // The task is async, like the article's coroutine, but nothing in it awaits: it runs start to end in one step.
  tasks: Array.from({ length: 100 }, () => async (counter: Counter) => {
    const current = counter.value;
    counter.value = current + 1;
  }),
  check: (counter) => counter.value === 100 || `expected 100, got ${counter.value}`,
});

/**
 * The same program with four tasks: few enough schedules (4! = 24 orders, each task one step) for
 * `--strategy exhaustive` to run every one of them and prove that no update can be lost.
 */
export const fixedNoAwaitCounterSmall = defineScenario({
  name: 'counter: no await between read and write, four tasks (provable)',
  setup: (): Counter => ({ value: 0 }),
  tasks: Array.from({ length: 4 }, () => async (counter: Counter) => {
    const current = counter.value;
    counter.value = current + 1;
  }),
  check: (counter) => counter.value === 4 || `expected 4, got ${counter.value}`,
});

class SimpleCounter {
  #value = 0;

  /** Not async: no await, no interruption, no lock. */
  increment(): number {
    this.#value += 1;
    return this.#value;
  }

  get value(): number {
    return this.#value;
  }
}

/**
 * 000, "Mistake 3: Locking a Simple Counter", as the article first writes it: `async with self._lock:
 * self._value += 1`. Correct, but the increment has no await, so nothing can run in the middle of it and the
 * lock protects nothing: the lock advisor says `lock-without-await` from the normal runs, and with `--advise`
 * it reruns the scenario with the lock made a no-op and finds that every schedule still passes
 * (`lock-unneeded`, a complete search: three callers are few enough). fixedSimpleCounter below is the fix.
 */
class LockedCounter {
  #value = 0;
  readonly #lock = new Lock();

  async increment(): Promise<number> {
    await this.#lock.acquire();
    try {
      this.#value += 1; // atomic: no await between the read and the write
      return this.#value;
    } finally {
      this.#lock.release();
    }
  }

  get value(): number {
    return this.#value;
  }
}

export const needlessLockedCounter = defineScenario({
  name: 'counter: a lock around an increment that has no await (not needed)',
  setup: () => new LockedCounter(),
  tasks: Array.from({ length: 3 }, () => (counter: LockedCounter) => counter.increment()),
  check: (counter) => counter.value === 3 || `expected 3, got ${counter.value}`,
});

/** 000, "Mistake 3": tasks that await between increments still cannot lose one; the increment itself never yields. */
export const fixedSimpleCounter = defineScenario({
  name: 'counter: synchronous increment needs no lock',
  setup: () => new SimpleCounter(),
  tasks: Array.from({ length: 5 }, () => async (counter: SimpleCounter) => {
    for (let i = 0; i < 3; i++) {
      counter.increment();
      await Promise.resolve();
    }
  }),
  check: (counter) => counter.value === 15 || `expected 15, got ${counter.value}`,
});

/** 002, Example 1: `increment_counter` with `random.uniform(0.1, 0.3)` seconds of work between read and write. */
async function incrementWithRandomWork(counter: Counter): Promise<void> {
  const current = counter.value;
  await sleep(100 + Math.random() * 200); // virtual time, and Math.random is seeded per run
  counter.value = current + 1;
}

/** 002, Example 1 without the lock: every task reads 0 before the first one's work is done. */
export const buggyRandomWorkCounter = defineScenario({
  name: 'counter: random work between read and write, no lock',
  setup: (): Counter => ({ value: 0 }),
  tasks: Array.from({ length: 5 }, () => (counter: Counter) => incrementWithRandomWork(counter)),
  check: (counter) => counter.value === 5 || `expected 5, got ${counter.value}`,
});

/** 002, Example 1 as written: `async with lock` around the read, the work and the write. */
export const fixedRandomWorkCounter = defineScenario({
  name: 'counter: random work between read and write, under a Lock',
  setup: () => ({ counter: { value: 0 } as Counter, lock: new Lock() }),
  tasks: Array.from({ length: 5 }, () => (s: { counter: Counter; lock: Lock }) => s.lock.runExclusive(() => incrementWithRandomWork(s.counter))),
  check: (s) => s.counter.value === 5 || `expected 5, got ${s.counter.value}`,
});
