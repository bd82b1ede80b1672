/** What the state watcher and the lock watcher note: where state is, and one access to it. */
import type { SiteRef } from '../site.js';

/** Where state is: `key` says which accesses touch the same thing, `display` how to name it. */
export interface StatePath {
  readonly key: string;
  readonly display: string;
}

export interface AccessNote {
  readonly op: 'read' | 'write';
  readonly key: string;
  readonly target: string;
  readonly value: unknown;
  /** A read that only tests (`has`, `size`, `length`): what a check-then-act race checks. */
  readonly check: boolean;
  /** The key of the object the target belongs to: writes to one object that belong together. */
  readonly group: string;
  /** Where, when the code that made the access is known; undefined: read it off the stack. */
  readonly site?: SiteRef;
}

/** An access as the log gets it: its value already rendered (values change; the rendering is of that moment). */
export type RenderedAccess = Omit<AccessNote, 'value'> & { readonly value: string };
