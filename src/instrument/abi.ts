/**
 * The contract between rewritten modules and the scheduler's runtime. The rewriter emits calls to these
 * methods on a global object; the runtime installs an object that implements them. Both sides are typed
 * against this module, so a renamed method is a compile error, not a ReferenceError in a user's module.
 */
import type { Site } from '../site.js';

/** The global the runtime installs and every rewritten module reads once, in its preamble. */
export const RUNTIME_GLOBAL = '__racecheck$';

/**
 * One instrumented await, as the rewritten module registers it: 1-based line and column, the source line's
 * text, and, when a source map moved the site into another file than the module itself (a package's
 * `src/x.ts` behind its `dist/x.js`), that file's URL.
 */
export type SiteRow = readonly [line: number, column: number, text: string, sourceUrl?: string];

/**
 * Text the rewrite inserted on one line: `length` characters before the character that sits at 1-based
 * `column` of the module as loaded. Lines never change; these rows are all it takes to map a column of the
 * running (rewritten) code back (see positions.ts).
 */
export type ShiftRow = readonly [line: number, column: number, length: number];

/** How a module's stack positions relate to what was loaded (the last argument of `s`). */
export interface ModuleShifts {
  readonly rows: readonly ShiftRow[];
  /**
   * The rewritten module carries a source map (its own, adjusted for the insertions): where Node applies
   * source maps to stack traces, its frames already name the original positions and must not be shifted.
   */
  readonly mapped?: true;
}

/** What rewritten code calls. Short names: they appear at every await of every instrumented module. */
export interface RuntimeAbi {
  /** Registers a module's sites and column shifts when it loads; the rewritten code passes `sites[i]` to the other calls. */
  s(url: string, rows: readonly SiteRow[], shifts?: ModuleShifts): readonly Site[];
  /**
   * `await x` becomes `await rt.a(x, site)`: a scheduling point inside a run, `x` itself outside one.
   * Transpiled awaits (`yield x` in a generator driven by `__awaiter`/`asyncToGenerator`, `[4, x]` in
   * TypeScript's `__generator`) become `yield rt.a(x, site)`: the helper adopts the returned promise the
   * way a native await does.
   */
  a(value: unknown, site: Site | undefined): unknown;
  /** `for await (… of it)` becomes `for await (… of rt.fa(it, site))`: every `next()` is a scheduling point. */
  fa(iterable: unknown, site: Site | undefined): unknown;
}

/** The method names, as the rewriter writes them. */
export const ABI = { register: 's', await: 'a', forAwait: 'fa' } as const satisfies Record<string, keyof RuntimeAbi>;
