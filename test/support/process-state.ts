/**
 * The setup file of the projects whose test files share worker processes (vitest.config.ts: `isolate:
 * false`). A file there must leave the process as it found it, or the next file in that worker runs in
 * what it left: racecheck's runtime or module hooks installed, timers or `Date` faked, source maps turned
 * on (tsx's hooks do that), listeners on the process, another working directory, variables set. The
 * worker's first file sets the reference; each file's last hook compares, and a difference fails that file.
 */
import { afterAll } from 'vitest';

const GLOBALS = ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'Date', 'Promise'] as const;
const EVENTS = ['exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'warning', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const;

interface ProcessState {
  readonly values: Readonly<Record<string, unknown>>;
}

function current(): ProcessState {
  const store = globalThis as Record<string | symbol, unknown>;
  const values: Record<string, unknown> = {
    // tsx's register() turns them on for the whole process, with its module hooks.
    'process.sourceMapsEnabled': (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled,
    'racecheck runtime (globalThis.__racecheck$)': store.__racecheck$ !== undefined,
    'racecheck/sync runtime': store[Symbol.for('racecheck.sync-runtime')] !== undefined,
    'process.cwd()': process.cwd(),
    'process.exitCode': process.exitCode,
    'Date.now': Date.now,
    'performance.now': performance.now,
    'Math.random': Math.random,
    'Promise.prototype.then': Promise.prototype.then,
    // vitest's own variables may change from file to file.
    'process.env': JSON.stringify(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')).sort(([a], [b]) => a.localeCompare(b))),
  };
  for (const name of GLOBALS) values[name] = store[name];
  for (const event of EVENTS) values[`process listeners for ${event}`] = process.listenerCount(event);
  return { values };
}

const REFERENCE = Symbol.for('racecheck.test.process-state');
const store = globalThis as Record<symbol, ProcessState | undefined>;
const reference = (store[REFERENCE] ??= current());

afterAll(() => {
  const now = current();
  const changed = Object.keys(reference.values).filter((key) => !Object.is(reference.values[key], now.values[key]));
  if (changed.length === 0) return;
  const shown = (value: unknown) => (typeof value === 'function' ? `function ${value.name || '(anonymous)'}` : JSON.stringify(value)?.slice(0, 200));
  const lines = changed.map((key) => `  ${key}: ${shown(now.values[key])} (was ${shown(reference.values[key])})`);
  throw new Error(`this file left the shared test process changed (it belongs in the isolated project, vitest.config.ts):\n${lines.join('\n')}`);
});
