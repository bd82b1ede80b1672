/**
 * How a rewritten `await` waits for its operand, as the language's own `await` would: which objects are
 * thenables, how their `then` is read and called, and a native await for native promises. The run loop
 * (run.ts) asks it at every await it controls.
 */
import { types } from 'node:util';

/** Promise.prototype.then as it was when racecheck loaded: the program may patch it, which `await` never calls. */
export const promiseThen = Promise.prototype.then;
export const NATIVE_PROMISE = Symbol('native promise');

/**
 * How `await value` waits, read as `await` reads it: a native promise is adopted through its `constructor`
 * (read once, by a native await: awaitNatively), without a look at its `then`; any other object's `then` is
 * read once, and if it is a function called in a job of its own with a promise's resolving functions, as
 * the await's NewPromiseResolveThenableJob does; a `then` that throws rejects. Null: not a thenable (the
 * await resumes with the value itself).
 */
export function adoption(value: unknown): typeof NATIVE_PROMISE | { readonly promise: Promise<unknown> } | null {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return null;
  if (types.isPromise(value)) return NATIVE_PROMISE;
  let then: unknown;
  try {
    then = (value as { then?: unknown }).then;
  } catch (error) {
    return { promise: Promise.reject(error) };
  }
  if (typeof then !== 'function') return null;
  const promise = new Promise<unknown>((resolve, reject) => {
    queueMicrotask(() => {
      try {
        Reflect.apply(then as Function, value, [resolve, reject]);
      } catch (error) {
        reject(error);
      }
    });
  });
  return { promise };
}

/** A native await of a native promise: exactly what the program's own `await` reads of it. */
export async function awaitNatively(promise: unknown, fulfilled: (result: unknown) => void, rejected: (reason: unknown) => void): Promise<void> {
  let result: unknown;
  try {
    result = await promise;
  } catch (reason) {
    rejected(reason);
    return;
  }
  fulfilled(result);
}
