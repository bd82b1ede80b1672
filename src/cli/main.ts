import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { isKnownError } from '../errors.js';
import { decodeReplayToken, type ReplayRecipe } from '../report/replay-token.js';
import type { ChildSettings } from './child-session.js';
import { findConfigFile, loadConfigFile } from './config.js';
import { discoverFiles, type DiscoveredFile } from './discover.js';
import { EXIT, UsageError, type ExitCode } from './errors.js';
import type { OptionValues } from './option-table.js';
import { DEFAULT_PATH, parseArguments } from './options.js';
import type { OutStream } from './outputs.js';
import { replayFile } from './replay.js';
import { selectShard } from './shard.js';
import { WorkerPool } from './worker-pool.js';

/** SIGINT and SIGTERM, from wherever they come: the process's (bin/racecheck.js), or a test's. */
export interface SignalSource {
  on(listener: (signal: 'SIGINT' | 'SIGTERM') => void): () => void;
}

/** The process around the CLI, passed in so tests can run it without spawning. */
export interface CliEnvironment {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly signals?: SignalSource;
}

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/**
 * parse -> config -> (run.ts) discover -> run each file in a child process -> report -> exit code.
 * Returns the exit code; never exits. A user's mistake is one line on stderr and exit 2.
 */
export async function main(argv: readonly string[], environment: CliEnvironment): Promise<ExitCode | 130 | 143> {
  const { cwd } = environment;
  let pool: WorkerPool | undefined;
  try {
    const parsed = parseArguments(argv, VERSION, (text) => environment.stdout.write(text));
    if (parsed.kind === 'exit') return EXIT.ok;
    const configFile = findConfigFile(cwd, parsed.values.config);
    const values: OptionValues = { ...(configFile ? await loadConfigFile(configFile, cwd) : {}), ...parsed.values };
    const recipe = values.replay === undefined ? undefined : decodeReplayToken(values.replay);
    let files = await filesToRun(parsed.paths.length > 0 ? parsed.paths : undefined, values, recipe, cwd);
    if (values.shard) files = selectShard(files, values.shard);
    const workers = Math.max(1, Math.min(values.workers ?? availableParallelism(), files.length));
    // The children start now, instrumentation and all: a child's start-up (Node, tsx, the rewriter) is most
    // of what a small file costs, and it overlaps with loading the rest of the CLI.
    const childSettings: ChildSettings = { cwd, env: environment.env, output: values.showOutput ? environment.stderr : undefined, instrument: { cwd, include: values.include ?? [], exclude: values.exclude ?? [] } };
    pool = new WorkerPool(childSettings, workers);
    pool.plan(workers, files.length);
    const { run } = await import('./run.js');
    return await run({ values, files, recipe, workers, version: VERSION, pool }, environment);
  } catch (error) {
    if (isKnownError(error)) {
      environment.stderr.write(`racecheck: ${error.message.split('\n').join('\nracecheck: ')}\n`);
      return EXIT.usage;
    }
    environment.stderr.write(`racecheck: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.internal;
  } finally {
    await pool?.close();
  }
}

/**
 * The files to run: those the paths name (the config's `paths`, else scenarios/), or for a replay the
 * token's own file, checked before anything loads (and it must be among the paths, when paths are given).
 */
async function filesToRun(given: readonly string[] | undefined, values: OptionValues, recipe: ReplayRecipe | undefined, cwd: string): Promise<DiscoveredFile[]> {
  if (!recipe) return discoverFiles(given ?? values.paths ?? [DEFAULT_PATH], cwd);
  const file = replayFile(recipe, cwd);
  if (given && !(await discoverFiles(given, cwd)).some((found) => found.file === file)) {
    throw new UsageError(`the replay token is for ${recipe.id}, which is not among the scenarios loaded`);
  }
  return [{ file, from: file, fromDirectory: false }];
}
