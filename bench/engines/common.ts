/** What each engine measures per program and strategy, as JSON for bench/run.mjs. */
export interface FindRow {
  readonly program: string;
  readonly difficulty: 'shallow' | 'deep';
  readonly engine: 'racecheck' | 'fast-check';
  readonly strategy: string;
  /** Runs until the first failure, one entry per seed; null when none was found within `cap` runs. */
  readonly runsToFailure: readonly (number | null)[];
  readonly cap: number;
  /** Failing runs among `shareRuns` runs of the buggy program. */
  readonly failing: number;
  readonly shareRuns: number;
  /** Runs per second over those runs. */
  readonly runsPerSecond: number;
  /** Failures among `correctRuns` runs of the correct program: must be 0. */
  readonly falsePositives: number;
  readonly correctRuns: number;
  /** Whether the correct program's search covered every schedule (exhaustive strategies only). */
  readonly complete?: boolean;
}

export const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
export const CAP = 5000;
export const SHARE_RUNS = 2000;
export const CORRECT_RUNS = 2000;

export function option(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
}

export interface VerdictRow {
  readonly scenario: string;
  readonly maxPreemptions: number;
  readonly status: 'pass' | 'fail' | 'error';
  /** Schedules run: all of them within the bound when `complete`, or until the first failure. */
  readonly schedules: number;
  readonly complete: boolean;
  readonly seconds: number;
}

export interface ThroughputReport {
  readonly stress: { readonly stepsPerSecond: number; readonly nsPerStep: number; readonly nativeNsPerAwait: number; readonly ratio: number };
  readonly programs: readonly { readonly program: string; readonly engine: string; readonly strategy: string; readonly runsPerSecond: number }[];
  readonly memory?: { readonly runs: number; readonly samples: readonly { readonly runs: number; readonly heapMiB: number; readonly rssMiB: number }[] };
}

/** Best of `rounds` timings of `fn`, in milliseconds: the least disturbed measurement. */
export async function bestOf(rounds: number, fn: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await fn();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}
