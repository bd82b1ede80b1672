import { LockAdvisor } from '../advise/advisor.js';
import { createLockSearch } from '../scheduler/locks.js';
import { adviseVariants } from '../advise/variants.js';
import { explainViolation } from '../explain/explain.js';
import { formatStack } from '../explain/stack.js';
import { normalizeScenario } from '../scenario/normalize.js';
import type { LoadedScenario } from '../scenario/types.js';
import { toSiteRef, type Site, type SiteRef } from '../site.js';
import { confirmWallClockVerdict, rerunOverranPhase } from '../scheduler/confirm.js';
import { real } from '../scheduler/context.js';
import { settleIoBeforeSearch } from '../scheduler/io.js';
import { RejectionBatch, type BatchEntry } from '../scheduler/rejection-batch.js';
import { errorResult, toViolation, type ResultBase, type ScenarioResult, type SearchSummary, type Violation } from '../scheduler/result.js';
import { deriveRunSeed } from '../scheduler/rng.js';
import { Run, type RunSettings } from '../scheduler/run.js';
import type { RunRecord, RunViolation } from '../scheduler/run-record.js';
import { resolveSettings, type SearchSettings } from '../scheduler/settings.js';
import { shrinkSchedule } from '../scheduler/shrink.js';
import type { StrategyName } from '../scheduler/strategies/index.js';
import { divergedAtCarried, ReplayMismatchError } from '../scheduler/strategies/replay.js';
import { Tally } from '../scheduler/tally.js';
import type { StepKind, Strategy } from '../scheduler/types.js';
import { violationKind } from '../scheduler/violation-kinds.js';

/** Callbacks a caller (a worker process, a progress display) can watch a search through. */
export interface SearchHooks {
  /**
   * Called before every run with its 1-based number and its seed; `timeoutMs` when that run may take
   * longer than the scenario's timeout (an explanation's recording replay).
   */
  readonly onRunStart?: ((run: number, seed: number, timeoutMs?: number) => void) | undefined;
  /** Called after every run, with how many have run. */
  readonly onRun?: ((completed: number) => void) | undefined;
  /** Called with the violation as found, before shrinking starts (so a watchdog can report it if shrinking hangs). */
  readonly onViolation?: ((result: ScenarioResult) => void) | undefined;
  /**
   * Called at every step before it runs (`run` and `step` are 1-based), with the index chosen among how
   * many candidates; for watchdogs that must name where a run hung and how to replay it.
   */
  readonly onStep?: ((run: number, step: number, taskIndex: number, kind: StepKind, site: Site | null, choice: number, candidates: number) => void) | undefined;
}

export type RunScenarioOptions = Omit<SearchSettings, 'strategy'> &
  SearchHooks & {
    /** A strategy name or your own Strategy object. Default `portfolio`. */
    readonly strategy?: StrategyName | Strategy | undefined;
    /** The id reported for a plain scenario object; loaded scenarios carry their own. */
    readonly id?: string | undefined;
    /**
     * Checked before each run: once aborted, no run starts, and the result carries `interrupted: true` and
     * the runs that finished (a violation found meanwhile is reported unshrunk).
     */
    readonly signal?: AbortSignal | undefined;
  };

/** How many times its runs a variant without a lock may take, when the scenario's own search was complete. */
const VARIANT_BUDGET = 10;
const VARIANT_MAX_RUNS = 10_000;

interface Finding {
  readonly violation: RunViolation;
  readonly record: RunRecord;
  readonly index: number;
  readonly seed: number;
  readonly strategy: string;
}

/**
 * Runs a scenario many times under the chosen strategy and returns what happened; prints nothing.
 * Its awaits are scheduling points only if its module was loaded with instrumentation (`loadScenarios`).
 */
