import type { SearchSummary, Violation } from '../scheduler/result.js';

export const SCHEMA_VERSION = 1;

/** A violation as reported: the engine's, with the schedule's choices packed into a replay token and a command. */
export type ReportViolation = Omit<Violation, 'choices' | 'counts'> & {
  /** Token for `--replay`: reruns exactly this schedule. */
  readonly replay: string;
  /** A command that reproduces this violation. */
  readonly command: string;
};

export interface ScenarioReport {
  readonly id: string;
  readonly file: string;
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'error';
  readonly runs: number;
  readonly steps: number;
  readonly durationMs: number;
  readonly search: SearchSummary;
  readonly violation: ReportViolation | null;
  readonly error?: { readonly message: string };
}

export interface Report {
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly tool: { readonly name: 'racecheck'; readonly version: string };
  /** The master seed. */
  readonly seed: number;
  readonly scenarios: readonly ScenarioReport[];
  readonly summary: {
    readonly scenarios: number;
    readonly passed: number;
    readonly failed: number;
    readonly errors: number;
    readonly durationMs: number;
  };
}

/** Lifecycle hooks a reporter may implement; each is optional. Reporters never decide the exit code. */
export interface Reporter {
  onStart?(info: { readonly scenarios: readonly string[]; readonly seed: number; readonly version: string }): void;
  onScenarioStart?(scenario: { readonly id: string; readonly name: string; readonly runs: number }): void;
  onProgress?(progress: { readonly id: string; readonly runs: number; readonly totalRuns: number; readonly elapsedMs: number }): void;
  onScenarioEnd?(scenario: ScenarioReport): void;
  onEnd?(report: Report): void | Promise<void>;
}
