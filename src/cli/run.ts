import { formatUnusedInclude } from '../instrument/include-report.js';
import { buildReport, type CommandStyle } from '../report/build.js';
import { recordedSchedule, type ReplayRecipe } from '../report/replay-token.js';
import { randomSeed } from '../scheduler/rng.js';
import type { DiscoveredFile } from './discover.js';
import { EXIT, UsageError, type ExitCode } from './errors.js';
import type { OptionValues } from './option-table.js';
import type { CliEnvironment } from './environment.js';
import { OrderedEvents } from './ordered-events.js';
import { createOutputs, type Outputs } from './outputs.js';
import type { ChildRunOptions } from './protocol.js';
import { Interruption, runFiles, type FileOutcome } from './run-files.js';
import type { WorkerPool } from './worker-pool.js';

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** What main() has decided before the run: the options and the files; the pool's children are starting. */
export interface RunInput {
  readonly values: OptionValues;
  readonly files: readonly DiscoveredFile[];
  readonly recipe: ReplayRecipe | undefined;
  readonly workers: number;
  readonly version: string;
  readonly pool: WorkerPool;
}

/**
 * discover -> run every file in a child process -> report -> exit code. Loaded by main() once the first
 * child is starting, so that importing all this overlaps with that child's start-up.
 */
export async function run(input: RunInput, environment: CliEnvironment): Promise<ExitCode | 130 | 143> {
  const { cwd } = environment;
  const { values, pool, version, files, recipe, workers } = input;
  let outputs: Outputs | undefined;
  let stopListening: (() => void) | undefined;
  try {
    const reporterSpecs = [...(values.reporter ?? [])];
    if (values.json && !reporterSpecs.some((spec) => spec === 'json' || spec.startsWith('json:'))) reporterSpecs.push('json');
    outputs = await createOutputs({ reporters: reporterSpecs, output: values.output, cwd, stdout: environment.stdout, stderr: environment.stderr, env: environment.env });

    const seed = recipe?.seed ?? values.seed ?? randomSeed();
    const style: CommandStyle = { program: environment.env.npm_command === 'exec' ? 'npx racecheck' : 'racecheck' };
    const events = new OrderedEvents(outputs.reporters, { files: files.map((f) => f.file), seed, version, ...(values.shard ? { shard: values.shard } : {}) });
    const interruption = new Interruption();
    let signalled: 'SIGINT' | 'SIGTERM' | undefined;
    stopListening = environment.signals?.on((signal) => {
      if (signalled === undefined) {
        signalled = signal;
        interruption.raise('stopping');
        void pool.stop();
      } else {
        interruption.raise('ended');
      }
    });

    const started = performance.now();
    const outcomes = await runFiles(
      {
        files: files.map((f) => f.file),
        job: { cwd, include: values.include ?? [], exclude: values.exclude ?? [], options: runOptions(values, seed, recipe) },
        select: recipe ? { ids: [recipe.id] } : values.filter === undefined ? {} : { filter: values.filter },
        style,
        workers,
      },
      pool,
      events,
      interruption,
    );
    const scenarios = outcomes.flatMap((outcome) => outcome.reports);
    if (values.shard && files.length === 0) environment.stderr.write(`racecheck: shard ${values.shard.index}/${values.shard.count} has no scenario files (there are fewer files than shards)\n`);
    const problems = signalled ? [] : emptyInputs(files, outcomes);
    if (!signalled && scenarios.length === 0) {
      if (recipe) throw new UsageError(`the replay token is for ${recipe.id}, which is not among the scenarios loaded`);
      if (values.filter !== undefined && problems.length === 0) throw new UsageError(`--filter ${values.filter}: no scenario's id or name contains it`);
      if (problems.length > 0) throw new UsageError(problems.join('\n'));
    }

    const report = buildReport(scenarios, { seed, version, durationMs: performance.now() - started, interrupted: signalled !== undefined, ...(values.shard ? { shard: values.shard } : {}) });
    events.begin();
    for (const reporter of outputs.reporters) await reporter.onEnd?.(report);
    if (!outputs.terminalReport) {
      // Nobody reads a pretty report: the reasons of what could not run go to stderr.
      for (const scenario of scenarios) if (scenario.status === 'error' && scenario.error) environment.stderr.write(`racecheck: ${scenario.error.message}\n`);
    }
    for (const problem of problems) environment.stderr.write(`racecheck: ${problem}\n`);
    for (const entry of unusedIncludeEntries(values.include ?? [], outcomes)) {
      environment.stderr.write(`${formatUnusedInclude(entry, '--include', 'loaded file')}\n`);
    }
    const failure = outputs.failure();
    if (failure) environment.stderr.write(`racecheck: ${failure.message}\n`);
    const broken = outputs.brokenReporter();
    if (broken) {
      const error = broken.error instanceof Error ? broken.error : new Error(String(broken.error));
      // The other reporters wrote their reports; this one's is missing.
      if (broken.builtin) environment.stderr.write(`racecheck: internal error in the ${broken.label} reporter: ${error.stack ?? error.message}\n`);
      else environment.stderr.write(`racecheck: the reporter ${broken.label} failed: ${error.name}: ${error.message.split('\n')[0]}\n`);
      return broken.builtin ? EXIT.internal : EXIT.usage;
    }

    if (signalled) return SIGNAL_EXIT[signalled];
    if (failure) return EXIT.usage;
    if (report.summary.failed > 0) return EXIT.violation;
    return report.summary.errors > 0 || problems.length > 0 ? EXIT.usage : EXIT.ok;
  } finally {
    stopListening?.();
    outputs?.dispose();
  }
}

