import { libraryPoint } from '../scheduler/runtime.js';

/**
 * racecheck's own modules are not instrumented, so where a primitive awaits on the caller's behalf (the
 * acquire inside runExclusive) it declares the scheduling point itself; outside a run this is a plain await.
 */
export function schedulingPoint<T>(value: Promise<T>, label: string): Promise<T> {
  return libraryPoint(value, `racecheck/sync ${label}`) as Promise<T>;
}