export async function runScenario(input: LoadedScenario | object, options: RunScenarioOptions = {}): Promise<ScenarioResult> {
  const loaded = isLoaded(input) ? input : undefined;
  const id = loaded?.id ?? options.id ?? 'scenario';
  const scenario = loaded?.scenario ?? normalizeScenario(input, id);
  const custom = typeof options.strategy === 'object' ? options.strategy : undefined;
  const named = typeof options.strategy === 'string' ? options.strategy : undefined;
  const resolved = resolveSettings({ ...options, strategy: named }, scenario, custom);
  const { seed, strategy, runs, shrink, keepGoing } = resolved;
  const bound = strategy.bound;
  // Every run of the search (replays and shrinking too) shares its lock tracking; the lock advisor reads
  // the search's own runs. A no-op variant (--advise) is a search of its own, whose locks are not advice.
  const bypass = options.bypassLocks && options.bypassLocks.length > 0 ? options.bypassLocks : undefined;
  // Keyed by what the caller passed: a plain scenario object is normalized again for every search.
  const limits = { ...resolved.limits, locks: createLockSearch(loaded?.scenario ?? input, bypass) };
  const advisor = bypass ? undefined : new LockAdvisor(scenario.tasks.map((task) => task.name));
  const finish = async (result: ScenarioResult): Promise<ScenarioResult> => {
    if (!advisor || result.status === 'error') return result;
    const advice = advisor.advice();
    // Whether a lock is needed says something only of a scenario that passes with its locks.
    if (options.advise && result.status === 'pass' && !result.interrupted && !options.replay && !custom) {
      const { onRunStart, onStep } = options;
      // A search that covered every schedule with the locks gets ten times its runs to do so without one:
      // a small scenario then gets its proof (a variant has more schedules than the program it comes from).
      const variantRuns = result.search.complete ? Math.max(runs, Math.min(runs * VARIANT_BUDGET, VARIANT_MAX_RUNS)) : runs;
      const variantOptions = { ...options, runs: variantRuns, advise: false, onRun: undefined, onViolation: undefined, onRunStart, onStep };
      advice.push(...(await adviseVariants(advisor, (bypass) => runScenario(input, { ...variantOptions, bypassLocks: bypass }))));
    }
    return advice.length === 0 ? result : { ...result, advice };
  };

  const started = real.performanceNow();
  const tally = new Tally();
  let first: Finding | undefined;
  let divergedAt: SearchSummary['divergedAt'];
  let realIo = false;
  let interrupted = false;
  const base = (): ResultBase => ({
    id,
    name: bypass ? `${scenario.name} (without the locks made at ${bypass.join(', ')})` : scenario.name,
    ...(bypass ? { bypassLocks: bypass } : {}),
    runs: tally.runs,
    failedRuns: tally.failed,
    steps: tally.steps,
    durationMs: round(real.performanceNow() - started),
    seed,
    search: {
      strategy: strategy.name,
      schedules: tally.schedules.size,
      complete: false,
      ...(bound === undefined ? {} : { maxPreemptions: bound }),
      ...(realIo ? { realIo: true as const } : {}),
      ...(divergedAt === undefined ? {} : options.replay ? { divergedAt } : { nondeterministic: true as const, divergedAt }),
    },
    ...(interrupted ? { interrupted: true as const } : {}),
  });

  const batch = new RejectionBatch(scenario, limits, keepGoing, runs > 1);
  /** Takes the batch's first finding; true when the search stops there. */
  const settleBatch = async (): Promise<boolean> => {
    const entries = await batch.settle(tally);
    const stopAt = entries.findIndex((entry) => entry.violation);
    if (stopAt === -1) return false;
    const entry = entries[stopAt]!;
    first ??= { violation: entry.violation!, record: entry.record!, index: entry.index, seed: entry.seed, strategy: entry.strategy };
    if (keepGoing) return false;
    for (const later of entries.slice(stopAt + 1)) tally.forget({ steps: later.schedule.choices.length, failed: later.violation !== null, newHash: later.newHash });
    return true;
  };

  await settleIoBeforeSearch();
  batch.watch();
  try {
    for (let index = 0; index < runs && (strategy.hasMore?.() ?? true); index++) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const runSeed = deriveRunSeed(seed, index);
      options.onRunStart?.(index + 1, runSeed);
      strategy.startRun({ seed: runSeed, index, taskCount: scenario.tasks.length });
      const onStep = options.onStep;
      const settings: RunSettings = {
        scenario,
        seed: runSeed,
        strategy,
        ...limits,
        onStep: onStep && ((step, taskIndex, kind, site, choice, candidates) => onStep(index + 1, step, taskIndex, kind, site, choice, candidates)),
        rejections: batch.batching ? 'batch' : 'flush',
        lockObserver: advisor,
      };
      const runName = strategy.runName?.() ?? strategy.name;
      let run = new Run(settings);
      let outcome = await run.execute();
      // A setup or teardown that overran the run's time is an error only if it does so again (confirm.ts).
      if (outcome.status === 'error') {
        ({ run, outcome } = await rerunOverranPhase(
          { run, outcome },
          (more) => new Run({ ...settings, ...more }),
          { seed: runSeed, index, taskCount: scenario.tasks.length },
          () => options.onRunStart?.(index + 1, runSeed),
        ));
      }
      // A wall-clock verdict counts only if replaying the schedule gives it again (confirm.ts); a run can
      // have two (a step that blocked the loop, then a timeout), and each is replayed for itself.
      if (outcome.status !== 'error') {
        const confirm = (violation: RunViolation) =>
          confirmWallClockVerdict({
            scenario,
            seed: runSeed,
            limits,
            record: outcome.record,
            violation,
            onRunStart: () => options.onRunStart?.(index + 1, runSeed),
            onStep: onStep && ((step, taskIndex, kind, site, choice, candidates) => onStep(index + 1, step, taskIndex, kind, site, choice, candidates)),
          });
        const timeout = outcome.violation && violationKind(outcome.violation.kind).clock === 'wall' ? outcome.violation : undefined;
        // The blocked loop came first (a run notes one only before its violation): confirmed, it is the finding.
        const blocked = outcome.blockedLoop && (await confirm(outcome.blockedLoop));
        if (blocked) outcome = { status: 'fail', record: outcome.record, violation: blocked };
        else if (timeout) {
          const confirmed = await confirm(timeout);
          outcome = confirmed ? { status: 'fail', record: outcome.record, violation: confirmed } : { status: 'pass', record: outcome.record, violation: null };
        }
      }
      if (advisor && run.locks) {
        const blockingConfirmed = outcome.status === 'fail' && outcome.violation?.kind === 'blocked-loop';
        advisor.endRun(run.locks, { blockingConfirmed, deadlocked: outcome.status === 'fail' && outcome.violation?.kind === 'deadlock' });
      }
      const newHash = tally.add(outcome.record, outcome.status === 'fail');
      realIo ||= outcome.record.realIo;
      options.onRun?.(tally.runs);
      if (outcome.status === 'error') return errorResult(base(), outcome.error.message);
      try {
        strategy.endRun?.(outcome.record.steps, outcome.violation !== null);
      } catch (error) {
        if (error instanceof ReplayMismatchError) return errorResult(base(), error.message);
        throw error;
      }
      const diverged = strategy.diverged?.();
      if (diverged !== undefined && divergedAt === undefined) {
        divergedAt = { run: index + 1, step: diverged, site: siteBefore(outcome.record, diverged) };
        if (options.replay && divergedAtCarried(options.replay, diverged)) divergedAt = { ...divergedAt, earlierRunTimers: true };
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
      batch.add(entry);
      if (!batch.due(entry) && index + 1 < runs) continue;
      if (await settleBatch()) break;
    }
    await settleBatch();
  } finally {
    batch.unwatch();
  }
  if (!first) {
    const result = base();
    return finish({ ...result, search: { ...result.search, complete: !realIo && !interrupted && (strategy.covered?.() ?? false) }, status: 'pass', violation: null });
  }
  const { violation, record, index, seed: runSeed, strategy: runName } = first;
  const onRunStart = (timeoutMs?: number) => options.onRunStart?.(index + 1, runSeed, timeoutMs);
  const onStep = options.onStep;
  const runOnStep = onStep && ((step: number, taskIndex: number, kind: StepKind, site: Site | null, choice: number, candidates: number) => onStep(index + 1, step, taskIndex, kind, site, choice, candidates));
  /** The violation as reported: its trace and explanation from a recording replay of its schedule. */
  const explained = async (found: RunViolation, foundRecord: RunRecord): Promise<Violation> => {
    const base = toViolation(found, foundRecord, index, runSeed, runName, stackOf(found));
    const explanation = await explainViolation({
      scenario,
      seed: runSeed,
      limits,
      record: foundRecord,
      violation: found,
      onRunStart,
      onStep: runOnStep,
    });
    if (!explanation) return base;
    const explainedBase = { ...base, trace: explanation.trace, explanation: explanation.explanation };
    // The replay's deadlock names where each task waits in the user's code, racecheck's own points included.
    const replayed = explanation.violation;
    if (found.kind !== 'deadlock' || !replayed.blocked) return explainedBase;
    return { ...explainedBase, message: replayed.message, blocked: replayed.blocked.map(({ task, sites }) => ({ task, sites: sites.map(toSiteRef) })) };
  };
  const found: ScenarioResult = { ...base(), status: 'fail', violation: toViolation(violation, record, index, runSeed, runName, stackOf(violation)) };
  // Interrupted: report what was found at once, without the replay an explanation takes.
  if (options.signal?.aborted) return finish(found);
  if (!shrink || options.replay || !violationKind(violation.kind).shrinkable) return finish({ ...base(), status: 'fail', violation: await explained(violation, record) });
  options.onViolation?.(found);
  const shrunk = await shrinkSchedule({
    scenario,
    seed: runSeed,
    limits,
    record,
    violation,
    onRunStart,
    onStep: runOnStep,
  });
  if (!shrunk) return finish({ ...base(), status: 'fail', violation: await explained(violation, record) });
  const reported = await explained(shrunk.violation, shrunk.record);
  return finish({ ...base(), status: 'fail', violation: { ...reported, shrunk: true, shrinkRuns: shrunk.runs } });
}

/** Kinds whose violation comes from an error: its stack goes into the report. */
const STACK_KINDS = new Set(['exception', 'unhandled-rejection', 'check']);

function stackOf(violation: RunViolation): string | undefined {
  return STACK_KINDS.has(violation.kind) ? formatStack(violation.cause) : undefined;
}

/**
 * Where the program went another way: the user's code that ran last before step `step`, whose candidates no
 * longer matched the recording (racecheck's own points, such as a lock's, and a task's start have no site).
 */
function siteBefore(record: RunRecord, step: number): SiteRef | null {
  for (let index = Math.min(step - 1, record.trace.length) - 1; index >= 0; index--) {
    const site = record.trace[index]?.site;
    if (site && site.line > 0) return toSiteRef(site);
  }
  // Only tasks' first steps came before (they start at no await): the step that went another way, then.
  const at = record.trace[step - 1]?.site;
  return at && at.line > 0 ? toSiteRef(at) : null;
}

function isLoaded(input: object): input is LoadedScenario {
  return 'scenario' in input && 'id' in input && 'exportName' in input;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
