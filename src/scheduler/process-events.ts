/**
 * Node's process-wide events, forwarded to the run that is active. One set of listener functions serves
 * every run: they are added at a run's start and removed at its end.
 */
export interface ProcessEventSink {
  noteRejection(promise: Promise<unknown>, reason: unknown, handled: boolean): void;
  noteUncaught(error: unknown): void;
}

let sink: ProcessEventSink | null = null;

/**
 * 'unhandledRejection' listeners that do not keep a program going: racecheck's own, and a test runner's
 * (vitest's fails the test run on one, as Node would end the process). Any other is the program's.
 */
const own = new Set<(...args: never[]) => void>([onUnhandledRejection]);

function onUnhandledRejection(reason: unknown, promise: Promise<unknown>): void {
  sink?.noteRejection(promise, reason, false);
}

function onRejectionHandled(promise: Promise<unknown>): void {
  sink?.noteRejection(promise, undefined, true);
}

function onUncaughtException(error: unknown): void {
  sink?.noteUncaught(error);
}

/**
 * Forwards uncaught exceptions, and with `rejections` unhandled rejections too, to `run` until the
 * returned function is called.
 */
export function listenToProcess(run: ProcessEventSink, rejections: boolean): () => void {
  sink = run;
  if (rejections) {
    process.on('unhandledRejection', onUnhandledRejection);
    process.on('rejectionHandled', onRejectionHandled);
  }
  process.on('uncaughtException', onUncaughtException);
  return () => {
    if (rejections) {
      process.off('unhandledRejection', onUnhandledRejection);
      process.off('rejectionHandled', onRejectionHandled);
    }
    process.off('uncaughtException', onUncaughtException);
    if (sink === run) sink = null;
  };
}

/**
 * Counts the 'unhandledRejection' listeners there are now as a test runner's, which fails the run on an
 * unhandled rejection (racecheck/vitest's raceTest, before its search: vitest's own listeners).
 */
export function runnerListensForRejections(): void {
  for (const listener of process.listeners('unhandledRejection')) own.add(listener);
}

/** Adds a listener of racecheck's own for 'unhandledRejection' (the search's batch check). */
export function watchRejections(listener: (reason: unknown) => void): void {
  own.add(listener);
  process.on('unhandledRejection', listener);
}

export function unwatchRejections(listener: (reason: unknown) => void): void {
  process.off('unhandledRejection', listener);
  own.delete(listener);
}

/** `--unhandled-rejections` as given to this process, on its command line or in NODE_OPTIONS (the last wins). */
function rejectionsMode(): string | undefined {
  const args = [...(process.env.NODE_OPTIONS ?? '').split(/\s+/), ...process.execArgv];
  let mode: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('--unhandled-rejections=')) mode = arg.slice('--unhandled-rejections='.length);
    else if (arg === '--unhandled-rejections') mode = args[i + 1];
  }
  return mode;
}

const ENDING_MODES = new Set([undefined, 'throw', 'strict']);
const endingMode = ENDING_MODES.has(rejectionsMode());

/**
 * Node's tick queue runner (process._tickCallback, an undocumented alias kept in Node 20 to 24): it runs
 * what nextTick queued, the microtasks, and then reports the rejections nothing handled, at once.
 */
const runTicks = (process as { _tickCallback?: () => void })._tickCallback;

/**
 * Whether a rejection that nothing handled by the end of its macrotask ends the process, as it does by
 * default: Node reports it there ('unhandledRejection') and, with nobody else listening, throws it. A
 * program that listens itself, or a process started with `--unhandled-rejections=warn` or `none`, goes on.
 */
export function rejectionsEndTheProcess(): boolean {
  if (!endingMode || runTicks === undefined) return false;
  for (const listener of process.listeners('unhandledRejection')) if (!own.has(listener)) return false;
  return true;
}

/**
 * Makes Node report now, to the listeners, the rejections nothing has handled yet, as it does at the end of
 * a macrotask. For a run at a point where no task can continue (what follows is a timer or I/O: a new
 * macrotask for Node), when its microtasks and nextTicks have all run.
 */
export function reportRejectionsNow(): void {
  runTicks!.call(process);
}
