/**
 * A search's settings and their defaults, resolved in one place: the programmatic API, the CLI's flags and
 * configuration file, and what crosses to a worker process are all `SearchSettings`.
 */
import type { LockSearch } from './locks.js';
import type { NormalizedScenario } from '../scenario/types.js';
import { isValidSeed, MAX_SEED, randomSeed } from './rng.js';
import { createStrategy, DEFAULT_STRATEGY, isStrategyName, strategyDescriptor, type StrategyName } from './strategies/index.js';
import { createReplayStrategy, createReplayThenStrategy, type Schedule } from './strategies/replay.js';
import type { Strategy } from './types.js';

export const DEFAULTS = {
  /** Schedules per scenario for strategies that do not say otherwise (see the strategy registry). */
  runs: 100,
  maxSteps: 10_000,
  timeoutMs: 5_000,
  maxBlockingMs: 100,
  strategy: DEFAULT_STRATEGY,
  shrink: true,
} as const;

/** The bounds of one run. */
export interface Limits {
  readonly maxSteps: number;
  /** Wall-clock budget of one run, in real milliseconds. */
  readonly timeoutMs: number;
  /** Longest synchronous step, in real milliseconds, before a `blocked-loop` violation. */
  readonly maxBlockingMs: number;
  /** The search's lock tracking (site cache, no-op variant), shared by every run it makes, replays included. */
  readonly locks?: LockSearch | undefined;
}

/** What a search can be told, as plain data. Every field is optional: `resolveSettings` fills in the defaults. */
export interface SearchSettings {
  /** Schedules to try; default the scenario's `runs`, else the strategy's default (100 for most). Stops at the first violation. */
  readonly runs?: number | undefined;
  /** Master seed (0 to 2^32-1); default a random one, reported in the result. */
  readonly seed?: number | undefined;
  readonly strategy?: StrategyName | undefined;
  /** PCT's bug depth (`pct` strategy). Default 3. */
  readonly depth?: number | undefined;
  /** Bound on preemptions for the `exhaustive` strategy; its verdict is then complete within that bound. */
  readonly maxPreemptions?: number | undefined;
  /** Minimise a failing schedule before reporting it (default true). */
  readonly shrink?: boolean | undefined;
  /** Go on after the first violation and count failing runs (`failedRuns`); the first violation is reported. */
  readonly keepGoing?: boolean | undefined;
  readonly maxSteps?: number | undefined;
  readonly timeoutMs?: number | undefined;
  readonly maxBlockingMs?: number | undefined;
  /**
   * Rerun this recorded schedule (with `seed` the run's seed) instead of searching. If the program changed
   * so that the recording stops fitting, the replay follows it as far as it fits and then the search goes
   * on with the strategy for the usual number of runs, unless `replayStrict`.
   */
  readonly replay?: Schedule | undefined;
  /** With `replay`: a recording that no longer fits is an error instead. */
  readonly replayStrict?: boolean | undefined;
  /**
   * The lock advisor's `--advise`: after a search that passed, rerun it once per lock construction site with
   * that site's locks made no-ops, and report whether each lock is needed (SPEC §6).
   */
  readonly advise?: boolean | undefined;
  /** Construction sites (`file:line:column`) whose locks are no-ops in every run: the variant `advise` runs, and its replays. */
  readonly bypassLocks?: readonly string[] | undefined;
}

/** A scenario's own defaults: its `runs`, `maxSteps`, `timeoutMs` and `maxBlockingMs` fields. */
export type ScenarioDefaults = Partial<Pick<NormalizedScenario, 'runs' | 'maxSteps' | 'timeoutMs' | 'maxBlockingMs'>>;

/** Everything a search needs, with every default applied. */
export interface ResolvedSettings {
  readonly seed: number;
  readonly strategy: Strategy;
  readonly runs: number;
  readonly limits: Limits;
  readonly shrink: boolean;
  readonly keepGoing: boolean;
}

/** The name a search with these settings reports as its strategy (before any run: a portfolio's runs have their own). */
export function strategyNameOf(settings: Pick<SearchSettings, 'strategy' | 'replay'>): string {
  return settings.replay ? 'replay' : (settings.strategy ?? DEFAULTS.strategy);
}

export function resolveLimits(settings: SearchSettings, scenario: ScenarioDefaults): Limits {
  return {
    maxSteps: settings.maxSteps ?? scenario.maxSteps ?? DEFAULTS.maxSteps,
    timeoutMs: settings.timeoutMs ?? scenario.timeoutMs ?? DEFAULTS.timeoutMs,
    maxBlockingMs: settings.maxBlockingMs ?? scenario.maxBlockingMs ?? DEFAULTS.maxBlockingMs,
  };
}

/**
 * How many runs a search may try: the flag, the scenario's own number, or the strategy's default. A replay
 * is one run, and the usual number after it in case the recording stops fitting (a strict replay: one).
 */
export function resolveRuns(settings: Pick<SearchSettings, 'runs' | 'strategy' | 'replay' | 'replayStrict'>, scenario: ScenarioDefaults, strategy?: Strategy): number {
  const name = settings.strategy ?? (strategy ? undefined : DEFAULTS.strategy);
  const runs = settings.runs ?? scenario.runs ?? (name === undefined ? DEFAULTS.runs : strategyDescriptor(name).defaultRuns);
  if (!settings.replay) return runs;
  return settings.replayStrict ? 1 : 1 + runs;
}

/**
 * The counts a caller of the API or of raceTest gives (the command line checks its own): `runs: 0`, or
 * `runs: Number(process.env.RUNS)` with the variable unset, must not make a search that passes after no run.
 */
function checkCounts(settings: SearchSettings): void {
  const counts = { runs: 1, maxSteps: 1, timeoutMs: 1, maxBlockingMs: 1, depth: 1, maxPreemptions: 0 } as const;
  for (const [field, least] of Object.entries(counts) as [keyof typeof counts, number][]) {
    const n = settings[field];
    if (n !== undefined && !(typeof n === 'number' && Number.isInteger(n) && n >= least)) {
      throw new RangeError(`${field} must be ${least === 1 ? 'a positive integer' : 'an integer from 0'}, got ${typeof n === 'number' ? n : JSON.stringify(n) ?? String(n)}`);
    }
  }
}

/**
 * Applies the defaults. `strategy` may be a Strategy object of the caller's own, which `settings.strategy`
 * cannot name; a replay always uses the replay strategy.
 */
export function resolveSettings(settings: SearchSettings, scenario: ScenarioDefaults, custom?: Strategy): ResolvedSettings {
  const seed = settings.seed ?? randomSeed();
  if (!isValidSeed(seed)) throw new RangeError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  checkCounts(settings);
  const name = settings.strategy ?? DEFAULTS.strategy;
  if (!custom && !isStrategyName(name)) throw new RangeError(`unknown strategy "${String(name)}"`);
  const searching = custom ?? createStrategy(name, { depth: settings.depth, maxPreemptions: settings.maxPreemptions });
  const strategy = !settings.replay
    ? searching
    : settings.replayStrict
      ? createReplayStrategy(settings.replay)
      : createReplayThenStrategy(settings.replay, searching);
  return {
    seed,
    strategy,
    runs: resolveRuns(settings, scenario, custom),
    limits: resolveLimits(settings, scenario),
    shrink: settings.shrink ?? DEFAULTS.shrink,
    keepGoing: settings.keepGoing ?? false,
  };
}
