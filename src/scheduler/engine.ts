import { normalizeScenario } from '../scenario/normalize.js';
import type { LoadedScenario, NormalizedScenario } from '../scenario/types.js';
import { real } from './context.js';
import { deriveRunSeed, isValidSeed, randomSeed } from './rng.js';
import { Run, type RunOutcome, type RunRecord, type RunViolation, type TraceEntry } from './run.js';
import { ScheduleSet } from './schedule-set.js';
import { shrinkSchedule } from './shrink.js';
import { createStrategy, DEFAULT_STRATEGY, isStrategyName, type StrategyName } from './strategies/index.js';
import { createReplayStrategy, ReplayMismatchError, type Schedule } from './strategies/replay.js';
import { toSiteRef, type Site, type SiteRef } from '../site.js';
import type { StepKind, Strategy, ViolationKind } from './types.js';

export const DEFAULTS = {
  runs: 100,
  /** Without --runs, an exhaustive search may run this many schedules before giving up on a verdict. */
  exhaustiveRuns: 100_000,
  maxSteps: 10_000,
  timeoutMs: 5_000,
  maxBlockingMs: 100,
} as const;

export interface RunScenarioOptions {
  /** Schedules to try; default the scenario's `runs`, else 100. Stops at the first violation. */
  runs?: number;
  /** Master seed (0 to 2^32-1); default a random one, reported in the result. */
  seed?: number;
  /** A strategy name or your own Strategy object. Default `portfolio`. */
  strategy?: StrategyName | Strategy;
  /** PCT's bug depth (`pct` strategy). Default 3. */
  depth?: number;
  /** Bound on preemptions for the `exhaustive` strategy; its verdict is then complete within that bound. */
  maxPreemptions?: number;
  /** Minimise a failing schedule before reporting it (default true). */
  shrink?: boolean;
  /** Go on after the first violation and count failing runs (`failedRuns`); the first violation is reported. */
  keepGoing?: boolean;
  maxSteps?: number;
  timeoutMs?: number;
  maxBlockingMs?: number;
  /** Rerun exactly this recorded schedule once (with `seed` the run's seed), instead of searching. */
  replay?: Schedule;
  /** The id reported for a plain scenario object; loaded scenarios carry their own. */
  id?: string;
  /** Called before every run with its 1-based number and its seed. */
  onRunStart?: (run: number, seed: number) => void;
  /** Called after every run, with how many have run. */
  onRun?: (completed: number) => void;
  /** Called with the violation as found, before shrinking starts (so a watchdog can report it if shrinking hangs). */
  onViolation?: (result: ScenarioResult) => void;
  /**
   * Called at every step before it runs (`run` and `step` are 1-based), with the index chosen among how
   * many candidates; for watchdogs that must name where a run hung and how to replay it.
   */
  onStep?: (run: number, step: number, taskIndex: number, kind: StepKind, site: Site | null, choice: number, candidates: number) => void;
}

export interface TraceStep {
  readonly step: number;
  readonly task: string;
  readonly kind: 'start' | 'await' | 'timer';
  /** The await the task resumed after; null when it started or a timer fired. */
  readonly site: SiteRef | null;
  readonly timer?: { readonly kind: string; readonly delay: number };
}

export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
  /** 1-based number of the run that failed, and that run's own seed. */
  readonly run: number;
  readonly seed: number;
  /** The step after which it was detected. */
  readonly step: number;
  readonly strategy: string;
  /** The schedule: chosen index and candidate count at each step. */
  readonly choices: readonly number[];
  readonly counts: readonly number[];
  readonly trace: readonly TraceStep[];
  readonly preemptions: number;
  readonly shrunk: boolean;
  /** Runs spent minimising the schedule. */
  readonly shrinkRuns?: number;
  /** For a deadlock: every blocked task and where it waits, innermost await first. */
  readonly blocked?: readonly { readonly task: string; readonly sites: readonly SiteRef[] }[];
}

