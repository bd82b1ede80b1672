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

/**
 * One tracked access site of shared state (instrument/state-access.ts): what it is called in the code (a
 * variable's name, or `this.#field`), where it is, and what it is: for a variable the number of its
 * declaration within the module (every access of one variable has the same), for a private field `#name`;
 * and for a variable initialised with `new X(…)`, X.
 */
export type StateRow = readonly [display: string, line: number, column: number, identity: number | string, made?: string];

/**
 * A place where V8 words a TypeError from the code it runs (`x.y is not a function`, `x is not iterable`,
 * `Cannot destructure property 'a' of 'x'`) and the rewrite wrapped a read it prints: the message of the
 * rewritten code names `__rc$.v(...)` there (or `__rc$.fa(...)`, a `for await`'s operand), which the report
 * maps back (instrument/messages.ts). `natives` are what V8 prints for each wrapped read as written, in the
 * order it prints them; `direct` (1) when the whole expression is the wrapped read of an iterable, which V8
 * words otherwise (`x is not iterable`, not `__rc$.v is not a function or its return value is not iterable`),
 * and (2) for an array pattern's value (`const [a] = x`). Positions are 1-based in the code as loaded
 * (`endColumn` 0: the expression goes on past its first line); `mapped` is where a source map puts it.
 */
export type PrintRow = readonly [line: number, column: number, endColumn: number, natives: readonly string[], direct: 0 | 1 | 2, mapped?: readonly [line: number, url?: string]];

/** A registered state access site, as rewritten code passes it back to the runtime. */
export interface StateEntry {
  readonly display: string;
  readonly url: string;
  readonly line: number;
  readonly column: number;
  /** `#name` for a private field (its owner is passed with each access); absent for a variable. */
  readonly field?: string;
  /** A variable's identity within the run: one per declaration and module. */
  readonly key: string;
  /** For a variable initialised with `new X(…)`: X, what the report calls the object if it cannot look inside. */
  readonly made?: string;
}

/** What rewritten code calls. Short names: they appear at every await of every instrumented module. */
export interface RuntimeAbi {
  /** Registers a module's sites and column shifts when it loads; the rewritten code passes `sites[i]` to the other calls. */
  s(url: string, rows: readonly SiteRow[], shifts?: ModuleShifts, prints?: readonly PrintRow[]): readonly Site[];
  /**
   * `await x` becomes `await rt.a(x, site)`: a scheduling point inside a run, `x` itself outside one.
   * Transpiled awaits (`yield x` in a generator driven by `__awaiter`/`asyncToGenerator`, `[4, x]` in
   * TypeScript's `__generator`) become `yield rt.a(x, site)`: the helper adopts the returned promise the
   * way a native await does.
   */
  a(value: unknown, site: Site | undefined): unknown;
  /** `for await (… of it)` becomes `for await (… of rt.fa(it, site))`: every `next()` is a scheduling point. */
  fa(iterable: unknown, site: Site | undefined): unknown;
  /** Registers a module's state access sites (the table the other state calls index into). */
  t(url: string, rows: readonly StateRow[]): readonly StateEntry[];
  /** A read of tracked state: returns `value` (outside a recording replay, and that is all it does). */
  v(entry: StateEntry | undefined, value: unknown, owner?: unknown): unknown;
  /** A write: `x = e` becomes `x = rt.w(entry, e)`; returns what is to be stored. */
  w(entry: StateEntry | undefined, value: unknown, owner?: unknown): unknown;
  /** A compound assignment, after its old value was read with `v`: returns its result. `logical`: `||=` and friends. */
  c(entry: StateEntry | undefined, old: unknown, result: unknown, logical: 0 | 1, owner?: unknown): unknown;
  /**
   * A compound or logical assignment to a private member, which may be an accessor to read once:
   * `this.#x += e` becomes `rt.b(rt.v(entry, this.#x, this), (p) => this.#x = rt.w(entry, p, this)).v += e`;
   * returns a cell whose `v` is `value` and whose setter calls `set`.
   */
  b(value: unknown, set: (value: unknown) => unknown): { v: unknown };
  /** `x++`, `--x`: returns the expression's value; `delta` is ±1, `prefix` 1 for `++x`. */
  u(entry: StateEntry | undefined, result: unknown, delta: 1 | -1, prefix: 0 | 1, owner?: unknown): unknown;
  /** Marks a class as declared in instrumented code: its instances are the user's own state. */
  k(cls: Function): void;
}

/** The method names, as the rewriter writes them. */
export const ABI = { register: 's', await: 'a', forAwait: 'fa', registerState: 't' } as const satisfies Record<string, keyof RuntimeAbi>;
