/**
 * How the primitives talk to a race detector without depending on one. racecheck's runtime, when it is
 * installed in a thread, puts a `SyncRuntime` on `globalThis[SYNC_RUNTIME]`; the primitives look it up at
 * each call. So every copy of this package (its ESM and CommonJS builds, two versions in one node_modules,
 * a copy bundled by another package) reaches the same runtime, and without racecheck the primitives are
 * plain ones: the fallback below is a no-op.
 *
 * The contract only grows: a runtime may leave out every optional member, and the primitives call
 * optional members only if they are there, so an older racecheck works with a newer package and the
 * other way round. `version` changes only if a member ever has to change meaning.
 */

/** The global key: `Symbol.for`, so it is the same symbol in every copy of this package. */
export const SYNC_RUNTIME: unique symbol = Symbol.for('racecheck.sync-runtime') as never;

/** The primitives that report to a probe (an Event is not a lock: it only declares its waits internal). */
export type PrimitiveKind = 'Lock' | 'Semaphore' | 'BoundedSemaphore';

/** What a race detector offers the primitives. */
export interface SyncRuntime {
  readonly version: 1;
  /**
   * A wait the primitive makes on its caller's behalf and that a scheduler must see as a scheduling point
   * (the acquire inside `runExclusive`, which is not the caller's own `await`). Returns what to await
   * instead of `value`: `value` itself outside a run. `operation` names it in traces.
   */
  point(value: Promise<void>, operation: string): unknown;
  /**
   * Marks a promise that only a primitive settles (a lock handed over, an event set): a task waiting on it
   * waits for another task, never for I/O, so the scheduler need not poll for I/O. Returns the promise.
   */
  internal<P extends Promise<unknown>>(promise: P): P;
  /**
   * Called by every Lock, Semaphore and BoundedSemaphore constructor. `construct` is the constructor being
   * run (`new.target`), so the runtime can cut it off a stack trace and find where `new Lock()` was
   * written. Returns the probe that primitive reports to, or undefined to hear nothing from it.
   */
  created?(info: CreatedPrimitive): LockProbe | undefined;
}

export interface CreatedPrimitive {
  readonly kind: PrimitiveKind;
  readonly primitive: object;
  readonly construct: abstract new (...args: never[]) => unknown;
}

/**
 * What one lock or semaphore reports. Every call is synchronous and made in the task whose step is
 * running, so the runtime knows which task did it; every member is optional.
 */
export interface LockProbe {
  /**
   * `acquire()` was called. Returns a token for this request, passed back to `granted` or `abandoned`
   * (a waiter is granted later, in the step of the task that released).
   */
  requested?(): unknown;
  /** The request holds the lock (or a permit) now: at once, or handed over by a release. */
  granted?(request: unknown): void;
  /** The request gave up before it was granted: it timed out or its signal aborted. It holds nothing. */
  abandoned?(request: unknown, reason: 'timeout' | 'abort'): void;
  /** `release()` was called (by the task whose step is running) and gave the lock or a permit back. */
  released?(): void;
  /**
   * Asked at every `acquire()` and `release()`: true turns them into no-ops for this primitive, so the
   * program runs as if the lock were not there (the lock advisor's "is this lock needed?" variant).
   * An acquire then resolves at once and holds nothing; a release gives nothing back and never throws.
   */
  bypassed?(): boolean;
}

/** Outside racecheck: a wait is a plain wait, and nothing is marked or reported. */
const NATIVE: SyncRuntime = {
  version: 1,
  point: (value) => value,
  internal: (promise) => promise,
};

/** The runtime installed in this thread now, or the no-op one. Looked up at each call: racecheck may come later. */
export function syncRuntime(): SyncRuntime {
  const installed = (globalThis as { [SYNC_RUNTIME]?: SyncRuntime })[SYNC_RUNTIME];
  return installed !== undefined && installed.version === 1 ? installed : NATIVE;
}

/** Registers a new lock or semaphore with the runtime installed now, if it wants to hear from it. */
export function probeFor(kind: PrimitiveKind, primitive: object, construct: CreatedPrimitive['construct']): LockProbe | undefined {
  return syncRuntime().created?.({ kind, primitive, construct });
}