export interface SearchSummary {
  readonly strategy: string;
  /** Distinct schedules run. */
  readonly schedules: number;
  /** True only when every schedule was run (an exhaustive search that finished). */
  readonly complete: boolean;
  /** The preemption bound the search was complete within, when there was one. */
  readonly maxPreemptions?: number;
}

interface ResultBase {
  readonly id: string;
  readonly name: string;
  readonly runs: number;
  /** Runs that found a violation: 1 at most unless `keepGoing`. */
  readonly failedRuns: number;
  readonly steps: number;
  readonly durationMs: number;
  /** The master seed. */
  readonly seed: number;
  readonly search: SearchSummary;
}

export type { TraceEntry };

export type ScenarioResult =
  | (ResultBase & { readonly status: 'pass'; readonly violation: null })
  | (ResultBase & { readonly status: 'fail'; readonly violation: Violation })
  | (ResultBase & { readonly status: 'error'; readonly violation: null; readonly error: { readonly message: string } });

/**
 * Runs a scenario many times under the chosen strategy and returns what happened; prints nothing.
 * Its awaits are scheduling points only if its module was loaded with instrumentation (`loadScenarios`).
 */
export async function runScenario(input: LoadedScenario | object, options: RunScenarioOptions = {}): Promise<ScenarioResult> {
  const loaded = isLoaded(input) ? input : undefined;
  const id = loaded?.id ?? options.id ?? 'scenario';
  const scenario = loaded?.scenario ?? normalizeScenario(input, id);
  const seed = options.seed ?? randomSeed();
  if (!isValidSeed(seed)) throw new RangeError(`seed must be an integer from 0 to ${2 ** 32 - 1}, got ${seed}`);
  const strategy = resolveStrategy(options);
  const defaultRuns = strategy.name === 'exhaustive' ? DEFAULTS.exhaustiveRuns : DEFAULTS.runs;
  const runs = options.replay ? 1 : (options.runs ?? scenario.runs ?? defaultRuns);
  const bound = (strategy as { bound?: number }).bound;
  const limits = {
    maxSteps: options.maxSteps ?? scenario.maxSteps ?? DEFAULTS.maxSteps,
    timeoutMs: options.timeoutMs ?? scenario.timeoutMs ?? DEFAULTS.timeoutMs,
    maxBlockingMs: options.maxBlockingMs ?? scenario.maxBlockingMs ?? DEFAULTS.maxBlockingMs,
  };

  const started = performanceNow();
  const tally = new Tally();
  let first: Finding | undefined;
  const base = (): ResultBase => ({
    id,
    name: scenario.name,
    runs: tally.runs,
    failedRuns: tally.failed,
    steps: tally.steps,
    durationMs: round(performanceNow() - started),
    seed,
    search: { strategy: strategy.name, schedules: tally.schedules.size, complete: false, ...(bound === undefined ? {} : { maxPreemptions: bound }) },
  });

  // Unhandled rejections surface only at a macrotask turn, and one after every run costs more than a short
  // run. So runs go in batches with one turn each; a rejection seen then is traced to its run by replaying
  // the batch's runs (they are deterministic), and the report reads as if the search had stopped there.
  const batch = runs > 1 ? new RejectionBatch(scenario, limits, options.keepGoing ?? false) : undefined;
  /** Takes the batch's first finding; true when the search stops there. */
  const finishBatch = async (): Promise<boolean> => {
    if (!batch) return false;
    const entries = await batch.settle(tally);
    const stopAt = entries.findIndex((entry) => entry.violation);
    if (stopAt === -1) return false;
    const entry = entries[stopAt]!;
    first ??= { violation: entry.violation!, record: entry.record!, index: entry.index, seed: entry.seed, strategy: entry.strategy };
    if (options.keepGoing) return false;
    for (const later of entries.slice(stopAt + 1)) tally.forget(later);
    return true;
  };

  batch?.watch();
  try {
    for (let index = 0; index < runs && (strategy.hasMore?.() ?? true); index++) {
      const runSeed = deriveRunSeed(seed, index);
      options.onRunStart?.(index + 1, runSeed);
      strategy.startRun({ seed: runSeed, index, taskCount: scenario.tasks.length });
      const run = new Run({
        scenario,
        seed: runSeed,
        strategy,
        ...limits,
        onStep: options.onStep && ((step, taskIndex, kind, site, choice, candidates) => options.onStep!(index + 1, step, taskIndex, kind, site, choice, candidates)),
        rejections: batch ? 'batch' : 'flush',
      });
      const runName = strategy.runName?.() ?? strategy.name;
      const outcome: RunOutcome = await run.execute();
      const newHash = tally.add(outcome.record, outcome.status === 'fail');
      options.onRun?.(tally.runs);
      if (outcome.status === 'error') return { ...base(), status: 'error', violation: null, error: { message: outcome.error.message } };
      try {
        strategy.endRun?.(outcome.record.steps, outcome.violation !== null);
      } catch (error) {
        if (error instanceof ReplayMismatchError) return { ...base(), status: 'error', violation: null, error: { message: error.message } };
        throw error;
      }
      const entry: BatchEntry = {
        index,
        seed: runSeed,
        strategy: runName,
        schedule: { choices: outcome.record.choices, counts: outcome.record.counts },
        // A passing run keeps only its schedule: its record would keep the whole run alive until the batch ends.
        record: outcome.violation ? outcome.record : undefined,
        violation: outcome.violation,
        newHash,
      };
      if (!batch) {
        if (outcome.violation) first = { violation: outcome.violation, record: outcome.record, index, seed: runSeed, strategy: runName };
        if (outcome.violation && !options.keepGoing) break;
        continue;
      }
      batch.add(entry);
      if (!outcome.violation && batch.size < REJECTION_BATCH && index + 1 < runs) continue;
      if (await finishBatch()) break;
    }
    await finishBatch();
  } finally {
    batch?.unwatch();
  }
  if (first) {
    const { violation, record, index, seed: runSeed, strategy: runName } = first;
    const found: ScenarioResult = { ...base(), status: 'fail', violation: toViolation(violation, record, index, runSeed, runName) };
    // A hang or a blocked loop is about one step, not about the interleaving; re-running it only costs time.
    if (options.shrink === false || options.replay || violation.kind === 'timeout' || violation.kind === 'blocked-loop') return found;
    options.onViolation?.(found);
    const shrunk = await shrinkSchedule({
      scenario,
      seed: runSeed,
      limits,
      record,
      violation,
      onRunStart: () => options.onRunStart?.(index + 1, runSeed),
    });
    if (!shrunk) return { ...found, durationMs: base().durationMs };
    return { ...base(), status: 'fail', violation: { ...toViolation(shrunk.violation, shrunk.record, index, runSeed, runName), shrunk: true, shrinkRuns: shrunk.runs } };
  }
  const result = base();
  const complete = strategy.covered?.() ?? false;
  return { ...result, search: { ...result.search, complete }, status: 'pass', violation: null };
}

