import { RacecheckError } from '../errors.js';
import { displayPath } from '../paths.js';
import { shellQuote, toScenarioReport } from '../report/build.js';
import { formatViolation } from '../report/pretty.js';
import { formatDivergence } from '../report/divergence.js';
import { decodeReplayToken, recordedSchedule, type ReplayRecipe } from '../report/replay-token.js';
import type { ScenarioReport } from '../report/types.js';
import type { Scenario } from '../scenario/types.js';
import type { ScenarioResult } from '../scheduler/result.js';
import { runScenario, type RunScenarioOptions } from '../core/search.js';
import { runnerListensForRejections } from '../scheduler/process-events.js';
import type { StrategyName } from '../scheduler/strategies/index.js';
import { vitestApi, type VitestApi } from './settings.js';
import { formatScenarioId } from '../scenario/id.js';

/** How a race test searches; the CLI's flags of the same names. */
export interface RaceOptions {
  /** Schedules to try (default: the scenario's `runs`, else 100). Stops at the first violation. */
  runs?: number;
  /** Master seed, 0 to 2^32-1 (default: a random one, shown in a failure). */
  seed?: number;
  /** `portfolio` (default), `random`, `pct` or `exhaustive`. */
  strategy?: StrategyName;
  /** A replay token a failure printed: rerun exactly that schedule. `RACECHECK_REPLAY` wins over it. */
  replay?: string;
  /** PCT's bug depth (default 3). */
  depth?: number;
  /** Exhaustive search: only schedules with at most this many preemptions. */
  maxPreemptions?: number;
  /** Minimise a failing schedule before reporting it (default true). */
  shrink?: boolean;
  maxSteps?: number;
  /** Real time one run may take (default 5000 ms). */
  timeoutMs?: number;
  maxBlockingMs?: number;
}

export interface RaceTestOptions extends RaceOptions {
  /** vitest's timeout for the whole test, in ms (default: the project's `testTimeout`). */
  timeout?: number;
}

/** The environment variable that replays a recorded schedule: the token a failure printed. */
export const REPLAY_ENV = 'RACECHECK_REPLAY';

/** A race test found a violation; the message is racecheck's report of it. */
export class RaceConditionError extends Error {
  readonly code = 'RACECHECK_RACE';
  /** The report of the failing scenario, as the CLI's JSON reporter would write it. */
  declare readonly report: ScenarioReport;

  constructor(message: string, report: ScenarioReport) {
    super(message);
    // vitest shows an AssertionError as a failed expectation, not as a crash.
    this.name = 'AssertionError';
    // Not enumerable: vitest copies an error's own properties to the main process, and a trace is long.
    Object.defineProperty(this, 'report', { value: report, enumerable: false });
  }
}

/** racecheck/vitest used without the plugin, or a token that names another test. */
export class RaceTestError extends RacecheckError {
  constructor(message: string) {
    super('RACECHECK_VITEST', message);
  }
}

/**
 * Registers a vitest test that runs `scenario` under racecheck's scheduler and fails, with the report the
 * CLI prints (the interleaving, step by step, and the command that replays it), if a schedule breaks the
 * scenario's check or invariant, a task rejects, or the tasks deadlock.
 */
export function raceTest<S>(name: string, scenario: Scenario<S>, options: RaceTestOptions = {}): void {
  const where = callSite(raceTest);
  const api = connected();
  watchReplayToken(api);
  // Sequential even in a concurrent suite (sequence.concurrent, describe.concurrent): a thread runs one search at a time.
  api.test.sequential(name, () => check(scenario, options, where).then(() => undefined), options.timeout);
}

/**
 * Runs `scenario` under racecheck's scheduler inside the current test and rejects, with the report the
 * CLI prints, if some schedule violates it. Resolves with the result when every schedule tried passed.
 */
export function expectNoRace<S>(scenario: Scenario<S>, options: RaceOptions = {}): Promise<ScenarioResult> {
  const where = callSite(expectNoRace);
  // The test's own `await expectNoRace(...)` is an instrumented await too: were the run going by then, it
  // would be one of the run's scheduling points and wait for a scheduler that is waiting for it. So the
  // search starts on the next turn of the event loop, once the caller is suspended natively.
  return new Promise((resolve) => setImmediate(resolve)).then(() => check(scenario, options, where));
}

function connected(): VitestApi {
  const api = vitestApi();
  if (api) return api;
  throw new RaceTestError(
    'racecheck/vitest: the racecheck() plugin is not in this project\'s vitest config (plugins: [racecheck()], from "racecheck/vitest"); without it no await is a scheduling point',
  );
}

/** Whether a race check is under way in this thread: vitest's concurrent tests would start a second beside it. */
let checking = false;

async function check<S>(scenario: Scenario<S>, options: RaceOptions, where: string): Promise<ScenarioResult> {
  const api = connected();
  if (api.vi?.isFakeTimers()) {
    throw new RaceTestError(
      'racecheck/vitest: vitest\'s fake timers are on (vi.useFakeTimers()); racecheck runs every race check on a virtual clock of its own: call vi.useRealTimers() before it',
    );
  }
  if (checking) {
    throw new RaceTestError(
      'racecheck/vitest: another race check is running in this worker: expectNoRace cannot run in a concurrent test (test.concurrent, sequence.concurrent); raceTest tests always run one at a time',
    );
  }
  checking = true;
  try {
    return await searchInTest(api, scenario, options, where);
  } finally {
    checking = false;
  }
}

