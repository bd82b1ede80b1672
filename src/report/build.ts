import { toReportAdvice } from './advice.js';
import { firstEarlierRunStep, type ScenarioResult, type SearchSummary, type TraceStep } from '../scheduler/result.js';
import { encodeReplayToken } from './replay-token.js';
import { SCHEMA_VERSION, type LeftProcess, type Report, type ReportError, type ReportViolation, type ScenarioReport, type Shard } from './types.js';

export interface CommandStyle {
  /** How to invoke racecheck in a printed command: `racecheck`, or `npx racecheck` when run through npx. */
  readonly program: string;
}

/** Adds to a scenario's result what a report needs: the file, the replay token and the command. */
export function toScenarioReport(result: ScenarioResult, file: string, style: CommandStyle, extra: { processesLeft?: readonly LeftProcess[] } = {}): ScenarioReport {
  const base = {
    id: result.id,
    file,
    name: result.name,
    status: result.status,
    runs: result.runs,
    steps: result.steps,
    durationMs: result.durationMs,
    search: result.search,
    ...(result.interrupted ? { interrupted: true as const } : {}),
    ...(extra.processesLeft && extra.processesLeft.length > 0 ? { processesLeft: extra.processesLeft } : {}),
  };
  const adviced = (report: ScenarioReport): ScenarioReport =>
    result.advice ? { ...report, advice: toReportAdvice(result.advice, result.id, (replay) => `${style.program} ${shellQuote(file)} --replay ${replay}`) } : report;
  if (result.status === 'error') return { ...base, violation: null, error: result.error };
  if (result.status === 'pass') {
    // A scenario that passed but left processes running did not clean up after itself: that is its error.
    if (!base.processesLeft) return adviced({ ...base, violation: null });
    return { ...base, status: 'error', violation: null, error: { message: leftMessage(base.processesLeft) } };
  }
  const { choices, counts, ...found } = result.violation;
  // A replay of the scenario alone cannot have the timers an earlier run left: the token says from where.
  const carriedFrom = firstEarlierRunStep(found.trace);
  const replay = encodeReplayToken({ id: result.id, strategy: found.strategy, seed: found.seed, choices, counts, bypass: result.bypassLocks, ...(carriedFrom === undefined ? {} : { carriedFrom }) });
  const violation: ReportViolation = {
    ...found,
    explanation: found.explanation ?? null,
    replay,
    // A schedule that was recorded in full replays exactly; one lost with a crashed process reruns its seed.
    command:
      choices.length > 0 || found.trace.length === 0
        ? `${style.program} ${shellQuote(file)} --replay ${replay}`
        : `${style.program} ${shellQuote(file)} --filter ${shellQuote(result.id)} --seed ${found.seed} --runs 1${found.strategy === 'random' ? '' : ` --strategy ${found.strategy}`}`,
  };
  return adviced({ ...base, violation });
}

function leftMessage(left: readonly LeftProcess[]): string {
  const list = left.slice(0, 3).map((p) => p.command).join('; ');
  const more = left.length > 3 ? `; and ${left.length - 3} more` : '';
  return `left ${left.length === 1 ? 'a process' : `${left.length} processes`} running after its runs (${list}${more}); racecheck ended ${left.length === 1 ? 'it' : 'them'}. End what setup or the tasks start in teardown.`;
}

/** A scenario, or a whole file, that could not run: `id` is `file#export`, or the file's path for a file that did not load. */
export function errorScenarioReport(scenario: { readonly id: string; readonly file: string; readonly name?: string; readonly strategy: string }, error: ReportError, durationMs = 0): ScenarioReport {
  return {
    id: scenario.id,
    file: scenario.file,
    name: scenario.name ?? scenario.id,
    status: 'error',
    runs: 0,
    steps: 0,
    durationMs: round(durationMs),
    search: { strategy: scenario.strategy, schedules: 0, complete: false },
    violation: null,
    error,
  };
}

/** What a scenario had done when its process was lost (a synchronous hang, an exit, a signal). */
export interface LostProcess {
  readonly id: string;
  readonly name: string;
  /** The master seed, and the strategy that was searching. */
  readonly seed: number;
  readonly strategy: string;
  /** Runs begun, including the one that was going, and steps taken. */
  readonly runs: number;
  readonly steps: number;
  readonly durationMs: number;
  /** The run that was going when the process was lost, if one was. */
  readonly run?: {
    readonly kind: 'timeout' | 'exception';
    readonly message: string;
    readonly number: number;
    readonly seed: number;
    readonly step: number;
    /** The schedule up to the step where it was lost, when it was recorded (a replay token can then rerun it). */
    readonly schedule: { readonly choices: readonly number[]; readonly counts: readonly number[] } | undefined;
    /** The latest steps. */
    readonly trace: readonly TraceStep[];
    readonly reproduced?: { readonly tries: number; readonly failed: number };
  };
  /** Without a run going: why the process stopped. */
  readonly error?: ReportError;
  readonly interrupted?: boolean;
}

/** The result of a scenario whose process was lost: a violation if a run was going, else an error. */
export function lostProcessResult(lost: LostProcess): ScenarioResult {
  // Schedules are counted by the search, which was lost with the process: runs begun is the closest figure.
  const search: SearchSummary = { strategy: lost.strategy, schedules: lost.runs, complete: false };
  const base = {
    id: lost.id,
    name: lost.name,
    runs: lost.runs,
    failedRuns: lost.run ? 1 : 0,
    steps: lost.steps,
    durationMs: round(lost.durationMs),
    seed: lost.seed,
    search,
    ...(lost.interrupted ? { interrupted: true as const } : {}),
  };
  if (!lost.run) {
    if (lost.error) return { ...base, status: 'error', violation: null, error: lost.error };
    return { ...base, status: 'pass', violation: null };
  }
  const run = lost.run;
  return {
    ...base,
    status: 'fail',
    violation: {
      kind: run.kind,
      message: run.message,
      run: run.number,
      seed: run.seed,
      step: run.step,
      strategy: lost.strategy,
      choices: run.schedule?.choices ?? [],
      counts: run.schedule?.counts ?? [],
      trace: run.trace,
      // Unknown: only the latest steps were kept, without the candidates each step had.
      preemptions: 0,
      shrunk: false,
      ...(run.reproduced ? { reproduced: run.reproduced } : {}),
    },
  };
}

export interface ReportRun {
  readonly seed: number;
  readonly version: string;
  readonly durationMs: number;
  readonly interrupted: boolean;
  readonly shard?: Shard;
}

export function buildReport(scenarios: readonly ScenarioReport[], run: ReportRun): Report {
  const count = (status: ScenarioReport['status']) => scenarios.filter((s) => s.status === status).length;
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'racecheck', version: run.version },
    seed: run.seed,
    interrupted: run.interrupted,
    ...(run.shard ? { shard: run.shard } : {}),
    scenarios,
    summary: { scenarios: scenarios.length, passed: count('pass'), failed: count('fail'), errors: count('error'), durationMs: round(run.durationMs) },
  };
}

/** Quotes an argument for POSIX shells when it holds anything beyond plain path characters. */
export function shellQuote(value: string): string {
  return /^[\w./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