function resolveStrategy(options: RunScenarioOptions): Strategy {
  if (options.replay) return createReplayStrategy(options.replay);
  const strategy = options.strategy ?? DEFAULT_STRATEGY;
  if (typeof strategy !== 'string') return strategy;
  if (!isStrategyName(strategy)) throw new RangeError(`unknown strategy "${strategy}"`);
  return createStrategy(strategy, { depth: options.depth, maxPreemptions: options.maxPreemptions });
}

function isLoaded(input: object): input is LoadedScenario {
  return 'scenario' in input && 'id' in input && 'exportName' in input;
}

function toViolation(violation: RunViolation, record: RunRecord, index: number, seed: number, strategy: string): Violation {
  const result: Violation = {
    kind: violation.kind,
    message: violation.message,
    run: index + 1,
    seed,
    step: violation.step,
    strategy,
    choices: record.choices,
    counts: record.counts,
    trace: record.trace.map(toTraceStep),
    preemptions: record.preemptions,
    shrunk: false,
  };
  if (!violation.blocked) return result;
  return { ...result, blocked: violation.blocked.map(({ task, sites }) => ({ task, sites: sites.map(toSiteRef) })) };
}

function toTraceStep(entry: TraceEntry): TraceStep {
  const step: TraceStep = { step: entry.step, task: entry.task, kind: entry.kind, site: entry.site && toSiteRef(entry.site) };
  return entry.timer ? { ...step, timer: entry.timer } : step;
}


