import { stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { displayPath } from '../paths.js';
import { UsageError } from './errors.js';

export const SCENARIO_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;
const MODULES = '**/*.{ts,mts,js,mjs}';
const IGNORE = ['**/node_modules/**', '**/*.d.ts', '**/*.d.mts', '**/.*/**'];
/**
 * A test runner's files (vitest's and jest's default naming: `*.test.ts`, `*.spec.mjs`): a directory search
 * leaves them out, since they are not scenario modules and import their runner (a `raceTest` file runs under
 * vitest). Named on the command line, or matched by a glob, they are loaded as asked.
 */
const TEST_FILE = /\.(?:test|spec)\.[cm]?[jt]s$/;

/** A scenario module to load and the command-line path that named it. */
export interface DiscoveredFile {
  /** Relative to cwd (posix separators), or absolute when outside it. */
  readonly file: string;
  readonly from: string;
  readonly fromDirectory: boolean;
}

/** Expands files, directories and globs into scenario modules, in a stable order. */
export async function discoverFiles(paths: readonly string[], cwd: string): Promise<DiscoveredFile[]> {
  const found = new Map<string, DiscoveredFile>();
  const add = (absolute: string, from: string, fromDirectory: boolean) => {
    const file = displayPath(absolute, cwd);
    if (!found.has(file)) found.set(file, { file, from, fromDirectory });
  };
  for (const input of paths) {
    const absolute = path.resolve(cwd, input);
    const info = await stat(absolute).catch(() => undefined);
    if (info?.isFile()) {
      if (!SCENARIO_EXTENSIONS.some((ext) => absolute.endsWith(ext))) {
        throw new UsageError(`${input}: not a scenario module (expected ${SCENARIO_EXTENSIONS.join(', ')})`);
      }
      add(absolute, input, false);
    } else if (info?.isDirectory()) {
      const modules = await glob(MODULES, { cwd: absolute, ignore: IGNORE, absolute: true });
      const files = modules.filter((file) => !TEST_FILE.test(file));
      if (files.length === 0) {
        const skipped = modules.length - files.length;
        const tests = skipped === 0 ? '' : `; its ${skipped} ${skipped === 1 ? 'file is a test file' : 'files are test files'} (*.test.*, *.spec.*), left to their test runner`;
        throw new UsageError(`${input}: no scenario modules in this directory (${SCENARIO_EXTENSIONS.join(', ')} files${tests})`);
      }
      for (const file of files.sort()) add(file, input, true);
    } else if (isDynamicPattern(input)) {
      const files = (await glob(input, { cwd, ignore: IGNORE, absolute: true })).filter((file) =>
        SCENARIO_EXTENSIONS.some((ext) => file.endsWith(ext)),
      );
      if (files.length === 0) throw new UsageError(`${input}: no scenario modules match this pattern`);
      for (const file of files.sort()) add(file, input, true);
    } else {
      throw new UsageError(`${input}: no such file or directory`);
    }
  }
  return [...found.values()];
}
