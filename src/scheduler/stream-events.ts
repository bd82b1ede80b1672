/**
 * A promise made by hand around a stream's listener (`new Promise((resolve) => stream.once('data', resolve))`)
 * settles in the listener, while the stream emits the event: in Node its continuation runs before the next I/O
 * callback, so it adds its next listener before the stream's next event. racecheck could not tell such a promise
 * from any other, let I/O land while its continuation was ready, and a flowing stream's next chunk (or the
 * 'close' after a 'finish') went by with no listener. While a stream emits an event to a listener added with
 * `once`, the awaits that settle are tied to the stream's events, as `events.once` is (Pause.eventTied).
 *
 * Streams only (Readable, Writable and the Duplex that share their prototypes): other emitters' events (an
 * http request's 'response') stay plain, so that which of several requests in flight answered first does not
 * decide which tasks are ready.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { context } from './context.js';

type Emit = (this: Emitter, event: string | symbol, ...args: unknown[]) => boolean;

interface Emitter {
  listenerCount(event: string | symbol): number;
  rawListeners(event: string | symbol): Function[];
}

const INSTALLED = Symbol.for('racecheck.stream-events');
/**
 * The events a stream's next event follows from the same I/O: a flowing stream's next chunk or its 'end' after
 * a 'data', the 'close' after an 'end' or a 'finish'. Not 'connect' and the like: a client library's own
 * `once('connect')` would tie every request, and then which connection opened first would decide which tasks
 * are ready.
 */
const CHAINED = new Set<string | symbol>(['data', 'readable', 'end', 'finish']);

/** Whether an await settling now was settled by a stream's event to a `once` listener (see the module's comment). */
export function settlingInStreamEvent(): boolean {
  return tied;
}

/** Set from the end of such an emit until the microtasks it queued (the settled promises' reactions) have run. */
let tied = false;
const untie = (): void => {
  tied = false;
};

/** Wraps the streams' emit, once per thread. */
export function tieStreamEvents(): void {
  const store = globalThis as Record<symbol, unknown>;
  if (store[INSTALLED]) return;
  store[INSTALLED] = true;
  const stream = createRequire(import.meta.url)('node:stream') as { Readable: { prototype: object }; Writable: { prototype: object } };
  for (const proto of [stream.Readable.prototype, stream.Writable.prototype] as Record<string, unknown>[]) {
    const emit = proto.emit as Emit;
    proto.emit = function (this: Emitter, event: string | symbol, ...args: unknown[]): boolean {
      if (context.run === null || !CHAINED.has(event) || this.listenerCount(event) === 0 || !hasOnceListener(this, event)) return emit.call(this, event, ...args);
      try {
        return emit.call(this, event, ...args);
      } finally {
        // The settled promises' reactions were queued during the emit: they run before this microtask.
        tied = true;
        queueMicrotask(untie);
      }
    };
  }
  syncBuiltinESMExports();
}

/** `once` wraps its listener and keeps the original on the wrapper. */
function hasOnceListener(emitter: Emitter, event: string | symbol): boolean {
  for (const listener of emitter.rawListeners(event)) if ((listener as { listener?: unknown }).listener !== undefined) return true;
  return false;
}
