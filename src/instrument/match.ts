import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type picomatchType from 'picomatch';

/** Which modules get their awaits rewritten. Plain data: it crosses into the module-hook thread. */
export interface InstrumentConfig {
  /** Globs are matched against paths relative to this directory. */
  readonly cwd: string;
  /**
   * racecheck's own package root: its `src/`, `dist/` and `bin/` are never instrumented, nor the packages it
   * publishes from `packages/` (in this repository @racecheck/sync resolves there, not under node_modules).
   */
  readonly selfRoot: string;
  /** Globs, or package names (`p-limit`, `@scope/pkg`) whose files under node_modules are instrumented too. */
  readonly include: readonly string[];
  /** Globs of files left native even though they are outside node_modules. */
  readonly exclude: readonly string[];
}

/**
 * picomatch is CommonJS, so it is required: an import would have Node's ES loader parse its source for the
 * names it exports, in both threads of every child process that instruments.
 */
export const picomatch = createRequire(import.meta.url)('picomatch') as typeof picomatchType;

const SOURCE_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/i;

export function isPackageName(entry: string): boolean {
  return PACKAGE_NAME.test(entry);
}

/** Returns a predicate over file: URLs or absolute paths. */
export function createInstrumentMatcher(config: InstrumentConfig): (file: string) => boolean {
  const packages = config.include.filter(isPackageName).map((name) => `/node_modules/${name}/`);
  const includeGlobs = config.include.filter((entry) => !isPackageName(entry));
  const included = includeGlobs.length > 0 ? picomatch(includeGlobs, { dot: true }) : () => false;
  const excluded = config.exclude.length > 0 ? picomatch([...config.exclude], { dot: true }) : () => false;
  const own = ['src', 'dist', 'bin', 'packages'].map((dir) => path.join(config.selfRoot, dir) + path.sep);

  return (file) => {
    const absolute = file.startsWith('file:') ? fileURLToPath(file) : file;
    if (!path.isAbsolute(absolute) || !SOURCE_FILE.test(absolute) || /\.d\.[cm]?ts$/.test(absolute)) return false;
    if (own.some((dir) => absolute.startsWith(dir))) return false;
    const posix = absolute.split(path.sep).join('/');
    const relative = path.relative(config.cwd, absolute).split(path.sep).join('/');
    if (excluded(relative)) return false;
    if (packages.some((segment) => posix.includes(segment)) || included(relative)) return true;
    return !posix.includes('/node_modules/');
  };
}