async function searchInTest<S>(api: VitestApi, scenario: Scenario<S>, options: RaceOptions, where: string): Promise<ScenarioResult> {
  const state = api.expect.getState();
  const file = displayPath(state.testPath ?? 'unknown');
  const name = testId(api, state.currentTestName ?? 'test');
  const id = formatScenarioId(file, name);
  const recipe = replayFor(id, options);
  const limits = { maxSteps: options.maxSteps, timeoutMs: options.timeoutMs, maxBlockingMs: options.maxBlockingMs };
  const run: RunScenarioOptions = recipe
    ? { ...limits, id, seed: recipe.seed, replay: recordedSchedule(recipe) }
    : {
        ...limits,
        id,
        runs: options.runs,
        seed: options.seed,
        strategy: options.strategy,
        depth: options.depth,
        maxPreemptions: options.maxPreemptions,
        shrink: options.shrink,
      };
  // vitest goes on to the next test when this one times out, but the search must not go on beside it
  // (time and timers are virtual during a run): it stops at its next run or step, and vitest waits for it
  // in this hook.
  let ended = false;
  const stopIfEnded = (): void => {
    if (ended) throw new RaceTestError(`${id}: the test ended (it timed out or was cancelled) before racecheck's search did; the search stopped there`);
  };
  // vitest's listeners fail the test run on an unhandled rejection, as Node would end the process.
  runnerListensForRejections();
  const search = runScenario({ ...scenario, name: scenario.name ?? name }, { ...run, onRunStart: stopIfEnded, onStep: stopIfEnded });
  api.onTestFinished(async () => {
    ended = true;
    await search.catch(() => undefined);
  });
  const result = await search;
  if (result.status === 'error') throw new RaceTestError(`${id}: ${result.error.message}`);
  const diverged = recipe ? formatDivergence(result.search, result.runs, result.violation?.run) : undefined;
  if (result.status === 'pass') {
    if (diverged) console.warn(`racecheck: ${id}: ${diverged}`);
    return result;
  }

  const report = toScenarioReport(result, file, { program: 'racecheck' });
  const violation = report.violation!;
  const command = `${REPLAY_ENV}=${violation.replay} npx vitest run ${shellQuote(file)}`;
  const shown: ScenarioReport = { ...report, violation: { ...violation, command } };
  const head = `${violation.kind}: ${violation.message.split('\n')[0]} (found by racecheck in run ${violation.run}${diverged ? `; ${diverged}` : ''})`;
  const error = new RaceConditionError(`${head}\n${formatViolation(shown, { color: 0, width: 100 })}\n`, shown);
  // Point vitest's code frame at the race test, not into racecheck.
  error.stack = `${error.name}: ${error.message}\n${where}`;
  throw error;
}

/** Ids of the tests RACECHECK_REPLAY's token was replayed in, in this worker. */
const replayed = new Set<string>();
const watchedFiles = new Set<string>();

/**
 * The recorded schedule to follow, if any: RACECHECK_REPLAY when its token names this test (a token
 * for another test leaves this one searching as usual), else the `replay` option.
 */
function replayFor(id: string, options: RaceOptions): ReplayRecipe | undefined {
  const fromEnv = process.env[REPLAY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const recipe = decode(fromEnv, REPLAY_ENV);
    if (recipe.id === id) {
      replayed.add(id);
      return recipe;
    }
  }
  return options.replay === undefined ? undefined : decode(options.replay, 'the replay option');
}

/**
 * A RACECHECK_REPLAY token for a race test of this file that did not run (renamed, or filtered out)
 * must not pass silently: once the file's tests are done, that is an error naming the test.
 */
function watchReplayToken(api: VitestApi): void {
  const token = process.env[REPLAY_ENV];
  const testPath = api.expect.getState().testPath;
  if (token === undefined || token.trim() === '' || testPath === undefined || watchedFiles.has(testPath)) return;
  watchedFiles.add(testPath);
  let id: string;
  try {
    id = decodeReplayToken(token).id;
  } catch {
    return; // every race check of the file reports the damaged token
  }
  const file = displayPath(testPath);
  if (!id.startsWith(`${file}#`)) return;
  api.afterAll(() => {
    if (!replayed.has(id)) {
      throw new RaceTestError(`${REPLAY_ENV}: the token replays ${id}, but no race test of that name ran in ${file} (renamed, or left out by a filter?)`);
    }
  });
}

function decode(token: string, from: string): ReplayRecipe {
  try {
    return decodeReplayToken(token);
  } catch (error) {
    throw new RaceTestError(`${from}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Race checks made so far by each running test (vitest runs a file's tests one at a time unless concurrent). */
const calls = new Map<string, number>();

/** The test's full name; a second race check in the same test gets ` (2)`, so each has its own token. */
function testId(api: VitestApi, name: string): string {
  const count = (calls.get(name) ?? 0) + 1;
  calls.set(name, count);
  if (count === 1) api.onTestFinished(() => void calls.delete(name));
  return count === 1 ? name : `${name} (${count})`;
}

/** The stack below `fn`'s caller's frame: where the race test is written. */
function callSite(fn: (...args: never[]) => unknown): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, fn);
  return (holder.stack ?? '').split('\n').slice(1).join('\n');
}