/** A 52-bit FNV-1a-style hash of a schedule, to count distinct schedules without keeping them. */
function hashSchedule(choices: readonly number[]): number {
  let low = 0x811c9dc5;
  let high = 0x01000193;
  for (const choice of choices) {
    low = Math.imul(low ^ choice, 0x01000193) >>> 0;
    high = Math.imul(high ^ (choice + 0x9e37), 0x01000193) >>> 0;
  }
  return (high & 0xfffff) * 2 ** 32 + low;
}

/** What the search has done so far: runs, steps, failing runs, distinct schedules. */
class Tally {
  runs = 0;
  steps = 0;
  failed = 0;
  readonly schedules = new ScheduleSet();

  /** Counts a run; returns its schedule's hash if it was a new schedule. */
  add(record: RunRecord, failed: boolean): number | undefined {
    this.runs++;
    this.steps += record.steps;
    if (failed) this.failed++;
    const hash = hashSchedule(record.choices);
    return this.schedules.add(hash) ? hash : undefined;
  }

  /** Un-counts a run, as if the search had stopped before it. */
  forget(entry: BatchEntry): void {
    this.runs--;
    this.steps -= entry.schedule.choices.length;
    if (entry.newHash !== undefined) this.schedules.delete(entry.newHash);
    if (entry.violation) this.failed--;
  }
}

/** Runs since the last check for unhandled rejections, and the check itself. */
class RejectionBatch {
  private readonly entries: BatchEntry[] = [];
  private rejected = false;
  private readonly onRejection = (): void => {
    this.rejected = true;
  };

  constructor(
    private readonly scenario: NormalizedScenario,
    private readonly limits: { maxSteps: number; timeoutMs: number; maxBlockingMs: number },
    private readonly keepGoing: boolean,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  watch(): void {
    process.on('unhandledRejection', this.onRejection);
  }

  unwatch(): void {
    process.off('unhandledRejection', this.onRejection);
  }

  add(entry: BatchEntry): void {
    this.entries.push(entry);
  }

  /**
   * Lets Node report rejections nothing handled (one macrotask turn). If it did, replays the batch's passing
   * runs one at a time, each with its own turn, and marks those that leave one. Returns the batch, emptied.
   */
  async settle(tally: Tally): Promise<BatchEntry[]> {
    const entries = this.entries.splice(0);
    if (entries.length === 0) return entries;
    await new Promise((resolve) => setImmediateReal(resolve));
    if (this.rejected) {
      for (const entry of entries) {
        if (entry.violation) continue;
        const outcome = await new Run({ scenario: this.scenario, seed: entry.seed, strategy: createReplayStrategy(entry.schedule), ...this.limits }).execute();
        if (outcome.status !== 'fail' || outcome.violation?.kind !== 'unhandled-rejection') continue;
        tally.failed++;
        entry.violation = outcome.violation;
        entry.record = outcome.record;
        if (!this.keepGoing) break;
      }
    }
    this.rejected = false;
    return entries;
  }
}

interface Finding {
  readonly violation: RunViolation;
  readonly record: RunRecord;
  readonly index: number;
  readonly seed: number;
  readonly strategy: string;
}

/** A run since the last check for unhandled rejections: what is needed to replay it, or to forget it. */
interface BatchEntry {
  readonly index: number;
  readonly seed: number;
  readonly strategy: string;
  readonly schedule: Schedule;
  /** Kept only for a run that found a violation. */
  record: RunRecord | undefined;
  violation: RunViolation | null;
  /** The schedule's hash, if this run added it to the distinct schedules. */
  readonly newHash: number | undefined;
}

/** Runs between two checks for unhandled rejections. */
const REJECTION_BATCH = 64;

const setImmediateReal = real.setImmediate;

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

const performanceNow = (): number => Number(process.hrtime.bigint()) / 1e6;
