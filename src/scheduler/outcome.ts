import { inspect } from 'node:util';
import { nativeMessage } from '../instrument/messages.js';

/**
 * Evaluates a `check` or `invariant` result: `true`, `undefined` (and `null`) hold; `false`, a string, a
 * thrown error or a rejected promise are violations. Anything else is a violation too, named in the
 * message, rather than silently taken as success. Returns null when it holds, else the message; `onThrow`
 * gets what was thrown (its stack goes into the report).
 */
export async function evaluateCheck(run: () => unknown, onThrow?: (error: unknown) => void): Promise<string | null> {
  let result: unknown;
  try {
    result = run();
    if (isThenable(result)) result = await result;
  } catch (error) {
    onThrow?.(error);
    return describeError(error);
  }
  return checkMessage(result);
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The same for a value already at hand (not a promise): null when it holds, else the message. */
export function checkMessage(result: unknown): string | null {
  if (result === true || result === undefined || result === null) return null;
  if (result === false) return 'returned false';
  if (typeof result === 'string') return result === '' ? 'returned an empty message' : result;
  return `returned ${inspect(result, { depth: 2, breakLength: Infinity })}, expected true, false, undefined or a message`;
}

/** An error's message (an AssertionError's is already the explanation); any other value, inspected. */
function describeError(error: unknown): string {
  if (error instanceof Error) return nativeMessage(error) || error.name;
  return describeValue(error);
}

/** One line naming a value: `Error: message` for errors, an inspection otherwise. */
export function describeValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${nativeMessage(value)}`;
  if (typeof value === 'string') return value;
  return inspect(value, { depth: 2, breakLength: Infinity });
}
