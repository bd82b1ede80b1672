/**
 * What the CLI and the child process that runs one scenario file say to each other. Each message is one
 * line of JSON with a marker in front, written with a blocking write: the parent reads it from the child's
 * fd 3, the child from its fd 4. A child's stdout and stderr carry only what the scenario prints.
 */
import { StringDecoder } from 'node:string_decoder';
import type { SiteRef } from '../site.js';
import type { ScenarioResult } from '../scheduler/result.js';
import type { SearchSettings } from '../scheduler/settings.js';
import type { LeftProcess, ReportError } from '../report/types.js';
import type { HeartbeatReading } from './heartbeat.js';

/** The child's message channels: it writes on TO_PARENT_FD and reads on FROM_PARENT_FD. */
export const TO_PARENT_FD = 3;
export const FROM_PARENT_FD = 4;

/** Every process a child starts inherits this variable (unless given an environment of its own): how its leftovers are found. */
export const TAG_VARIABLE = 'RACECHECK_CHILD';

/** The child's instrumentation, given in its environment at spawn so that it can install it before its job comes. */
export const INSTRUMENT_VARIABLE = 'RACECHECK_INSTRUMENT';
/** For racecheck's own tests only: makes children fail their start (child.ts claimStartFailure). */
export const FAIL_START_VARIABLE = 'RACECHECK_TEST_FAIL_START';

export interface InstrumentConfig {
  readonly cwd: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/** Options of one scenario's runs, as they cross to the child (plain data, so no callbacks and no Strategy objects). */
export type ChildRunOptions = SearchSettings;

/** One file to load and the scenarios of it to run. */
export interface ChildJob {
  /** Relative to cwd (absolute outside it), as reported. */
  readonly file: string;
  readonly cwd: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Which scenarios to run, in the file's order: those whose id or name contains `filter`, or exactly `ids`. */
  readonly select: { readonly filter?: string; readonly ids?: readonly string[] };
  readonly options: ChildRunOptions;
}

/** A scenario the child found, as the parent needs it; `error` when the export is not a valid scenario. */
export interface ScenarioInfo {
  readonly id: string;
  readonly exportName: string;
  readonly name: string;
  readonly tasks: readonly string[];
  /** The runs it will make (the core's resolution of the options, the scenario's own and the defaults). */
  readonly runs: number;
  readonly timeoutMs: number;
  readonly strategy: string;
  readonly error?: ReportError;
}

export type ToChild =
  /** What to instrument, for a child started before the options were read (its environment then has none). */
  | { readonly type: 'instrument'; readonly config: InstrumentConfig }
  | { readonly type: 'job'; readonly job: ChildJob }
  | { readonly type: 'interrupt' };

/** What ended a child that did not finish its job, as the child itself saw it (an exit hook, a self-kill). */
export type DeathCause =
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'signal'; readonly signal: string }
  | { readonly kind: 'abort' }
  | { readonly kind: 'uncaught'; readonly message: string; readonly stack?: string };

/** A heartbeat reading with the sites its steps name. */
export interface RunSnapshot {
  readonly reading: HeartbeatReading;
  readonly sites: Readonly<Record<number, SiteRef>>;
}

export type FromChild =
  /** The file loaded: its scenarios selected to run, in order (malformed exports carry `error` and do not run). */
  /** `usedIncludes`: the --include entries under which loading the file instrumented a scheduling point. */
  | { readonly type: 'loaded'; readonly file: string; readonly scenarios: readonly ScenarioInfo[]; readonly exported: number; readonly usedIncludes: readonly string[] }
  | { readonly type: 'load-error'; readonly file: string; readonly error: ReportError }
  /** racecheck's own modules did not load in the child, before the job's file was imported: not the file's doing. */
  | { readonly type: 'start-failed'; readonly error: ReportError }
  | { readonly type: 'start'; readonly id: string }
  | { readonly type: 'progress'; readonly id: string; readonly runs: number }
  /** A violation as found, before shrinking: what the parent reports if the child is lost while shrinking. */
  | { readonly type: 'provisional'; readonly id: string; readonly result: ScenarioResult }
  | { readonly type: 'result'; readonly id: string; readonly result: ScenarioResult; readonly processesLeft?: readonly LeftProcess[] }
  /** runScenario itself threw: an internal error, reported for that scenario. */
  | { readonly type: 'failed'; readonly id: string; readonly error: ReportError }
  /**
   * From the watchdog, at least every second (so the parent knows the process is not stopped) and more
   * often while runs go: where the search is, should the process be lost without a word (out of memory).
   */
  | { readonly type: 'beat'; readonly id: string | undefined; readonly run: number; readonly step: number; readonly seed: number; readonly active: boolean }
  /** From the watchdog: a run has not returned to the event loop for longer than its timeout. */
  | { readonly type: 'hang'; readonly id: string; readonly timeoutMs: number; readonly snapshot: RunSnapshot }
  /** From an exit or signal hook, just before the process ends. */
  | { readonly type: 'died'; readonly id: string | undefined; readonly cause: DeathCause; readonly snapshot: RunSnapshot | undefined }
  | { readonly type: 'done' };

/** Marks racecheck's lines, so that a stray write to the channel is told apart from a message. */
const MARK = '\u001eRC';

export function encodeMessage(message: FromChild | ToChild, stringify: (value: unknown) => string = JSON.stringify): string {
  return `${MARK}${stringify(message)}\n`;
}

/** Splits a byte stream into messages; a line without the mark, or that does not parse, is reported to `onStray`. */
export function createMessageReader<T>(onMessage: (message: T) => void, onStray: (line: string) => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  return (chunk) => {
    const text = decoder.write(chunk);
    // Only the new text can hold the next newline: a long message arrives in many chunks.
    let newline = text.indexOf('\n');
    if (newline === -1) {
      pending += text;
      return;
    }
    let rest = pending + text;
    newline += pending.length;
    pending = '';
    while (newline !== -1) {
      const line = rest.slice(0, newline);
      rest = rest.slice(newline + 1);
      newline = rest.indexOf('\n');
      if (!line.startsWith(MARK)) {
        if (line !== '') onStray(line);
        continue;
      }
      let message: T;
      try {
        message = JSON.parse(line.slice(MARK.length)) as T;
      } catch {
        onStray(line);
        continue;
      }
      onMessage(message);
    }
    pending = rest;
  };
}
