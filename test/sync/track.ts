/** A promise's state, readable synchronously once `flush()` let its callbacks run. */
export interface Tracked {
  readonly state: 'pending' | 'fulfilled' | 'rejected';
  readonly error: unknown;
}

export function track(promise: Promise<unknown>): Tracked {
  const tracked: { state: Tracked['state']; error: unknown } = { state: 'pending', error: undefined };
  promise.then(
    () => {
      tracked.state = 'fulfilled';
    },
    (error: unknown) => {
      tracked.state = 'rejected';
      tracked.error = error;
    },
  );
  return tracked;
}

/** Lets every pending promise callback run: a macrotask comes after all queued microtasks. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
