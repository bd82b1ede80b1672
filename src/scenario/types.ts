/** What `check` and `invariant` return: true/undefined hold; false, a message or a thrown error do not. */
export type CheckValue = boolean | string | undefined | void;
export type CheckResult = CheckValue | Promise<CheckValue>;

/** The second argument of every task. */
export interface TaskContext {
  /** The task's name: its record key, or `t0`, `t1`, ... for an array of tasks. */
  readonly name: string;
  readonly index: number;
  /** The run's seed. */
  readonly seed: number;
  /** Resolves after `ms` milliseconds of virtual time. */
  sleep(ms: number): Promise<void>;
}

export type TaskFn<S> = (state: S, ctx: TaskContext) => unknown;

export type TaskResult = { readonly status: 'fulfilled'; readonly value: unknown } | { readonly status: 'rejected'; readonly reason: unknown };

/** How each task ended, by task name. */
export type TaskResults = Record<string, TaskResult>;

/** A scenario: concurrent tasks over shared state, and what must hold of that state. */
export interface Scenario<S = any> {
  /** Display name; defaults to the export's name. */
  name?: string;
  /** Builds fresh shared state for one run (may be async). Default: `{}`. */
  setup?: () => S | Promise<S>;
  /** The concurrent tasks of one run: an array (named t0, t1, ...) or a record keyed by task name. */
  tasks: readonly TaskFn<S>[] | Readonly<Record<string, TaskFn<S>>>;
  /** Runs once every task settled. */
  check?: (state: S, results: TaskResults) => CheckResult;
  /** Runs after every scheduling step. */
  invariant?: (state: S) => CheckResult;
  /** Runs after every run, pass or fail. */
  teardown?: (state: S) => unknown;
  /** When true, a task that rejects is not a violation; `check` sees it in `results`. */
  allowRejections?: boolean;
  /** Per-scenario defaults; command-line flags override them. */
  runs?: number;
  maxSteps?: number;
  timeoutMs?: number;
  maxBlockingMs?: number;
}

/** A scenario checked and put in the shape the scheduler runs. */
export interface NormalizedScenario {
  readonly name: string;
  readonly setup: (() => unknown) | undefined;
  readonly tasks: readonly { readonly name: string; readonly fn: TaskFn<unknown> }[];
  readonly check: ((state: unknown, results: TaskResults) => unknown) | undefined;
  readonly invariant: ((state: unknown) => unknown) | undefined;
  readonly teardown: ((state: unknown) => unknown) | undefined;
  readonly allowRejections: boolean;
  readonly runs: number | undefined;
  readonly maxSteps: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly maxBlockingMs: number | undefined;
}

/** A scenario together with where it came from (what `loadScenarios` returns). */
export interface LoadedScenario {
  readonly id: string;
  readonly file: string;
  readonly exportName: string;
  readonly scenario: NormalizedScenario;
}