function runOptions(values: OptionValues, seed: number, recipe: ReplayRecipe | undefined): ChildRunOptions {
  const limits = { maxSteps: values.maxSteps, timeoutMs: values.timeout, maxBlockingMs: values.maxBlocking };
  // A token of the lock advisor's variant replays it without the locks it made no-ops.
  const variant = recipe?.bypass ? { bypassLocks: recipe.bypass } : {};
  if (recipe) return { ...limits, seed: recipe.seed, replay: recordedSchedule(recipe), replayStrict: values.replayStrict ?? false, runs: values.runs, ...variant };
  return { ...limits, seed, runs: values.runs, strategy: values.strategy, depth: values.depth, maxPreemptions: values.maxPreemptions, shrink: values.shrink, advise: values.advise };
}

/** The --include entries under which no loaded file instrumented anything (none when no file loaded: nothing to say). */
function unusedIncludeEntries(include: readonly string[], outcomes: readonly FileOutcome[]): string[] {
  const loaded = outcomes.filter((outcome) => outcome.loaded);
  if (loaded.length === 0) return [];
  const used = new Set(loaded.flatMap((outcome) => outcome.usedIncludes));
  return include.filter((entry) => !used.has(entry));
}

/** A file named on the command line that exports no scenario, and a directory none of whose files does. */
function emptyInputs(files: readonly DiscoveredFile[], outcomes: readonly FileOutcome[]): string[] {
  const exported = new Map(outcomes.map((outcome) => [outcome.file, outcome.loaded ? outcome.exported : 1]));
  const problems: string[] = [];
  const directories = new Map<string, number>();
  for (const file of files) {
    const count = exported.get(file.file) ?? 1;
    if (!file.fromDirectory && count === 0) problems.push(`${file.file}: exports no scenario (an object with a "tasks" property)`);
    if (file.fromDirectory) directories.set(file.from, (directories.get(file.from) ?? 0) + count);
  }
  for (const [from, count] of directories) {
    if (count === 0) problems.push(`${from}: no scenario modules (no file there exports an object with a "tasks" property)`);
  }
  return problems;
}
