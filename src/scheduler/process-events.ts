/**
 * Node's process-wide events, forwarded to the run that is active. One set of listener functions serves
 * every run: they are added at a run's start and removed at its end.
 */
export interface ProcessEventSink {
  noteRejection(promise: Promise<unknown>, reason: unknown, handled: boolean): void;
  noteUncaught(error: unknown): void;
}

let sink: ProcessEventSink | null = null;

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
