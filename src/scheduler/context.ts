import * as timersPromises from 'node:timers/promises';
import type { VirtualClock } from './clock.js';
import type { AccessTracker } from './observer.js';
import type { Site } from '../site.js';

/** The part of a run that rewritten awaits and the faked globals talk to. */
export interface ActiveRun {
  /** True while tasks run: only then is an await a scheduling point. */
  readonly scheduling: boolean;
  readonly clock: VirtualClock;
  /** The index of the task whose step is running, or the index used for work outside any task. */
  currentTaskIndex(): number;
  /** `iteration`: a `for await` loop's next value (see Pause.eventTied). */
  pause(value: unknown, site: Site | undefined, iteration?: boolean): unknown;
  random(): number;
}

/**
 * What is running now. There is one scheduler per thread and it runs one step at a time, so a plain
 * module-level record is enough to tell the rewritten awaits which run and task they belong to.
 */
export const context: { run: ActiveRun | null; userTicks: number; tracker: AccessTracker | null } = shared('racecheck.context', () => ({
  run: null,
  /** Bumped by every process.nextTick call user code makes; the drain check watches it. */
  userTicks: 0,
  /** Set only during a recording replay: where rewritten reads and writes of shared state report. */
  tracker: null,
}));

/**
 * Promises of `events.once`: settled by an emitter's event, whose later events follow from the same I/O (see
 * Pause.eventTied).
 */
export const eventPromises: WeakSet<object> = shared('racecheck.event-promises', () => new WeakSet<object>());

/**
 * Classes declared in instrumented modules (each registers itself when it is defined): their instances are
 * the user's own state, which a recording replay may watch; anything else is left alone.
 */
export const userClasses: WeakSet<Function> = shared('racecheck.user-classes', () => new WeakSet<Function>());

/** One instance per thread, even if two copies of racecheck's modules are loaded. */
function shared<T>(key: string, create: () => T): T {
  const slot = Symbol.for(key);
  const store = globalThis as Record<symbol, unknown>;
  return (store[slot] ??= create()) as T;
}

/**
 * Originals captured before anything is faked: the scheduler's own waiting must never use virtual time.
 * Kept on a global symbol so a second copy of this module (say, one loaded from src and one from dist)
 * still sees the real functions and not the first copy's fakes.
 */
export const real = shared('racecheck.real-globals', () => ({
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
  nextTick: process.nextTick.bind(process),
  Date: globalThis.Date,
  dateNow: Date.now.bind(Date),
  performanceNow: performance.now.bind(performance),
  performanceMark: performance.mark.bind(performance),
  performanceMeasure: performance.measure.bind(performance),
  hrtime: process.hrtime,
  hrtimeBigint: process.hrtime.bigint,
  uptime: process.uptime.bind(process),
  abortSignalTimeout: AbortSignal.timeout.bind(AbortSignal),
  random: Math.random.bind(Math),
  timersPromises: { setTimeout: timersPromises.setTimeout, setImmediate: timersPromises.setImmediate, setInterval: timersPromises.setInterval },
}));
