import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BoundedSemaphore, Event, Lock, Semaphore } from '@racecheck/sync';
import { type CreatedPrimitive, type LockProbe, SYNC_RUNTIME, type SyncRuntime } from '@racecheck/sync/bridge';
import { flush } from './track.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A runtime that writes down what the primitives tell it: the contract the lock advisor builds on, seen
 * from the primitives' side. (racecheck's own runtime is tested through real runs below and elsewhere.)
 */
function recordingRuntime() {
  const events: string[] = [];
  const created: CreatedPrimitive[] = [];
  /** Where each primitive was made: the first frame below its constructor. */
  const sites: string[] = [];
  let bypass = false;
  let requests = 0;
  const runtime: SyncRuntime = {
    version: 1,
    point(value, operation) {
      events.push(`point ${operation}`);
      return value;
    },
    internal(promise) {
      events.push('internal');
      return promise;
    },
    created(info): LockProbe {
      created.push(info);
      const holder: { stack?: string } = {};
      Error.captureStackTrace(holder, info.construct);
      sites.push(holder.stack?.split('\n')[1]?.trim() ?? '');
      const name = `${info.kind}#${created.length}`;
      return {
        requested: () => {
          const request = `${name}/r${++requests}`;
          events.push(`requested ${request}`);
          return request;
        },
        granted: (request) => void events.push(`granted ${String(request)}`),
        abandoned: (request, reason) => void events.push(`abandoned ${String(request)} ${reason}`),
        released: () => void events.push(`released ${name}`),
        bypassed: () => bypass,
      };
    },
  };
  return { runtime, events, created, sites, setBypass: (on: boolean) => void (bypass = on) };
}

describe('the bridge from @racecheck/sync to a race detector', () => {
  let recording: ReturnType<typeof recordingRuntime>;
  beforeEach(() => {
    recording = recordingRuntime();
    Object.defineProperty(globalThis, SYNC_RUNTIME, { value: recording.runtime, configurable: true });
  });
  afterEach(() => {
    delete (globalThis as Record<symbol, unknown>)[SYNC_RUNTIME];
  });

  it('registers every lock and semaphore with its kind and constructor, so the runtime can find where it was made', () => {
    const here = new Error(), lock = new Lock(), made = [lock, new Semaphore(2), new BoundedSemaphore(1), new Event()];
    expect(recording.created.map((info) => info.kind)).toEqual(['Lock', 'Semaphore', 'BoundedSemaphore']);
    expect(recording.created.map((info) => info.primitive)).toEqual(made.slice(0, 3));
    // Cutting the stack at the constructor leaves the line that says `new …()`, even for a subclass.
    const line = /bridge\.test\.ts:(\d+):\d+/.exec(here.stack!)![1];
    expect(recording.sites.map((site) => /bridge\.test\.ts:(\d+):\d+/.exec(site)?.[1])).toEqual([line, line, line]);
  });

  it('reports requests, grants and releases, a waiter granted by the release that hands it the lock', async () => {
    const lock = new Lock();
    await lock.acquire();
    const waiting = lock.acquire();
    lock.release();
    await waiting;
    lock.release();
    expect(recording.events).toEqual([
      'requested Lock#1/r1',
      'granted Lock#1/r1',
      'requested Lock#1/r2',
      'internal',
      'released Lock#1',
      'granted Lock#1/r2',
      'released Lock#1',
    ]);
  });

  it('reports a request that timed out or was aborted as abandoned', async () => {
    const pool = new Semaphore(0);
    const controller = new AbortController();
    const timedOut = pool.acquire({ timeoutMs: 1 }).catch((error: Error) => error.name);
    const aborted = pool.acquire({ signal: controller.signal }).catch((error: Error) => error.name);
    controller.abort();
    expect(await aborted).toBe('AbortError');
    expect(await timedOut).toBe('LockTimeoutError');
    expect(recording.events.filter((event) => event.startsWith('abandoned'))).toEqual(['abandoned Semaphore#1/r2 abort', 'abandoned Semaphore#1/r1 timeout']);
  });

  it('declares runExclusive\'s acquire as a scheduling point', async () => {
    expect(await new Lock().runExclusive(() => 7)).toBe(7);
    expect(await new Semaphore().runExclusive(async () => 8)).toBe(8);
    expect(recording.events.filter((event) => event.startsWith('point'))).toEqual([
      'point racecheck/sync Lock.runExclusive: acquire',
      'point racecheck/sync Semaphore.runExclusive: acquire',
    ]);
  });

  it('turns a bypassed primitive into a no-op: the program runs as if the lock were not there', async () => {
    const lock = new Lock();
    const bounded = new BoundedSemaphore(1);
    recording.setBypass(true);
    const order: string[] = [];
    const section = (name: string) =>
      lock.runExclusive(async () => {
        order.push(`${name} in`);
        await flush();
        order.push(`${name} out`);
      });
    await Promise.all([section('a'), section('b')]);
    expect(order).toEqual(['a in', 'b in', 'a out', 'b out']);
    expect(lock.locked()).toBe(false);
    expect(() => lock.release()).not.toThrow();
    await bounded.acquire();
    await bounded.acquire();
    bounded.release();
    bounded.release();
    bounded.release();
    expect(bounded.value).toBe(1);
    expect(recording.events.filter((event) => !event.startsWith('point'))).toEqual([]);
  });

  it('falls back to plain primitives when no runtime is installed', async () => {
    delete (globalThis as Record<symbol, unknown>)[SYNC_RUNTIME];
    const lock = new Lock();
    await lock.acquire();
    const waiting = lock.acquire();
    lock.release();
    await waiting;
    expect(lock.locked()).toBe(true);
    expect(recording.events).toEqual([]);
  });
});

