import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RacecheckError } from '../errors.js';
import { loadsAsCommonJs } from '../module-format.js';
import { displayPath } from '../paths.js';
import { mapStackTrace } from '../instrument/positions.js';
import { installInstrumentation, type InstrumentOptions } from '../instrument/register.js';
import { installRuntime } from '../scheduler/runtime.js';
import { formatCodeFrame } from '../scenario/code-frame.js';
import type { LoadedScenario } from '../scenario/types.js';
import { looksLikeScenario, normalizeScenario, ScenarioError } from '../scenario/normalize.js';
import { formatScenarioId } from '../scenario/id.js';

/** Where a load error points: 1-based line and column in a file (shown relative to cwd). */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/**
 * A scenario module that could not be loaded (missing, unparsable, throwing on import) or an export of it
 * that is not a valid scenario. The message is one line; `position`, `frame` and `sourceStack` say where.
 */
export class LoadError extends RacecheckError {
  /** The scenario module, as shown (relative to cwd). */
  readonly file: string;
  readonly position: SourcePosition | undefined;
  /** The lines around `position`, with a caret. */
  readonly frame: string | undefined;
  /** The stack of what was thrown, its paths shown relative to cwd and racecheck's own frames left out. */
  readonly sourceStack: string | undefined;

  constructor(message: string, file: string, details: { position?: SourcePosition; frame?: string; stack?: string; cause?: unknown } = {}) {
    super('RACECHECK_LOAD', message, details.cause === undefined ? undefined : { cause: details.cause });
    this.file = file;
    this.position = details.position;
    this.frame = details.frame;
    this.sourceStack = details.stack;
  }
}

/** A module's scenarios, and the exports that look like scenarios but could not be read or are malformed. */
export interface ScenarioModule {
  readonly scenarios: readonly LoadedScenario[];
  readonly errors: readonly { readonly id: string; readonly exportName: string; readonly error: LoadError }[];
}

const SELF_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Frames of racecheck's own code and of the loader it brings (tsx): they only say that racecheck imported the module. */
const OWN_FRAMES = [path.join(SELF_ROOT, 'dist/'), path.join(SELF_ROOT, 'src/'), path.join(SELF_ROOT, 'node_modules/tsx/'), path.join(SELF_ROOT, 'node_modules/esbuild/')];

/**
 * Imports a scenario module with instrumentation (its awaits, and those of the project modules it
 * imports, become scheduling points) and returns its scenarios: every export with a `tasks` property,
 * `default` first, then by export name. Throws the first error, the module's or an export's.
 */
export async function loadScenarios(file: string, options: InstrumentOptions = {}): Promise<LoadedScenario[]> {
  const loaded = await loadScenarioModule(file, options);
  const first = loaded.errors[0];
  if (first) throw first.error;
  return [...loaded.scenarios];
}

/**
 * Like `loadScenarios`, but an export that is not a valid scenario is returned as an error beside the good
 * ones, so that one bad export does not hide the others. A module that does not load throws a LoadError.
 */
export async function loadScenarioModule(file: string, options: InstrumentOptions = {}): Promise<ScenarioModule> {
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
    throw describeImportError(error, shown, cwd);
  }
  const scenarios: LoadedScenario[] = [];
  const errors: { id: string; exportName: string; error: LoadError }[] = [];
  for (const entry of exportsOf(namespace, absolute, shown, cwd)) {
    const id = formatScenarioId(shown, entry.name);
    if ('error' in entry) {
      errors.push({ id, exportName: entry.name, error: entry.error });
      continue;
    }
    if (!looksLikeScenario(entry.value)) continue;
    try {
      scenarios.push({ id, file: shown, exportName: entry.name, scenario: normalizeScenario(entry.value, id, entry.name) });
    } catch (error) {
      const loadError =
        error instanceof ScenarioError
          ? new LoadError(error.message, shown)
          : thrownError(`${id}: reading the scenario threw`, error, shown, cwd);
      errors.push({ id, exportName: entry.name, error: loadError });
    }
  }
  const order = (a: string, b: string) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b));
  scenarios.sort((a, b) => order(a.exportName, b.exportName));
  errors.sort((a, b) => order(a.exportName, b.exportName));
  return { scenarios, errors };
}

type ExportEntry = { readonly name: string; readonly value: unknown } | { readonly name: string; readonly error: LoadError };

/**
 * The module's exports, each read on its own: a getter that throws, or a binding still in its temporal
 * dead zone, is an error for that export alone. A CommonJS module (compiled TypeScript in a package that
 * is not "type": "module", a .cjs or .cts file) shows its `module.exports` as `default`, and the named
 * exports Node guesses for it can be wrong (`get` for a getter), so its exports are module.exports' own.
 */
function exportsOf(namespace: Record<string, unknown>, absolute: string, shown: string, cwd: string): ExportEntry[] {
  const read = (source: Record<string, unknown>, name: string): ExportEntry => {
    try {
      return { name, value: source[name] };
    } catch (error) {
      return { name, error: thrownError(`${formatScenarioId(shown, name)}: reading the export "${name}" threw`, error, shown, cwd) };
    }
  };
  const moduleExports = namespace.default;
  if (loadsAsCommonJs(absolute) && moduleExports !== null && typeof moduleExports === 'object' && !looksLikeScenario(moduleExports)) {
    return Object.keys(moduleExports).map((key) => read(moduleExports as Record<string, unknown>, key));
  }
  return Object.keys(namespace)
    .filter((key) => key !== 'module.exports')
    .map((key) => read(namespace, key));
}

