import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { displayPath } from '../paths.js';
import { UsageError } from './errors.js';
import { OptionValueError, OPTIONS, type OptionName, type OptionSpec, type OptionValues } from './option-table.js';

export { defineConfig, type RacecheckConfig } from './define-config.js';

/** Looked for, in this order, in the working directory when no --config is given. */
export const CONFIG_FILES = ['racecheck.config.ts', 'racecheck.config.mts', 'racecheck.config.js', 'racecheck.config.mjs'] as const;

/** The config file to read: the one given, else the first of CONFIG_FILES in cwd, else none. */
export function findConfigFile(cwd: string, given: string | undefined): string | undefined {
  if (given !== undefined) {
    const file = path.resolve(cwd, given);
    const info = statSafe(file);
    if (!info) throw new UsageError(`--config ${given}: no such file`);
    if (!info.isFile()) throw new UsageError(`--config ${given}: not a file`);
    if (!/\.(ts|mts|js|mjs|cjs|cts)$/.test(file)) throw new UsageError(`--config ${given}: expected a .ts, .mts, .js or .mjs file`);
    return file;
  }
  for (const name of CONFIG_FILES) {
    const file = path.join(cwd, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** Imports a config file and checks its default export. TypeScript configs load through tsx, only when there is one. */
export async function loadConfigFile(file: string, cwd: string): Promise<OptionValues> {
  const shown = displayPath(file, cwd);
  let namespace: Record<string, unknown>;
  try {
    if (/\.[mc]?ts$/.test(file)) {
      const { tsImport } = await import('tsx/esm/api');
      namespace = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
    } else {
      namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    }
  } catch (error) {
    // esbuild's syntax errors say where on their second line: `file:line:column: ERROR: text` (0-based column).
    const syntax = error instanceof Error ? /^(.+?):(\d+):(\d+): ERROR: (.*)$/m.exec(error.message) : null;
    if (syntax) throw new UsageError(`${shown}:${syntax[2]}:${Number(syntax[3]) + 1}: syntax error: ${syntax[4]}`);
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new UsageError(`${shown}: could not be loaded: ${reason.split('\n')[0]}`);
  }
  return checkConfig(unwrapDefault(namespace), shown);
}

/** TypeScript compiled to CommonJS (a package without "type": "module") shows up as `{ __esModule, default }`. */
function unwrapDefault(namespace: Record<string, unknown>): unknown {
  const value = namespace.default as Record<string, unknown> | undefined;
  if (value !== null && typeof value === 'object' && value.__esModule === true && 'default' in value) return value.default;
  return value;
}

/** Checks every key against the option table; the first mistake is a one-line UsageError naming the key. */
export function checkConfig(value: unknown, shown: string): OptionValues {
  if (value === undefined) throw new UsageError(`${shown}: has no default export (export default defineConfig({ ... }))`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${shown}: its default export must be an object of options (export default defineConfig({ ... }))`);
  }
  const values: Record<string, unknown> = {};
  for (const [key, given] of Object.entries(value)) {
    if (!Object.hasOwn(OPTIONS, key)) throw new UsageError(`${shown}: unknown key "${key}"${suggest(key)}`);
    const spec = OPTIONS[key as OptionName] as OptionSpec<unknown>;
    if (spec.where === 'cli') throw new UsageError(`${shown}: "${key}" cannot be set in a config file; give it on the command line`);
    if (given === undefined) continue;
    try {
      values[key] = spec.kind.fromConfig(given);
    } catch (error) {
      if (error instanceof OptionValueError) throw new UsageError(`${shown}: "${key}": ${error.message}`);
      throw error;
    }
  }
  return values as OptionValues;
}

function suggest(key: string): string {
  const names = (Object.keys(OPTIONS) as OptionName[]).filter((name) => OPTIONS[name].where !== 'cli');
  const camel = key.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
  const close = names.find((name) => name.toLowerCase() === camel.toLowerCase()) ?? names.find((name) => distance(name.toLowerCase(), key.toLowerCase()) <= 2);
  return close ? ` (did you mean "${close}"?)` : ` (the keys are the long options in camelCase: ${names.join(', ')})`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function statSafe(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
