import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { MarkOptions, MeasureOptions, PerformanceMark, PerformanceMeasure } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { setAdoptingRun, VIRTUAL_EPOCH, VIRTUAL_HRTIME_ORIGIN, VIRTUAL_PERFORMANCE_START, VirtualTimer, type TimerKind } from './clock.js';
import { context, eventPromises, real, type ActiveRun } from './context.js';

type Callback = (...args: unknown[]) => unknown;

const INSTALLED = Symbol.for('racecheck.virtual-globals');

/**
 * Replaces the timer functions, every clock (Date, performance.now and its marks, process.hrtime and uptime),
 * AbortSignal.timeout, Math.random and process.nextTick with versions that follow the active run's virtual
 * clock and seed, and behave exactly like the originals when no run is active. Installed once per thread,
 * before any scenario module is imported, and never removed: swapping globals per run would cost more than
 * the check each fake makes.
 */
export function installVirtualGlobals(): void {
  const store = globalThis as Record<symbol, unknown>;
  if (store[INSTALLED]) return;
  store[INSTALLED] = true;

  const timers = createRequire(import.meta.url)('node:timers') as Record<string, unknown>;
  const timersPromises = createRequire(import.meta.url)('node:timers/promises') as Record<string, unknown>;
  const events = createRequire(import.meta.url)('node:events') as Record<string, unknown> & { once: Callback };

  setAdoptingRun(() => {
    const run = context.run;
    return run === null ? undefined : { clock: run.clock, taskIndex: run.currentTaskIndex() };
  });
  const schedule = (kind: 'timeout' | 'interval', original: Callback) =>
    function (callback: Callback, delay?: unknown, ...args: unknown[]): unknown {
      const run = context.run;
      if (run === null) return original(callback, delay, ...args);
      return run.clock.add(kind, checkCallback(callback), delay, args, run.currentTaskIndex());
    };
  const clear = (original: Callback) =>
    function (handle: unknown): void {
      // A timer of a run that has ended is spent: clearing it is a no-op on its own clock.
      if (handle instanceof VirtualTimer) handle.close();
      else if (context.run?.clock.owns(handle)) context.run.clock.clear(handle);
      else original(handle);
    };

  const fakes: Record<string, (...args: never[]) => unknown> = {
    setTimeout: schedule('timeout', real.setTimeout as Callback),
    setInterval: schedule('interval', real.setInterval as Callback),
    setImmediate(callback: Callback, ...args: unknown[]): unknown {
      const run = context.run;
      if (run === null) return real.setImmediate(callback, ...args);
      return run.clock.add('immediate', checkCallback(callback), 0, args, run.currentTaskIndex());
    },
    clearTimeout: clear(real.clearTimeout as Callback),
    clearInterval: clear(real.clearInterval as Callback),
    clearImmediate: clear(real.clearImmediate as Callback),
  };
  for (const [name, fake] of Object.entries(fakes)) {
    Object.defineProperty(fake, 'name', { value: name });
    (globalThis as Record<string, unknown>)[name] = fake;
    timers[name] = fake;
  }

  timersPromises.setTimeout = function setTimeout(delay?: number, value?: unknown, options?: { signal?: AbortSignal }) {
    return context.run === null
      ? (real.timersPromises.setTimeout as Callback)(delay, value, options)
      : waitVirtually('timeout', delay, value, options?.signal);
  };
  timersPromises.setImmediate = function setImmediate(value?: unknown, options?: { signal?: AbortSignal }) {
    return context.run === null
      ? (real.timersPromises.setImmediate as Callback)(value, options)
      : waitVirtually('immediate', 0, value, options?.signal);
  };
  timersPromises.setInterval = function setInterval(delay?: number, value?: unknown, options?: { signal?: AbortSignal; ref?: boolean }) {
    return context.run === null
      ? (real.timersPromises.setInterval as Callback)(delay, value, options)
      : tickVirtually(delay, value, options?.signal, options?.ref !== false);
  };
  // util.promisify(setTimeout) is timers/promises' setTimeout, as in Node: found through this symbol.
  for (const name of ['setTimeout', 'setImmediate'] as const) {
    Object.defineProperty(fakes[name], promisify.custom, { enumerable: true, get: () => timersPromises[name] });
  }
  const scheduler = timersPromises.scheduler as Record<string, unknown> | undefined;
  if (scheduler) {
    const originalWait = scheduler.wait as Callback;
    scheduler.wait = function wait(delay: number, options?: { signal?: AbortSignal }) {
      return context.run === null ? originalWait.call(scheduler, delay, options) : waitVirtually('timeout', delay, undefined, options?.signal);
    };
  }
  // Marked so that a task awaiting one resumes before the emitter's next I/O (Pause.eventTied).
  const once = events.once;
  events.once = function (this: unknown, ...args: unknown[]): unknown {
    const promise = once.apply(this, args) as object;
    eventPromises.add(promise);
    return promise;
  };
  Object.defineProperty(events.once, 'name', { value: 'once' });
  syncBuiltinESMExports();

  globalThis.Date = createVirtualDate();
  installVirtualClocks();
  AbortSignal.timeout = function timeout(delay: number): AbortSignal {
    const run = context.run;
    // Outside a run, and for a delay Node refuses (it throws the error Node throws), the original.
    if (run === null || !isUint32(delay)) return real.abortSignalTimeout(delay);
    return abortAfter(run, delay);
  };
  Math.random = function random(): number {
    const run = context.run;
    return run === null ? real.random() : run.random();
  };
  process.nextTick = function nextTick(callback: Callback, ...args: unknown[]): void {
    context.userTicks++;
    real.nextTick(callback, ...args);
  } as typeof process.nextTick;
}

