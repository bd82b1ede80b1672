import type { SiteRef } from '../site.js';
import type { ScenarioResult } from '../scheduler/result.js';
import type { SearchSettings } from '../scheduler/settings.js';

/** What the parent needs to know of a loaded scenario. */
export interface ScenarioInfo {
  readonly id: string;
  readonly file: string;
  readonly exportName: string;
  readonly name: string;
  readonly tasks: readonly string[];
  readonly runs: number | undefined;
  readonly timeoutMs: number | undefined;
}

/** Options of one scenario's runs, as they cross to the worker (plain data). */
export type WorkerRunOptions = SearchSettings;

export interface WorkerConfig {
  readonly cwd: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly heartbeat: SharedArrayBuffer;
}

export type ToWorker =
  | { readonly type: 'load'; readonly file: string }
  | { readonly type: 'run'; readonly id: string; readonly options: WorkerRunOptions };

export type FromWorker =
  | { readonly type: 'loaded'; readonly file: string; readonly scenarios: readonly ScenarioInfo[] }
  | { readonly type: 'load-error'; readonly file: string; readonly message: string }
  | { readonly type: 'sites'; readonly sites: readonly (SiteRef & { readonly id: number })[] }
  | { readonly type: 'progress'; readonly id: string; readonly runs: number }
  | { readonly type: 'result'; readonly id: string; readonly result: ScenarioResult }
  /** A violation as found, before shrinking: what the parent reports if the worker dies while shrinking. */
  | { readonly type: 'provisional'; readonly id: string; readonly result: ScenarioResult }
  | { readonly type: 'failed'; readonly id: string; readonly message: string };
