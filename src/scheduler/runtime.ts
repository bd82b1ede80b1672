import { fileURLToPath } from 'node:url';
import { SYNC_RUNTIME, type SyncRuntime } from '@racecheck/sync/bridge';
import { createdPrimitive } from './locks.js';
import { displayPath } from '../paths.js';
import { RUNTIME_GLOBAL, type ModuleShifts, type PrintRow, type RuntimeAbi, type SiteRow, type StateEntry, type StateRow } from '../instrument/abi.js';
import { registerPrintRows } from '../instrument/messages.js';
import { registerColumnShifts } from '../instrument/positions.js';
import type { Site } from '../site.js';
import { context, userClasses } from './context.js';
import { tieStreamEvents } from './stream-events.js';
import { trackThreadPool } from './thread-pool.js';
import { installVirtualGlobals } from './virtual-globals.js';

const sites: Site[] = [];
/** Paths of the modules the rewrite instrumented (scheduling points or tracked state), packages included. */
const instrumentedPaths = new Set<string>();
const siteListeners: ((added: readonly Site[]) => void)[] = [];

/** Calls `listener` with every site registered from now on (a worker forwards them to its parent). */
export function onSitesRegistered(listener: (added: readonly Site[]) => void): void {
  siteListeners.push(listener);
}

/** Whether the module at `file` (a path) was instrumented: under node_modules, a package `include` named. */
export function isInstrumentedFile(file: string): boolean {
  return instrumentedPaths.has(file);
}

function noteInstrumented(url: string): void {
  if (!url.startsWith('file:')) return;
  try {
    instrumentedPaths.add(fileURLToPath(url));
  } catch {
    // Not a path on disk: no frame will name it.
  }
}

function registerSites(url: string, rows: readonly SiteRow[], shifts?: ModuleShifts, prints?: readonly PrintRow[]): Site[] {
  registerColumnShifts(url, shifts);
  registerPrintRows(url, prints);
  noteInstrumented(url);
  const file = displayPath(url);
  // A row with a source URL was mapped through the module's source map into the file it was written in.
  const added = rows.map(([line, column, text, sourceUrl]) => {
    const site: Site = { id: sites.length, url, file: sourceUrl === undefined ? file : displayPath(sourceUrl), line, column, text };
    sites.push(site);
    return site;
  });
  for (const listener of siteListeners) listener(added);
  return added;
}

/** `await x` in instrumented code becomes `await __rc$.a(x, site)`. Outside a run's tasks it is `await x`. */
function awaitPoint(value: unknown, site: Site | undefined): unknown {
  const run = context.run;
  return run === null || !run.scheduling ? value : run.pause(value, site);
}

function iterationPoint(value: unknown, site: Site | undefined): unknown {
  const run = context.run;
  return run === null || !run.scheduling ? value : run.pause(value, site, true);
}

/**
 * `for await (x of it)` becomes `for await (x of __rc$.fa(it, site))`: each `next()` result passes through
 * a scheduling point, for async and sync iterables alike. `return` and `throw` go straight through.
 */
function forAwaitPoint(iterable: unknown, site: Site | undefined): unknown {
  const run = context.run;
  if (run === null || !run.scheduling || iterable == null) return iterable;
  const source = iterable as Record<symbol, (() => Iterator<unknown>) | undefined>;
  // Read as the loop reads them when it starts, which is now: the async method, and only without one the sync.
  const asyncMethod = source[Symbol.asyncIterator];
  const syncMethod = asyncMethod == null ? source[Symbol.iterator] : undefined;
  // Neither: the loop's own TypeError, as outside a run (`… is not async iterable`, the report maps its wording back).
  if (asyncMethod == null && syncMethod == null) return NOT_ITERABLE;
  return {
    [Symbol.asyncIterator]() {
      const isAsync = asyncMethod != null;
      const iterator = (asyncMethod ?? syncMethod)?.call(iterable) as Iterator<unknown> | AsyncIterator<unknown> | undefined;
      if (iterator === null || (typeof iterator !== 'object' && typeof iterator !== 'function')) {
        throw new TypeError(`Result of the Symbol.${isAsync ? 'asyncIterator' : 'iterator'} method is not an object`);
      }
      // As the loop itself does: `next` read once, called without arguments, and of a sync iterator's
      // result `done` read before `value`.
      const nextMethod = iterator.next as (...args: unknown[]) => unknown;
      return {
        next(...args: unknown[]) {
          const result = nextMethod.apply(iterator, args);
          if (isAsync) return iterationPoint(result, site);
          const step = result as IteratorResult<unknown>;
          const done = step.done;
          return iterationPoint(Promise.resolve(step.value).then((settled) => ({ value: settled, done })), site);
        },
        return(value?: unknown) {
          return Promise.resolve(iterator.return ? iterator.return(value) : { value, done: true });
        },
        throw(error?: unknown) {
          if (iterator.throw) return Promise.resolve(iterator.throw(error));
          return Promise.reject(error);
        },
      };
    },
  };
}

