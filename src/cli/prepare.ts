import { availableParallelism } from 'node:os';
import { decodeReplayToken, type ReplayRecipe } from '../report/replay-token.js';
import { findConfigFile, loadConfigFile } from './config.js';
import { discoverFiles, type DiscoveredFile } from './discover.js';
import { UsageError } from './errors.js';
import type { OptionValues } from './option-table.js';
import { DEFAULT_PATH, parseArguments } from './options.js';
import { replayFile } from './replay.js';
import { parseScenarioId } from '../scenario/id.js';
import { selectShard } from './shard.js';

/** What a run is, once the command line and the config file are read: the options and the files. */
export type Prepared =
  | { readonly kind: 'exit' }
  | { readonly kind: 'run'; readonly values: OptionValues; readonly files: readonly DiscoveredFile[]; readonly recipe: ReplayRecipe | undefined; readonly workers: number };

/** parse -> config (flags override it) -> the files (a shard of them): every input mistake is a UsageError before anything runs. */
export async function prepare(argv: readonly string[], cwd: string, version: string, stdout: (text: string) => void): Promise<Prepared> {
  const parsed = parseArguments(argv, version, stdout);
  if (parsed.kind === 'exit') return { kind: 'exit' };
  const configFile = findConfigFile(cwd, parsed.values.config);
  const values: OptionValues = { ...(configFile ? await loadConfigFile(configFile, cwd) : {}), ...parsed.values };
  const recipe = values.replay === undefined ? undefined : decodeReplayToken(values.replay);
  let files = await filesToRun(parsed.paths.length > 0 ? parsed.paths : undefined, values, recipe, cwd);
  if (values.shard) files = selectShard(files, values.shard);
  const workers = Math.max(1, Math.min(values.workers ?? availableParallelism(), files.length));
  return { kind: 'run', values, files, recipe, workers };
}

/**
 * The files to run: those the paths name (the config's `paths`, else scenarios/), or for a replay the
 * token's own file: one the paths on the command line name (the printed replay command names it, wherever
 * it is), else one the token alone may name, checked before anything loads (see replayFile).
 */
async function filesToRun(given: readonly string[] | undefined, values: OptionValues, recipe: ReplayRecipe | undefined, cwd: string): Promise<DiscoveredFile[]> {
  if (!recipe) return discoverFiles(given ?? values.paths ?? [DEFAULT_PATH], cwd);
  const named = parseScenarioId(recipe.id)?.file;
  const discovered = given ? await discoverFiles(given, cwd) : [];
  const chosen = named === undefined ? undefined : discovered.find((found) => found.file === named);
  if (chosen) return [{ file: chosen.file, from: chosen.file, fromDirectory: false }];
  const file = replayFile(recipe, cwd);
  if (given) throw new UsageError(`the replay token is for ${recipe.id}, which is not among the scenarios loaded`);
  return [{ file, from: file, fromDirectory: false }];
}