/** The virtual instant of `run` in performance.now()'s units. */
function virtualNow(run: ActiveRun): number {
  return VIRTUAL_PERFORMANCE_START + run.clock.now;
}

/**
 * performance.now, performance.mark and measure, process.hrtime and process.uptime read the virtual clock
 * during a run: a measure between two marks, or an hrtime difference across a sleep, spans the virtual time
 * in between.
 */
function installVirtualClocks(): void {
  performance.now = function now(): number {
    const run = context.run;
    return run === null ? real.performanceNow() : virtualNow(run);
  };
  performance.mark = function mark(name: string, options?: MarkOptions): PerformanceMark {
    const run = context.run;
    if (run === null || options?.startTime !== undefined) return real.performanceMark(name, options);
    return real.performanceMark(name, { ...options, startTime: virtualNow(run) });
  };
  performance.measure = function measure(name: string, start?: string | MeasureOptions, endMark?: string): PerformanceMeasure {
    const run = context.run;
    if (run === null) return real.performanceMeasure(name, start as string, endMark);
    // Where Node would end the measure at the real now, it ends at the virtual one.
    if (start !== null && typeof start === 'object') {
      const ends = start.end !== undefined || (start.start !== undefined && start.duration !== undefined);
      return real.performanceMeasure(name, ends ? start : { ...start, end: virtualNow(run) });
    }
    if (endMark !== undefined) return real.performanceMeasure(name, start, endMark);
    return real.performanceMeasure(name, start === undefined ? { end: virtualNow(run) } : { start, end: virtualNow(run) });
  };
  const nanoseconds = (run: ActiveRun): bigint => VIRTUAL_HRTIME_ORIGIN + BigInt(Math.round(virtualNow(run) * 1e6));
  const hrtime = function hrtime(previous?: [number, number]): [number, number] {
    const run = context.run;
    // An argument Node refuses gets Node's own error.
    if (run === null || (previous !== undefined && !(Array.isArray(previous) && previous.length === 2))) return real.hrtime(previous);
    const now = nanoseconds(run);
    let seconds = Number(now / 1_000_000_000n);
    let nanos = Number(now % 1_000_000_000n);
    if (previous !== undefined) {
      seconds -= previous[0];
      nanos -= previous[1];
      if (nanos < 0) {
        seconds--;
        nanos += 1e9;
      }
    }
    return [seconds, nanos];
  } as NodeJS.HRTime;
  hrtime.bigint = function bigint(): bigint {
    const run = context.run;
    return run === null ? real.hrtimeBigint() : nanoseconds(run);
  };
  process.hrtime = hrtime;
  process.uptime = function uptime(): number {
    const run = context.run;
    return run === null ? real.uptime() : virtualNow(run) / 1000;
  };
}

