import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPackageName, picomatch } from './match.js';

/**
 * The `--include` entries that instrumented no scheduling point: no registered site lies in a module they
 * match, so the entry matched no file, or only files with no await (a package compiled with a helper
 * racecheck does not know, or one that is not loaded at all). `siteUrls` are the module URLs of the
 * registered sites (`Site.url`), from every scenario file of the run. For the CLI's warning (SPEC §7).
 */
export function unusedIncludes(include: readonly string[], cwd: string, siteUrls: Iterable<string>): string[] {
  const files = [...new Set(siteUrls)].filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url));
  const posix = files.map((file) => file.split(path.sep).join('/'));
  const relative = files.map((file) => path.relative(cwd, file).split(path.sep).join('/'));
  return include.filter((entry) => {
    if (isPackageName(entry)) return !posix.some((file) => file.includes(`/node_modules/${entry}/`));
    const matches = picomatch(entry, { dot: true });
    return !relative.some((file) => matches(file));
  });
}

/** The warning for an include entry that instrumented nothing, for the CLI (`--include`) and the vitest plugin. */
export function formatUnusedInclude(entry: string, option: string, loaded: string): string {
  return `racecheck: warning: ${option} ${entry} instrumented no scheduling point: it matched no ${loaded}, or only files without an await racecheck recognises`;
}
