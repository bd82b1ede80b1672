import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { displayPath } from '../paths.js';
import { ReplayTokenError, type ReplayRecipe } from '../report/replay-token.js';
import { SCENARIO_EXTENSIONS } from './discover.js';
import { parseScenarioId } from '../scenario/id.js';

/**
 * The scenario module a replay token names, checked before anything is imported: a token is input, and
 * must not get racecheck to run a file of its choosing. It must name, the way racecheck writes ids, a
 * scenario module (a .ts, .mts, .js or .mjs file) inside the working directory, symbolic links resolved.
 */
export function replayFile(recipe: ReplayRecipe, cwd: string): string {
  const refuse = (why: string): never => {
    throw new ReplayTokenError(`the replay token names ${JSON.stringify(recipe.id)}, which is not a scenario in this directory: ${why}`);
  };
  const file = parseScenarioId(recipe.id)?.file ?? refuse('it is not <file>#<export>');
  if (path.isAbsolute(file) || file.includes('\\')) refuse('its file is not a path relative to the working directory');
  const absolute = path.resolve(cwd, file);
  if (displayPath(absolute, cwd) !== file) refuse('its file is outside the working directory, or not written as racecheck writes paths');
  if (!SCENARIO_EXTENSIONS.some((extension) => file.endsWith(extension)) || file.endsWith('.d.ts')) refuse(`its file is not a scenario module (${SCENARIO_EXTENSIONS.join(', ')})`);
  let real: string;
  try {
    if (!statSync(absolute).isFile()) refuse('its file is not a file');
    real = realpathSync(absolute);
  } catch (error) {
    if (error instanceof ReplayTokenError) throw error;
    return refuse('there is no such file');
  }
  const root = realpathSync(cwd);
  const inside = path.relative(root, real);
  if (inside.startsWith('..') || path.isAbsolute(inside)) refuse('its file leads outside the working directory');
  return file;
}
