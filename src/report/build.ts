import type { ScenarioResult } from '../scheduler/result.js';
import { encodeReplayToken } from './replay-token.js';
import { SCHEMA_VERSION, type Report, type ReportViolation, type ScenarioReport } from './types.js';

export interface CommandStyle {
  /** How to invoke racecheck in a printed command: `racecheck`, or `npx racecheck` when run through npx. */
  readonly program: string;
}

/** Adds to a scenario's result what a report needs: the file, the replay token and the command. */
export function toScenarioReport(result: ScenarioResult, file: string, style: CommandStyle): ScenarioReport {
  const base = {
    id: result.id,
    file,
    name: result.name,
    status: result.status,
    runs: result.runs,
    steps: result.steps,
    durationMs: result.durationMs,
    search: result.search,
  };
  if (result.status === 'error') return { ...base, violation: null, error: result.error };
  if (result.status === 'pass') return { ...base, violation: null };
  const { choices, counts, ...found } = result.violation;
  const replay = encodeReplayToken({ id: result.id, strategy: found.strategy, seed: found.seed, choices, counts });
  const violation: ReportViolation = {
    ...found,
    replay,
    // A schedule that was recorded in full replays exactly; one lost with a crashed worker reruns its seed.
    command:
      choices.length > 0 || found.trace.length === 0
        ? `${style.program} ${shellQuote(file)} --replay ${replay}`
        : `${style.program} ${shellQuote(file)} --filter ${shellQuote(result.id)} --seed ${found.seed} --runs 1${found.strategy === 'random' ? '' : ` --strategy ${found.strategy}`}`,
  };
  return { ...base, violation };
}

export function buildReport(scenarios: readonly ScenarioReport[], seed: number, version: string, durationMs: number): Report {
  const count = (status: ScenarioReport['status']) => scenarios.filter((s) => s.status === status).length;
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'racecheck', version },
    seed,
    scenarios,
    summary: { scenarios: scenarios.length, passed: count('pass'), failed: count('fail'), errors: count('error'), durationMs: Math.round(durationMs * 10) / 10 },
  };
}

/** Quotes an argument for POSIX shells when it holds anything beyond plain path characters. */
export function shellQuote(value: string): string {
  return /^[\w./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
