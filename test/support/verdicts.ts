/**
 * Verdicts of trust fixtures (test/fixtures/trust), read through the CLI's JSON report: for the false-red
 * tests (test/scheduler/false-reds*.test.ts).
 */
import { runMain } from '../cli/helpers.js';

export interface Verdict {
  readonly name: string;
  readonly status: string;
  readonly violation?: { readonly kind: string; readonly message: string };
  readonly error?: { readonly message: string };
}

/**
 * Runs one scenario file through the CLI (the scenario runs in racecheck's child process, as for a user):
 * some of these bugs hide in a vitest worker, whose own handles give the event loop the turns a CLI child
 * does not get. `--max-blocking` is pinned (10 s unless given): a step a busy machine stalls must not be what
 * turns these red.
 */
export async function verdicts(file: string, args: readonly string[], maxBlockingMs = 10_000): Promise<Verdict[]> {
  const { stdout, stderr } = await runMain([`test/fixtures/trust/${file}`, '--json', '--max-blocking', String(maxBlockingMs), ...args], { env: { RACECHECK_SLOW_PEER: process.env.RACECHECK_SLOW_PEER } });
  try {
    return (JSON.parse(stdout) as { scenarios: Verdict[] }).scenarios;
  } catch {
    throw new Error(`no JSON report; stderr: ${stderr}`);
  }
}

/**
 * Every scenario of one file, in one CLI run (one child process where a run per scenario would start one
 * each): by name. Run once per file and arguments, and shared by the tests that read it.
 */
const fileRuns = new Map<string, Promise<Map<string, Verdict>>>();
export function verdictsOfFile(file: string, args: readonly string[], maxBlockingMs?: number): Promise<Map<string, Verdict>> {
  const key = JSON.stringify([file, args, maxBlockingMs]);
  let run = fileRuns.get(key);
  if (!run) {
    run = verdicts(file, args, maxBlockingMs).then((all) => new Map(all.map((verdict) => [verdict.name, verdict])));
    fileRuns.set(key, run);
  }
  return run;
}

export const describeVerdict = (v: Verdict): string => (v.violation ? `${v.violation.kind}: ${v.violation.message}` : v.error ? `${v.status}: ${v.error.message}` : v.status);
