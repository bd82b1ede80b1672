/**
 * Seed article 000 ("When do I need locks"), "The Classic Check-Then-Act Pattern": a cache that checks for a
 * key, awaits the fetch, then stores it. Concurrent misses on the same key all pass the check before the
 * first fetch returns, so the source is hit once per caller instead of once per key. The fix is the
 * article's double-checked locking: a fast path without the lock, and a second check after acquiring it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario, type TaskFn, type TaskResults } from 'racecheck';
import { CheckThenActCache, DoubleCheckedCache, type Loader } from './app/cache.js';

interface State {
  readonly cache: { get(key: string): Promise<string> };
  /** How many times the source was asked for each key. */
  readonly fetches: Map<string, number>;
}

function setupWith(create: (load: Loader) => State['cache']): () => State {
  return () => {
    const fetches = new Map<string, number>();
    const load: Loader = async (key) => {
      fetches.set(key, (fetches.get(key) ?? 0) + 1);
      await sleep(50); // the slow source
      return `value of ${key}`;
    };
    return { cache: create(load), fetches };
  };
}

const get =
  (key: string, after = 0): TaskFn<State> =>
  async (s, ctx) => {
    if (after > 0) await ctx.sleep(after);
    return s.cache.get(key);
  };

/** Four callers miss user:1 together, one asks for user:2, and one asks for user:1 after it is cached. */
const tasks = {
  first: get('user:1'),
  second: get('user:1'),
  third: get('user:1'),
  fourth: get('user:1'),
  other: get('user:2'),
  late: get('user:1', 100),
};

function check(s: State, results: TaskResults) {
  const twice = [...s.fetches].filter(([, count]) => count > 1);
  if (twice.length > 0) return twice.map(([key, count]) => `${key} fetched ${count} times`).join('; ');
  for (const [name, result] of Object.entries(results)) {
    const key = name === 'other' ? 'user:2' : 'user:1';
    if (result.status !== 'fulfilled' || result.value !== `value of ${key}`) return `${name} got ${JSON.stringify(result)}`;
  }
  return true;
}

export const buggyCheckThenAct = defineScenario({
  name: 'cache: check-then-act fetches the same key once per concurrent miss',
  setup: setupWith((load) => new CheckThenActCache(load)),
  tasks,
  check,
});

export const fixedDoubleChecked = defineScenario({
  name: 'cache: double-checked locking fetches each key once',
  setup: setupWith((load) => new DoubleCheckedCache(load)),
  tasks,
  check,
});
