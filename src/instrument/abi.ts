/**
 * The contract between rewritten modules and the scheduler's runtime. The rewriter emits calls to these
 * methods on a global object; the runtime installs an object that implements them. Both sides are typed
 * against this module, so a renamed method is a compile error, not a ReferenceError in a user's module.
 */
import type { Site } from '../site.js';

/** The global the runtime installs and every rewritten module reads once, in its preamble. */
export const RUNTIME_GLOBAL = '__racecheck$';

/** One instrumented await, as the rewritten module registers it: 1-based line and column, and the source line's text. */
export type SiteRow = [line: number, column: number, text: string];

/** What rewritten code calls. Short names: they appear at every await of every instrumented module. */
export interface RuntimeAbi {
  /** Registers a module's sites when it loads; the rewritten code passes `sites[i]` to the other calls. */
  s(url: string, rows: readonly SiteRow[]): readonly Site[];
  /** `await x` becomes `await rt.a(x, site)`: a scheduling point inside a run, `x` itself outside one. */
  a(value: unknown, site: Site | undefined): unknown;
  /** `for await (… of it)` becomes `for await (… of rt.fa(it, site))`: every `next()` is a scheduling point. */
  fa(iterable: unknown, site: Site | undefined): unknown;
}

/** The method names, as the rewriter writes them. */
export const ABI = { register: 's', await: 'a', forAwait: 'fa' } as const satisfies Record<string, keyof RuntimeAbi>;