/** What a `for await` iterates when its value has no iterator method: nothing, not even from a prototype. */
const NOT_ITERABLE: object = Object.freeze(Object.create(null) as object);

const librarySites = new Map<string, Site>();

/**
 * A scheduling point declared by racecheck's own (uninstrumented) code, such as the acquire inside
 * `Lock.runExclusive`. Its site has line 0 and names the operation instead of a source line.
 */
export function libraryPoint(value: unknown, label: string): unknown {
  let site = librarySites.get(label);
  if (!site) {
    site = { id: sites.length, url: 'racecheck:sync', file: 'racecheck', line: 0, column: 0, text: label };
    sites.push(site);
    librarySites.set(label, site);
    for (const listener of siteListeners) listener([site]);
  }
  return awaitPoint(value, site);
}

const callSites = new Map<string, Site>();

/**
 * A site that is no instrumented await: the user's line that called one of racecheck's own scheduling
 * points (`lock.runExclusive(...)`), found from a stack in a recording replay. Registered like the others,
 * so watchdogs that name sites by id know it.
 */
export function registerCallSite(url: string, line: number, column: number, text: string): Site {
  const key = `${url}:${line}:${column}`;
  let site = callSites.get(key);
  if (!site) {
    site = { id: sites.length, url, file: displayPath(url), line, column, text };
    sites.push(site);
    callSites.set(key, site);
    for (const listener of siteListeners) listener([site]);
  }
  return site;
}

let stateModules = 0;

/** A module's tracked state access sites; a variable's identity is its module and declaration row. */
function registerState(url: string, rows: readonly StateRow[]): StateEntry[] {
  const module = stateModules++;
  noteInstrumented(url);
  return rows.map(([display, line, column, identity, made]) => {
    if (typeof identity !== 'number') return { display, url, line, column, field: identity, key: `p${module}:${identity}` };
    return made === undefined ? { display, url, line, column, key: `v${module}:${identity}` } : { display, url, line, column, key: `v${module}:${identity}`, made };
  });
}

// Tracked state (instrument/state-access.ts): outside a recording replay each of these returns its argument.
function stateRead(entry: StateEntry | undefined, value: unknown, owner?: unknown): unknown {
  const tracker = context.tracker;
  return !tracker || entry === undefined ? value : tracker.read(entry, value, owner);
}

function stateWrite(entry: StateEntry | undefined, value: unknown, owner?: unknown): unknown {
  const tracker = context.tracker;
  return !tracker || entry === undefined ? value : tracker.write(entry, value, owner);
}

function stateCompound(entry: StateEntry | undefined, old: unknown, result: unknown, logical: 0 | 1, owner?: unknown): unknown {
  const tracker = context.tracker;
  return !tracker || entry === undefined ? result : tracker.compound(entry, old, result, logical === 1, owner);
}

function stateUpdate(entry: StateEntry | undefined, result: unknown, delta: 1 | -1, prefix: 0 | 1, owner?: unknown): unknown {
  const tracker = context.tracker;
  return !tracker || entry === undefined ? result : tracker.update(entry, result, delta, prefix === 1, owner);
}

function assignmentCell(value: unknown, set: (value: unknown) => unknown): { v: unknown } {
  return {
    get v() {
      return value;
    },
    set v(next: unknown) {
      set(next);
    },
  };
}

function registerClass(cls: Function): void {
  userClasses.add(cls);
}

const runtime: RuntimeAbi = {
  s: registerSites,
  a: awaitPoint,
  fa: forAwaitPoint,
  t: registerState,
  v: stateRead,
  w: stateWrite,
  c: stateCompound,
  u: stateUpdate,
  b: assignmentCell,
  k: registerClass,
};

const INTERNAL = Symbol.for('racecheck.internal');

/**
 * Marks a promise that racecheck's own primitives settle (a lock handing over, an event being set): a task
 * waiting on one waits for another task, never for real I/O, so the scheduler need not poll for I/O.
 * (A symbol property, not a WeakSet: this is on every contended acquire.)
 */
export function markInternal<T extends object>(promise: T): T {
  (promise as Record<symbol, unknown>)[INTERNAL] = true;
  return promise;
}

export function isInternal(value: object): boolean {
  return (value as Record<symbol, unknown>)[INTERNAL] === true;
}

/** What racecheck/sync's primitives (any copy of @racecheck/sync) call, through a global: see its bridge.ts. */
const syncRuntime: SyncRuntime = { version: 1, point: libraryPoint, internal: markInternal, created: createdPrimitive };

/**
 * Makes the runtime that rewritten modules and the sync primitives call available, and fakes time and
 * randomness. Idempotent.
 */
export function installRuntime(): void {
  const store = globalThis as Record<string, unknown>;
  if (store[RUNTIME_GLOBAL]) return;
  installVirtualGlobals();
  trackThreadPool();
  tieStreamEvents();
  Object.defineProperty(globalThis, RUNTIME_GLOBAL, { value: runtime, enumerable: false });
  Object.defineProperty(globalThis, SYNC_RUNTIME, { value: syncRuntime, enumerable: false });
}
