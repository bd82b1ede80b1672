import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { displayPath } from '../paths.js';
import { installInstrumentation, type InstrumentOptions } from '../instrument/register.js';
import { installRuntime } from '../scheduler/runtime.js';
import type { LoadedScenario } from './types.js';
import { looksLikeScenario, normalizeScenario, ScenarioError } from './normalize.js';

/** A scenario module that could not be loaded: missing, unparsable, throwing on import, or malformed. */
export class LoadError extends Error {
  readonly code = 'RACECHECK_LOAD';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'LoadError';
  }
}

/**
 * Imports a scenario module with instrumentation (its awaits, and those of the project modules it
 * imports, become scheduling points) and returns its scenarios: every export with a `tasks` property,
 * `default` first, then by export name.
 */
export async function loadScenarios(file: string, options: InstrumentOptions = {}): Promise<LoadedScenario[]> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const absolute = path.resolve(cwd, file);
  const shown = displayPath(absolute, cwd);
  if (!existsSync(absolute)) throw new LoadError(`${shown}: no such file`, shown);
  installRuntime();
  installInstrumentation({ ...options, cwd });

  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw new LoadError(describeImportError(error, shown), shown);
  }
  const exported = exportsOf(namespace);
  const names = Object.keys(exported).sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)));
  const scenarios: LoadedScenario[] = [];
  for (const exportName of names) {
    const value = exported[exportName];
    if (!looksLikeScenario(value)) continue;
    const id = `${shown}#${exportName}`;
    try {
      scenarios.push({ id, file: shown, exportName, scenario: normalizeScenario(value, id, exportName) });
    } catch (error) {
      if (error instanceof ScenarioError) throw new LoadError(error.message, shown);
      throw error;
    }
  }
  return scenarios;
}

/**
 * A CommonJS module imported from ESM shows its `module.exports` as `default` (Node cannot always detect
 * the named exports of compiled TypeScript), so its properties count as named exports.
 */
function exportsOf(namespace: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(namespace).filter((key) => key !== 'module.exports');
  const fallback = namespace.default;
  if (keys.length !== 1 || keys[0] !== 'default' || looksLikeScenario(fallback) || fallback === null || typeof fallback !== 'object') {
    return namespace;
  }
  return { ...(fallback as Record<string, unknown>) };
}

/** One line: a syntax error with its position, or what the module threw while it was imported. */
function describeImportError(error: unknown, file: string): string {
  if (!(error instanceof Error)) return `${file}: threw while being imported: ${String(error)}`;
  const position = /(?:^|\s)(\S+?):(\d+):(\d+): (.*)/.exec(error.message);
  if (error.name === 'SyntaxError' && position) return `${displayUrl(position[1]!)}:${position[2]}:${position[3]}: syntax error: ${position[4]}`;
  if (error.name === 'SyntaxError') return `${file}: syntax error: ${error.message}`;
  return `${file}: threw while being imported: ${error.name}: ${error.message}`;
}

function displayUrl(url: string): string {
  return url.startsWith('file:') ? displayPath(url) : url;
}