function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

/**
 * AbortSignal.timeout on virtual time: aborted with Node's TimeoutError when the clock reaches the delay. The
 * timer keeps the run alive, where Node's does not keep the process alive: while a task waits on I/O, it is held
 * back as long as it would really take, as a setTimeout is, and a task that waits on nothing else still sees it
 * fire (Node would have exited with the task unfinished).
 */
function abortAfter(run: ActiveRun, delay: number): AbortSignal {
  const controller = new AbortController();
  run.clock.add(
    'timeout',
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    delay,
    [],
    run.currentTaskIndex(),
  );
  return controller.signal;
}

function checkCallback(callback: unknown): Callback {
  if (typeof callback === 'function') return callback as Callback;
  throw Object.assign(new TypeError(`The "callback" argument must be of type function. Received ${typeof callback}`), {
    code: 'ERR_INVALID_ARG_TYPE',
  });
}

function waitVirtually(kind: TimerKind, delay: unknown, value: unknown, signal: AbortSignal | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const run = context.run!;
    const timer = run.clock.add(kind, () => resolve(value), delay, [], run.currentTaskIndex());
    timer.wakes = true;
    signal?.addEventListener(
      'abort',
      () => {
        run.clock.clear(timer);
        reject(abortError(signal));
      },
      { once: true },
    );
  });
}

/**
 * timers/promises' setInterval on virtual time: an async iterator that yields `value` once per tick, as
 * many times as it ticked while the consumer was busy, until the signal aborts it or the loop leaves it.
 */
async function* tickVirtually(delay: unknown, value: unknown, signal: AbortSignal | undefined, ref: boolean): AsyncGenerator<unknown> {
  if (signal?.aborted) throw abortError(signal);
  const run = context.run!;
  let ticks = 0;
  let wake: (() => void) | undefined;
  const release = () => {
    wake?.();
    wake = undefined;
  };
  const timer = run.clock.add(
    'interval',
    () => {
      ticks++;
      release();
    },
    delay,
    [],
    run.currentTaskIndex(),
  );
  timer.wakes = true;
  if (!ref) timer.unref();
  const onAbort = () => {
    run.clock.clear(timer);
    release();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (!signal?.aborted) {
      if (ticks === 0) await new Promise<void>((resolve) => (wake = resolve));
      for (; ticks > 0 && !signal?.aborted; ticks--) yield value;
    }
    throw abortError(signal);
  } finally {
    run.clock.clear(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/**
 * A Date whose current instant is virtual during a run. It shares Date.prototype, so instances are
 * ordinary dates and `instanceof Date` holds for dates made before and after the swap.
 */
function createVirtualDate(): DateConstructor {
  const RealDate = real.Date;
  const now = (): number => {
    const run = context.run;
    return run === null ? real.dateNow() : VIRTUAL_EPOCH + Math.floor(run.clock.now);
  };
  function VirtualDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new RealDate(now()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target);
  }
  Object.setPrototypeOf(VirtualDate, RealDate);
  VirtualDate.prototype = RealDate.prototype;
  Object.defineProperty(VirtualDate, 'name', { value: 'Date' });
  Object.assign(VirtualDate, { now, parse: RealDate.parse, UTC: RealDate.UTC });
  return VirtualDate as unknown as DateConstructor;
}
