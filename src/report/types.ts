import type { ReportAdvice } from '../scheduler/advice.js';
import type { Explanation, SearchSummary, Violation } from '../scheduler/result.js';

export const SCHEMA_VERSION = 1;

/** A violation as reported: the engine's, with the schedule's choices packed into a replay token and a command. */
export type ReportViolation = Omit<Violation, 'choices' | 'counts' | 'explanation'> & {
  /** SPEC §5: every reported violation has the key, null when nothing could be tracked. */
  readonly explanation: Explanation | null;
  /** Token for `--replay`: reruns exactly this schedule. */
  readonly replay: string;
  /** A command that reproduces this violation. */
  readonly command: string;
};

/** Why a scenario could not run: its file did not load, its export is not a scenario, its setup threw. */
export interface ReportError {
  /** One line, naming the file (and for a syntax error its line and column). */
  readonly message: string;
  /** The error's stack, its frames mapped to the original source, where there is one. */
  readonly stack?: string;
  /** Where it happened, when known (1-based): a syntax error's position, or the line that threw. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** The source lines around that position, with a caret under the column. */
  readonly frame?: string;
}

/** A process a scenario started and left running; racecheck ended it. (No pid: a report does not depend on the run's process ids.) */
export interface LeftProcess {
  readonly command: string;
}

export interface ScenarioReport {
  /** `<file>#<export>`; for a file that failed to load, the file's path. */
  readonly id: string;
  readonly file: string;
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'error';
  readonly runs: number;
  readonly steps: number;
  readonly durationMs: number;
  readonly search: SearchSummary;
  readonly violation: ReportViolation | null;
  readonly error?: ReportError;
  /** The run was interrupted (SIGINT, SIGTERM) during this scenario: `runs` and `status` cover the runs it finished. */
  readonly interrupted?: true;
  /** Processes the scenario left running after its runs (racecheck ended them). */
  readonly processesLeft?: readonly LeftProcess[];
  /** The lock advisor's findings (SPEC §6); absent when there are none. */
  readonly advice?: readonly ReportAdvice[];
}

export interface Report {
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly tool: { readonly name: 'racecheck'; readonly version: string };
  /** The master seed. */
  readonly seed: number;
  /** True when SIGINT or SIGTERM stopped the run: the report holds what was found until then. */
  readonly interrupted: boolean;
  /** The part of the scenario files this run covered (`--shard i/n`), when it was a part. */
  readonly shard?: Shard;
  readonly scenarios: readonly ScenarioReport[];
  readonly summary: {
    readonly scenarios: number;
    readonly passed: number;
    readonly failed: number;
    readonly errors: number;
    readonly durationMs: number;
  };
}

/** The i-th of n parts (1-based). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** What a run is about to do, before any file loads. */
export interface RunStart {
  /** The scenario files, in the order their results are reported. */
  readonly files: readonly string[];
  readonly seed: number;
  readonly version: string;
  readonly shard?: Shard;
}

/** A scenario about to run: `runs` is how many runs it will make unless it fails or is interrupted first. */
export interface ScenarioStart {
  readonly id: string;
  readonly name: string;
  readonly runs: number;
}

/** A file whose scenarios are about to be reported: those selected (by --filter, --replay), in order. */
export interface FileStart {
  readonly file: string;
  readonly scenarios: readonly ScenarioStart[];
}

export interface Progress {
  readonly id: string;
  readonly runs: number;
  readonly totalRuns: number;
  readonly elapsedMs: number;
}

/**
 * Lifecycle hooks a reporter may implement; each is optional. Files run in parallel, but the hooks are
 * called in file order, and within a file in scenario order, whatever the number of workers: a report
 * does not depend on `--workers`. Reporters never decide the exit code.
 */
export interface Reporter {
  onStart?(info: RunStart): void;
  onFileStart?(file: FileStart): void;
  onScenarioStart?(scenario: ScenarioStart): void;
  /** From time to time while the scenario being reported runs. */
  onProgress?(progress: Progress): void;
  onScenarioEnd?(scenario: ScenarioReport): void;
  onEnd?(report: Report): void | Promise<void>;
}
