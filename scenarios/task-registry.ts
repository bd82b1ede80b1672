/**
 * Seed article 000 ("When do I need locks"), "Experiment 1: Simple Dictionary Operations": operations that
 * do not await need no lock. Three workers register 100 tasks each in a shared registry; a Map operation
 * has no await inside, so no other task can run in the middle of one, and all 300 entries are there in
 * every schedule, with or without the article's lock. The workers here await each registration (the
 * article's loop awaits nothing), so they really do interleave between operations.
 * fixedConfigReadWithoutLock is 000's "Common Mistakes" 1, a lock around `get_config`: a read with no await
 * in it is safe without one, for the same reason.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineScenario, type TaskFn } from 'racecheck';
import { ConfigHolder, LockedConfigHolder, LockedTaskRegistry, TaskRegistry } from './app/task-registry.js';

const WORKERS = ['A', 'B', 'C'];
const PER_WORKER = 100;

interface Registry {
  addTask(name: string, task: Promise<unknown>): unknown;
  listTasks(): string[];
}

function registryScenario(name: string, create: () => Registry) {
  const worker = (prefix: string): TaskFn<Registry> => async (registry) => {
    for (let i = 0; i < PER_WORKER; i++) {
      // asyncio.create_task(asyncio.sleep(0.01)): a task that is running, not awaited here.
      const task = sleep(10);
      await registry.addTask(`${prefix}_${i}`, task); // a scheduling point even when addTask is not async
    }
  };
  return defineScenario({
    name,
    setup: create,
    tasks: Object.fromEntries(WORKERS.map((prefix) => [prefix, worker(prefix)])),
    check: (registry) => {
      const count = registry.listTasks().length;
      return count === WORKERS.length * PER_WORKER || `expected ${WORKERS.length * PER_WORKER} tasks, found ${count}`;
    },
  });
}

export const fixedRegistryWithoutLock = registryScenario('task registry: Map operations without a lock', () => new TaskRegistry());

export const fixedRegistryWithLock = registryScenario('task registry: the same under a lock (not needed)', () => new LockedTaskRegistry());

interface Settings {
  readonly version: number;
  readonly host: string;
  readonly port: number;
}

const settings = (version: number): Settings => ({ version, host: `db${version}.internal`, port: 5430 + version });

/**
 * 000's "Mistake 1", a lock around `get_config`: correct, and the lock protects nothing. The lock advisor
 * says `lock-without-await` (no critical section reached a scheduling point), and with `--advise`
 * `lock-unneeded`: made a no-op, it changes no outcome. fixedConfigReadWithoutLock below is the fix.
 */
export const needlessLockedConfigRead = defineScenario({
  name: 'config: reads and reloads under a lock (not needed)',
  setup: () => ({ config: new LockedConfigHolder(settings(1)), seen: [] as Settings[] }),
  tasks: {
    reloader: async (s) => {
      for (let version = 2; version <= 3; version++) await s.config.setConfig(settings(version));
    },
    reader: async (s) => {
      for (let i = 0; i < 2; i++) {
        const { version, host, port } = await s.config.getConfig();
        s.seen.push({ version, host, port });
      }
    },
  },
  check: (s) => {
    const torn = s.seen.find((seen) => seen.host !== settings(seen.version).host || seen.port !== settings(seen.version).port);
    return torn === undefined || `a reader saw mixed settings: ${JSON.stringify(torn)}`;
  },
});

export const fixedConfigReadWithoutLock = defineScenario({
  name: 'config: reads without a lock see whole settings, old or new',
  setup: () => ({ config: new ConfigHolder(settings(1)), seen: [] as Settings[] }),
  tasks: {
    reloader: async (s) => {
      for (let version = 2; version <= 4; version++) {
        await Promise.resolve();
        s.config.setConfig(settings(version));
      }
    },
    ...Object.fromEntries(
      ['reader1', 'reader2'].map((name) => [
        name,
        async (s: { config: ConfigHolder<Settings>; seen: Settings[] }) => {
          for (let i = 0; i < 3; i++) {
            const { version, host, port } = s.config.getConfig();
            s.seen.push({ version, host, port });
            await Promise.resolve();
          }
        },
      ]),
    ),
  },
  check: (s) => {
    const torn = s.seen.find((seen) => seen.host !== settings(seen.version).host || seen.port !== settings(seen.version).port);
    return torn === undefined || `a reader saw mixed settings: ${JSON.stringify(torn)}`;
  },
});