/** A structured error for what importing the module threw: a syntax error with its position, or an exception. */
function describeImportError(error: unknown, shown: string, cwd: string): LoadError {
  const syntax = syntaxErrorPosition(error, cwd);
  if (syntax) {
    const where = `${syntax.position.file}:${syntax.position.line}:${syntax.position.column}`;
    return new LoadError(`${where}: syntax error: ${syntax.reason}`, shown, {
      position: syntax.position,
      frame: frameAt(syntax.position, cwd),
      cause: error,
    });
  }
  // vitest's test() and describe() throw outside a vitest run: the file is a vitest test file.
  if (error instanceof Error && error.message.startsWith('Vitest failed to')) {
    return thrownError(`${shown}: a vitest test file, not a scenario module (vitest's test() runs only under vitest: run this file with vitest)`, error, shown, cwd, false);
  }
  return thrownError(`${shown}: threw while being imported`, error, shown, cwd);
}

/**
 * `<what>: <Name>: <message>` (only `<what>` when `withMessage` is false), with the stack and a code frame at
 * the first frame in the user's code.
 */
function thrownError(what: string, error: unknown, shown: string, cwd: string, withMessage = true): LoadError {
  if (!(error instanceof Error)) return new LoadError(`${what}: ${String(error)}`, shown, { cause: error });
  // Frames of rewritten modules name the rewritten columns: moved back to the columns as written first.
  const stack = typeof error.stack === 'string' ? cleanStack(mapStackTrace(error.stack), cwd) : undefined;
  const position = stack ? firstUserFrame(stack) : undefined;
  return new LoadError(withMessage ? `${what}: ${error.name}: ${firstLine(error.message)}` : what, shown, {
    position,
    frame: position && frameAt(position, cwd),
    stack,
    cause: error,
  });
}

/**
 * Syntax errors come from three places, each with its position in its own form: racecheck's rewriter
 * (InstrumentSyntaxError: fields, 1-based), tsx's esbuild when it compiles CommonJS TypeScript (the message
 * `file:line:column: ERROR: text`, 0-based column; the error crosses the loader thread without its fields)
 * and Node itself for modules that are not instrumented (the stack starts `url:line`, then the line and a caret).
 */
function syntaxErrorPosition(error: unknown, cwd: string): { position: SourcePosition; reason: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const fields = error as Error & { code?: unknown; file?: unknown; line?: unknown; column?: unknown; reason?: unknown };
  if (fields.code === 'RACECHECK_SYNTAX' && typeof fields.file === 'string' && typeof fields.line === 'number' && typeof fields.column === 'number') {
    return { position: { file: displayPath(fields.file, cwd), line: fields.line, column: fields.column }, reason: String(fields.reason ?? error.message) };
  }
  if (error.name === 'TransformError' || error.message.startsWith('Transform failed with')) {
    const esbuild = /^(.+?):(\d+):(\d+): ERROR: (.*)$/m.exec(error.message);
    if (esbuild) {
      return { position: { file: displayPath(esbuild[1]!, cwd), line: Number(esbuild[2]), column: Number(esbuild[3]) + 1 }, reason: esbuild[4]! };
    }
  }
  if (error.name === 'SyntaxError' && typeof error.stack === 'string') {
    const [head, , caret] = error.stack.split('\n');
    const where = head ? /^(file:\/\/\S+|\/\S+):(\d+)$/.exec(head) : null;
    if (where) {
      const column = caret && caret.includes('^') ? caret.indexOf('^') + 1 : 1;
      return { position: { file: displayPath(where[1]!, cwd), line: Number(where[2]), column }, reason: firstLine(error.message) };
    }
  }
  return undefined;
}

/**
 * The stack as a user wants to read it: paths relative to cwd, and without Node's module loader or
 * racecheck's own frames (they only say that racecheck imported the module).
 */
export function cleanStack(stack: string, cwd: string): string {
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((line) => /^\s+at /.test(line));
  if (firstFrame === -1) return stack;
  const frames = lines
    .slice(firstFrame)
    .filter((line) => !/\(?node:internal\//.test(line) && !OWN_FRAMES.some((own) => line.includes(own)))
    .map((line) => line.replace(/(file:\/\/[^\s):]+|\/[^\s():]+)(?=:\d+:\d+)/g, (file) => displayPath(file, cwd)));
  return [...lines.slice(0, firstFrame), ...frames].join('\n');
}

/** The first frame that is in a file of the project (not node_modules), as a position. */
function firstUserFrame(stack: string): SourcePosition | undefined {
  for (const line of stack.split('\n')) {
    const frame = /^\s+at (?:.*\()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (!frame) continue;
    const file = frame[1]!;
    if (file.startsWith('node:') || file.includes('node_modules/') || path.isAbsolute(file)) continue;
    return { file, line: Number(frame[2]), column: Number(frame[3]) };
  }
  return undefined;
}

function frameAt(position: SourcePosition, cwd: string): string | undefined {
  try {
    return formatCodeFrame(readFileSync(path.resolve(cwd, position.file), 'utf8'), position.line, position.column);
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
