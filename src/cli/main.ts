import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildReport, toScenarioReport, type CommandStyle } from '../report/build.js';
import { createJsonReporter } from '../report/json.js';
import { createJunitReporter } from '../report/junit.js';
import { createPrettyReporter } from '../report/pretty.js';
import { decodeReplayToken, ReplayTokenError, type ReplayRecipe } from '../report/replay-token.js';
import type { Reporter, ScenarioReport } from '../report/types.js';
import { resolveRuns } from '../scheduler/settings.js';
import { randomSeed } from '../scheduler/rng.js';
import { discoverFiles, type DiscoveredFile } from './discover.js';
import { EXIT, UsageError, type ExitCode } from './errors.js';
import { parseArguments, type CliOptions } from './options.js';
import { ScenarioRunner } from './orchestrator.js';
import type { ScenarioInfo, WorkerRunOptions } from './protocol.js';

/** The process around the CLI, passed in so tests can run it without spawning. */
export interface CliEnvironment {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** parse -> discover -> load -> run -> report -> exit code. Returns the exit code; never exits. */
export async function main(argv: readonly string[], environment: CliEnvironment): Promise<ExitCode> {
  let runner: ScenarioRunner | undefined;
  try {
    const parsed = parseArguments(argv, VERSION, (text) => environment.stdout.write(text));
    if (parsed.kind === 'exit') return EXIT.ok;
    const options = parsed.options;
    const recipe = options.replay === undefined ? undefined : decodeReplay(options.replay);
    const paths = recipe && !options.pathsGiven ? [recipe.id.slice(0, recipe.id.lastIndexOf('#'))] : options.paths;
    const files = await discoverFiles(paths, environment.cwd);
    const outputs = planOutputs(options, environment);

    runner = new ScenarioRunner({
      cwd: environment.cwd,
      include: options.include,
      exclude: options.exclude,
      output: options.showOutput ? environment.stderr : undefined,
    });
    const scenarios = selectScenarios(await loadAll(runner, files), options, recipe);
    const seed = recipe?.seed ?? options.seed ?? randomSeed();
    const reporters = outputs.reporters;
    const style: CommandStyle = { program: environment.env.npm_command === 'exec' ? 'npx racecheck' : 'racecheck' };

    const started = performance.now();
    for (const reporter of reporters) reporter.onStart?.({ scenarios: scenarios.map((s) => s.id), seed, version: VERSION });
    const reports: ScenarioReport[] = [];
    for (const scenario of scenarios) {
      const settings = runOptions(options, seed, recipe);
      const totalRuns = resolveRuns(settings, scenario);
      for (const reporter of reporters) reporter.onScenarioStart?.({ id: scenario.id, name: scenario.name, runs: totalRuns });
      const scenarioStarted = performance.now();
      const result = await runner.run(scenario, settings, (runs) => {
        for (const reporter of reporters) {
          reporter.onProgress?.({ id: scenario.id, runs, totalRuns, elapsedMs: performance.now() - scenarioStarted });
        }
      });
      const report = toScenarioReport(result, scenario.file, style);
      reports.push(report);
      for (const reporter of reporters) reporter.onScenarioEnd?.(report);
    }
    const report = buildReport(reports, seed, VERSION, performance.now() - started);
    for (const reporter of reporters) await reporter.onEnd?.(report);
    await outputs.close();
    if (report.summary.errors > 0) return EXIT.usage;
    return report.summary.failed > 0 ? EXIT.violation : EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ReplayTokenError) {
      environment.stderr.write(`racecheck: ${error.message}\n`);
      return EXIT.usage;
    }
    environment.stderr.write(`racecheck: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.internal;
  } finally {
    await runner?.close();
  }
}

function decodeReplay(token: string): ReplayRecipe {
  const recipe = decodeReplayToken(token);
  if (!recipe.id.includes('#')) throw new ReplayTokenError('the replay token names no scenario');
  return recipe;
}

/** Loads every file; the first one that fails stops everything with its one-line reason. */
async function loadAll(runner: ScenarioRunner, files: readonly DiscoveredFile[]): Promise<ScenarioInfo[]> {
  const scenarios: ScenarioInfo[] = [];
  const fromDirectory = new Map<string, number>();
  for (const file of files) {
    const outcome = await runner.load(file.file);
    if (!outcome.ok) throw new UsageError(outcome.message);
    if (outcome.scenarios.length === 0 && !file.fromDirectory) {
      throw new UsageError(`${file.file}: exports no scenario (an object with a "tasks" property)`);
    }
    if (file.fromDirectory) fromDirectory.set(file.from, (fromDirectory.get(file.from) ?? 0) + outcome.scenarios.length);
    scenarios.push(...outcome.scenarios);
  }
  for (const [from, count] of fromDirectory) {
    if (count === 0) throw new UsageError(`${from}: no scenario modules (no file there exports an object with a "tasks" property)`);
  }
  return scenarios;
}

function selectScenarios(scenarios: readonly ScenarioInfo[], options: CliOptions, recipe: ReplayRecipe | undefined): ScenarioInfo[] {
  if (recipe) {
    const match = scenarios.find((s) => s.id === recipe.id);
    if (!match) throw new UsageError(`the replay token is for ${recipe.id}, which is not among the scenarios loaded`);
    return [match];
  }
  const filter = options.filter;
  if (filter === undefined) return [...scenarios];
  const selected = scenarios.filter((s) => s.id.includes(filter) || s.name.includes(filter));
  if (selected.length === 0) throw new UsageError(`--filter ${filter}: no scenario's id or name contains it`);
  return selected;
}

function runOptions(options: CliOptions, seed: number, recipe: ReplayRecipe | undefined): WorkerRunOptions {
  const limits = { maxSteps: options.maxSteps, timeoutMs: options.timeoutMs, maxBlockingMs: options.maxBlockingMs };
  if (recipe) return { ...limits, seed: recipe.seed, replay: { choices: recipe.choices, counts: recipe.counts } };
  return {
    ...limits,
    seed,
    runs: options.runs,
    strategy: options.strategy,
    depth: options.depth,
    maxPreemptions: options.maxPreemptions,
    shrink: options.shrink,
  };
}

/**
 * Decides where each reporter writes. Machine reporters go to their own file, to --output, or to stdout;
 * at most one may take stdout, and then the pretty report moves to stderr so stdout stays parseable.
 */
function planOutputs(options: CliOptions, environment: CliEnvironment): { reporters: Reporter[]; close(): Promise<void> } {
  const machine = options.reporters.filter((r) => r.name !== 'pretty');
  const withoutFile = machine.filter((r) => r.file === undefined);
  if (options.output !== undefined && withoutFile.length !== 1) {
    throw new UsageError(
      withoutFile.length === 0
        ? '--output needs a machine reporter (--reporter json or junit) to write'
        : '--output fits one machine reporter; give each its own file with --reporter name:file',
    );
  }
  const toStdout = withoutFile.filter(() => options.output === undefined);
  if (toStdout.length > 1) throw new UsageError('json and junit cannot both write to stdout; give one a file with --reporter name:file or --output');

  const pending: Promise<void>[] = [];
  const writerFor = (file: string | undefined) => {
    if (file === undefined) return (text: string) => void environment.stdout.write(text);
    const target = path.resolve(environment.cwd, file);
    return async (text: string) => {
      await mkdir(path.dirname(target), { recursive: true });
      const stream = createWriteStream(target);
      pending.push(new Promise((resolve, reject) => stream.end(text, () => resolve()).on('error', reject)));
    };
  };
  const reporters = options.reporters.map((choice): Reporter => {
    if (choice.name === 'pretty') {
      const out = toStdout.length > 0 ? environment.stderr : environment.stdout;
      const interactive = Boolean(out.isTTY);
      return createPrettyReporter({
        out,
        interactive,
        color: colorLevel(environment.env, interactive),
        width: interactive && environment.stdout.columns ? environment.stdout.columns : Number(environment.env.COLUMNS) || 120,
      });
    }
    const write = writerFor(choice.file ?? options.output);
    return choice.name === 'json' ? createJsonReporter(write) : createJunitReporter(write);
  });
  return { reporters, close: async () => void (await Promise.all(pending)) };
}

/** NO_COLOR wins; FORCE_COLOR forces (its number is the level); otherwise colour only on a terminal. */
function colorLevel(env: CliEnvironment['env'], interactive: boolean): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const forced = env.FORCE_COLOR;
  if (forced !== undefined) {
    if (forced === '0' || forced === 'false') return 0;
    const level = Number(forced);
    return level >= 1 && level <= 3 ? (level as 1 | 2 | 3) : 1;
  }
  if (!interactive) return 0;
  return env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit' ? 3 : 2;
}