describe('racecheck sees the primitives of racecheck/sync and of another copy of @racecheck/sync', () => {
  const project = mkdtempSync(path.join(tmpdir(), 'racecheck-two-copies-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('makes every runExclusive acquire a scheduling point, and each lock protects its counter, whichever copy made it', async () => {
    // The project has its own @racecheck/sync (a copy, as npm installs it), and racecheck's racecheck/sync
    // re-exports the one racecheck depends on: two copies of the classes in one process.
    mkdirSync(path.join(project, 'node_modules/@racecheck/sync'), { recursive: true });
    cpSync(path.join(ROOT, 'packages/sync/package.json'), path.join(project, 'node_modules/@racecheck/sync/package.json'));
    cpSync(path.join(ROOT, 'packages/sync/dist'), path.join(project, 'node_modules/@racecheck/sync/dist'), { recursive: true });
    symlinkSync(ROOT, path.join(project, 'node_modules/racecheck'));
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'two-copies', private: true, type: 'module' }));
    writeFileSync(
      path.join(project, 'counters.ts'),
      `import { defineScenario } from 'racecheck';
import { Lock as RacecheckLock } from 'racecheck/sync';
import { Lock as ProductionLock } from '@racecheck/sync';

if (RacecheckLock === ProductionLock) throw new Error('expected two copies of the classes');

const counter = (Lock: typeof RacecheckLock, locked: boolean) =>
  defineScenario({
    setup: () => ({ value: 0, lock: new Lock() }),
    tasks: [0, 1, 2].map(() => async (s: { value: number; lock: RacecheckLock }) => {
      const add = async () => {
        const value = s.value;
        await Promise.resolve();
        s.value = value + 1;
      };
      await (locked ? s.lock.runExclusive(add) : add());
    }),
    check: (s) => s.value === 3 || \`expected 3, got \${s.value}\`,
  });

export const viaRacecheck = counter(RacecheckLock, true);
export const viaProduction = counter(ProductionLock, true);
export const unlocked = counter(ProductionLock, false);
`,
    );
    const report = await new Promise<{ scenarios: { id: string; status: string; violation: unknown }[] }>((resolve, reject) => {
      execFile(process.execPath, [path.join(ROOT, 'bin/racecheck.js'), 'counters.ts', '--json', '--seed', '3', '--runs', '300'], { cwd: project }, (error, stdout, stderr) => {
        if (error && error.code !== 1) reject(new Error(stderr));
        else resolve(JSON.parse(stdout));
      });
    });
    const byId = Object.fromEntries(report.scenarios.map((scenario) => [scenario.id.split('#')[1], scenario]));
    expect(byId.viaRacecheck).toMatchObject({ status: 'pass' });
    expect(byId.viaProduction).toMatchObject({ status: 'pass' });
    expect(byId.unlocked).toMatchObject({ status: 'fail', violation: { message: expect.stringMatching(/^expected 3, got [12]$/) } });

    // A passing scenario shows no trace; one whose check always fails shows its schedule, where each
    // task's acquire is a step of its own.
    const traced = await new Promise<string>((resolve) => {
      writeFileSync(
        path.join(project, 'points.ts'),
        `import { defineScenario } from 'racecheck';
import { Lock } from '@racecheck/sync';
export default defineScenario({
  setup: () => new Lock(),
  tasks: [(lock: Lock) => lock.runExclusive(() => 1), (lock: Lock) => lock.runExclusive(() => 2)],
  check: () => false,
});
`,
      );
      execFile(process.execPath, [path.join(ROOT, 'bin/racecheck.js'), 'points.ts', '--json', '--seed', '1', '--no-shrink'], { cwd: project }, (_error, stdout) => resolve(stdout));
    });
    const steps = (JSON.parse(traced) as { scenarios: { violation: { trace: { site: { text: string } | null }[] } }[] }).scenarios[0]!.violation.trace;
    // The acquire is racecheck's own scheduling point: the trace names the user's call of runExclusive.
    expect(steps.filter((step) => step.site?.text.includes('lock.runExclusive(() => 1), (lock: Lock) => lock.runExclusive(() => 2)'))).toHaveLength(2);
  });
});
