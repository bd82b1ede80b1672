import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How racecheck shows a file (in ids, sites, messages): relative to `cwd` with forward slashes, or
 * absolute when it lies outside. Takes a path or a file: URL.
 */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const absolute = file.startsWith('file:') ? fileURLToPath(file) : file;
  const relative = path.relative(cwd, absolute);
  return relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative.split(path.sep).join('/');
}
