import type { SearchSummary, SiteRef, TraceStep } from '../scheduler/engine.js';
import type { ViolationKind } from '../scheduler/types.js';

export const SCHEMA_VERSION = 1;

export interface ReportViolation {
  readonly kind: ViolationKind;
  readonly message: string;
  /** 1-based run number, and that run's own seed. */
  readonly run: number;
  readonly seed: number;
  /** The step after which the violation was detected. */
  readonly step: number;
  readonly strategy: string;
  readonly preemptions: number;
  readonly shrunk: boolean;
  /** Token for `--replay`: reruns exactly this schedule. */
  readonly replay: string;
  /** A command that reproduces this violation. */
  readonly command: string;
  readonly trace: readonly TraceStep[];
  readonly blocked?: readonly { readonly task: string; readonly sites: readonly SiteRef[] }[];
}

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
