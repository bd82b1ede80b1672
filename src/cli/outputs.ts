import { realpathSync, statSync } from 'node:fs';
import { mkdir, writeFile, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtinReporters, isBuiltinReporter, toReporterDefinition, type ReporterContext, type ReporterDefinition } from '../report/registry.js';
import type { Reporter } from '../report/types.js';
import { UsageError } from './errors.js';

/** The streams of the process around the CLI; `isTTY` and `columns` as Node's own streams have them. */
export type OutStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** A report that could not be written: one line for stderr. */
export class ReportWriteError extends Error {
  readonly code = 'RACECHECK_REPORT_WRITE';
}

export interface OutputSettings {
  /** `name` or `name:file`, as given to --reporter (or the config's `reporter`). */
  readonly reporters: readonly string[];
  readonly output: string | undefined;
  readonly cwd: string;
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Outputs {
  readonly reporters: readonly Reporter[];
  /** Whether a stream reporter (pretty) writes to the terminal: if not, what could not run is said on stderr. */
  readonly terminalReport: boolean;
  /** Stops watching the streams. */
  dispose(): void;
  /** The first reporter that threw: the others went on; a built-in one throwing is racecheck's bug. */
  brokenReporter(): { readonly label: string; readonly builtin: boolean; readonly error: unknown } | undefined;
  /** After the last reporter wrote: the first report that could not be written, as an error, or undefined. */
  failure(): ReportWriteError | undefined;
}

interface Planned {
  readonly label: string;
  readonly definition: ReporterDefinition;
  readonly file: string | undefined;
}

/**
 * Decides where each reporter writes and checks, before anything runs, that it can: document reporters
 * (json, junit, ...) go to their own file, to --output, or to stdout; at most one may take stdout, and then
 * the pretty report moves to stderr so that stdout stays parseable. Two reporters may not share a file.
 * Every write is watched: one that fails (a full disk, a closed pipe other than a reader that went away)
 * makes `failure()` say so.
 */
export async function createOutputs(settings: OutputSettings): Promise<Outputs> {
  const planned: Planned[] = [];
  for (const spec of settings.reporters) planned.push(await resolveReporter(spec, settings.cwd));
  if (planned.length === 0) planned.push({ label: 'pretty', definition: builtinReporters.pretty, file: undefined });

  const documents = planned.filter((p) => p.definition.output === 'document');
  const withoutFile = documents.filter((p) => p.file === undefined);
  if (settings.output !== undefined) {
    if (withoutFile.length !== 1) {
      throw new UsageError(
        withoutFile.length === 0
          ? '--output needs a document reporter without a file of its own (--reporter json or junit) to write'
          : '--output fits one document reporter; give each its own file with --reporter name:file',
      );
    }
  } else if (withoutFile.length > 1) {
    throw new UsageError(`${withoutFile.map((p) => p.label).join(' and ')} cannot both write to stdout; give one a file with --reporter name:file or --output`);
  }
  const targets = planned.map((p) => ({ ...p, file: p.file ?? (p.definition.output === 'document' ? settings.output : undefined) }));
  checkDistinctFiles(targets, settings.cwd);
  for (const target of targets) if (target.file !== undefined) await checkWritable(target.file, target.label, settings.cwd);

  const documentOnStdout = targets.some((t) => t.definition.output === 'document' && t.file === undefined);
  const stdout = guard(settings.stdout, 'stdout');
  const stderr = guard(settings.stderr, 'stderr');
  const failures: ReportWriteError[] = [];
  const broken: { label: string; builtin: boolean; error: unknown }[] = [];
  const reporters = await Promise.all(targets.map(async (target): Promise<Reporter> => {
    const terminal = documentOnStdout ? stderr : stdout;
    const interactive = target.file === undefined && Boolean(terminal.stream.isTTY);
    const width = interactive && settings.stdout.columns ? settings.stdout.columns : Number(settings.env.COLUMNS) || 120;
    const fileStream = target.definition.output === 'stream' && target.file !== undefined ? bufferTo(target.file, settings.cwd, target.label, failures) : undefined;
    const context: ReporterContext = {
      out: (fileStream ?? terminal.proxy) as NodeJS.WritableStream,
      color: fileStream ? 0 : colorLevel(settings.env, interactive),
      interactive,
      width,
      file: target.file,
      cwd: settings.cwd,
      write: async (text) => {
        try {
          if (target.file === undefined) await stdout.writeAll(text);
          else await writeReportFile(path.resolve(settings.cwd, target.file), text);
        } catch (error) {
          failures.push(writeError(target.label, target.file, error));
        }
      },
    };
    const created = await target.definition.create(context);
    const reporter = guardReporter(created, (error) => broken.push({ label: target.label, builtin: isBuiltinReporter(target.label), error }));
    if (!fileStream) return reporter;
    return {
      ...reporter,
      onEnd: async (report) => {
        await reporter.onEnd?.(report);
        await fileStream.close();
      },
    };
  }));
  return {
    reporters,
    terminalReport: targets.some((t) => t.definition.output === 'stream' && t.file === undefined),
    brokenReporter: () => broken[0],
    dispose: () => {
      stdout.dispose();
      stderr.dispose();
    },
    failure: () => {
      const streamFailure = (documentOnStdout ? stderr : stdout).failure;
      if (streamFailure) failures.push(writeError('pretty', undefined, streamFailure, documentOnStdout ? 'stderr' : 'stdout'));
      return failures[0];
    },
  };
}

/**
 * A reporter whose hooks cannot stop the others: what one throws is kept for the end (one broken reporter
 * must not lose the report the others write), and that reporter is called no more.
 */
function guardReporter(reporter: Reporter, onThrow: (error: unknown) => void): Reporter {
  let broken = false;
  const guarded: Reporter = {};
  const fail = (error: unknown) => {
    broken = true;
    onThrow(error);
  };
  for (const hook of ['onStart', 'onFileStart', 'onScenarioStart', 'onProgress', 'onScenarioEnd'] as const) {
    const call = reporter[hook] as ((arg: unknown) => void) | undefined;
    if (!call) continue;
    (guarded as Record<string, unknown>)[hook] = (arg: unknown) => {
      if (broken) return;
      try {
        call.call(reporter, arg);
      } catch (error) {
        fail(error);
      }
    };
  }
  if (reporter.onEnd) {
    const onEnd = reporter.onEnd;
    guarded.onEnd = async (report) => {
      if (broken) return;
      try {
        await onEnd.call(reporter, report);
      } catch (error) {
        fail(error);
      }
    };
  }
  return guarded;
}

/** A built-in name, or the path of a module that default-exports a reporter; with `:file` after it, where it writes. */
async function resolveReporter(spec: string, cwd: string): Promise<Planned> {
  // A module's path may hold ':' only after its extension: `./my-reporter.mjs:out.txt`.
  const module = /^(?:\.{1,2}\/|\/)?[^:]*?\.(?:mjs|mts|cjs|js|ts)(?=:|$)/.exec(spec);
  const looksLikePath = module !== null || /^(\.{1,2}\/|\/)/.test(spec);
  const split = module ? (module[0].length < spec.length ? module[0].length : -1) : spec.indexOf(':');
  const name = split === -1 ? spec : spec.slice(0, split);
  const file = split === -1 ? undefined : spec.slice(split + 1);
  if (isBuiltinReporter(name)) return { label: name, definition: builtinReporters[name], file };
  if (!looksLikePath) {
    throw new UsageError(`--reporter ${spec}: unknown reporter "${name}" (expected ${Object.keys(builtinReporters).join(', ')}, or the path of a reporter module such as ./my-reporter.mjs)`);
  }
  const absolute = path.resolve(cwd, name);
  let namespace: Record<string, unknown>;
  try {
    if (/\.m?ts$/.test(absolute)) {
      const { tsImport } = await import('tsx/esm/api');
      namespace = (await tsImport(pathToFileURL(absolute).href, import.meta.url)) as Record<string, unknown>;
    } else {
      namespace = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
    }
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
    throw new UsageError(`--reporter ${name}: could not be loaded: ${reason}`);
  }
  const definition = toReporterDefinition(namespace.default);
  if (!definition) throw new UsageError(`--reporter ${name}: its default export must be defineReporter({ output, create }) or a function that creates a reporter`);
  return { label: name, definition, file };
}

function checkDistinctFiles(targets: readonly { label: string; file: string | undefined }[], cwd: string): void {
  const seen = new Map<string, string>();
  for (const target of targets) {
    if (target.file === undefined) continue;
    const key = canonical(path.resolve(cwd, target.file));
    const other = seen.get(key);
    if (other !== undefined) throw new UsageError(`${other} and ${target.label} would both write to ${target.file}; give each reporter its own file`);
    seen.set(key, target.label);
  }
}

/** The path with symbolic links resolved as far as it exists, so that two spellings of one file compare equal. */
function canonical(file: string): string {
  let existing = file;
  const rest: string[] = [];
  while (existing !== path.dirname(existing)) {
    try {
      return path.join(realpathSync(existing), ...rest);
    } catch {
      rest.unshift(path.basename(existing));
      existing = path.dirname(existing);
    }
  }
  return file;
}

/** Fails early, with the reason, for a target that is a directory or whose directory cannot be written. */
async function checkWritable(file: string, label: string, cwd: string): Promise<void> {
  const absolute = path.resolve(cwd, file);
  const info = statOrUndefined(absolute);
  if (info?.isDirectory()) throw new UsageError(`cannot write the ${label} report to ${file}: it is a directory`);
  if (info) {
    try {
      await access(absolute, constants.W_OK);
    } catch (error) {
      throw new UsageError(writeError(label, file, error).message);
    }
    return;
  }
  let ancestor = path.dirname(absolute);
  while (!statOrUndefined(ancestor) && ancestor !== path.dirname(ancestor)) ancestor = path.dirname(ancestor);
  const parent = statOrUndefined(ancestor);
  if (parent && !parent.isDirectory()) throw new UsageError(`cannot write the ${label} report to ${file}: ${ancestor} is not a directory`);
  try {
    await access(ancestor, constants.W_OK);
  } catch (error) {
    throw new UsageError(writeError(label, file, error).message);
  }
}

async function writeReportFile(absolute: string, text: string): Promise<void> {
  await mkdir(path.dirname(absolute), { recursive: true });
  await writeFile(absolute, text);
}

function writeError(label: string, file: string | undefined, error: unknown, where = file ?? 'stdout'): ReportWriteError {
  const code = (error as { code?: string }).code;
  const reason = REASONS[code ?? ''] ?? (error instanceof Error ? error.message.replace(/^\w+: /, '') : String(error));
  return new ReportWriteError(`cannot write the ${label} report to ${where}: ${reason}${code ? ` (${code})` : ''}`);
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'no such file or directory',
  EBADF: 'the stream is closed',
};

function statOrUndefined(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

interface Guarded {
  readonly stream: OutStream;
  /** What reporters write to: the stream, with its failures caught instead of thrown. */
  readonly proxy: { write(text: string): boolean; isTTY?: boolean; columns?: number };
  writeAll(text: string): Promise<void>;
  readonly failure: Error | undefined;
  dispose(): void;
}

/**
 * A stream whose write errors are kept rather than thrown: stdout redirected to a file writes synchronously
 * and throws (a full disk), a pipe reports errors as events. A reader that went away (EPIPE) is not a
 * failure: `racecheck | head` is fine, and the exit code still says what racecheck found.
 */
function guard(stream: OutStream, name: string): Guarded {
  let failure: Error | undefined;
  let broken = false;
  const note = (error: unknown) => {
    if ((error as { code?: string }).code === 'EPIPE') {
      broken = true;
      return;
    }
    failure ??= error instanceof Error ? error : new Error(`${name}: ${String(error)}`);
    broken = true;
  };
  stream.on('error', note);
  const write = (text: string, done?: (error?: Error | null) => void): boolean => {
    if (broken) {
      done?.();
      return false;
    }
    try {
      return stream.write(text, (error) => {
        if (error) note(error);
        done?.(error);
      });
    } catch (error) {
      note(error);
      done?.(error as Error);
      return false;
    }
  };
  return {
    stream,
    proxy: {
      write: (text: string) => write(text),
      get isTTY() {
        return stream.isTTY;
      },
      get columns() {
        return stream.columns;
      },
    },
    writeAll: (text) =>
      new Promise((resolve, reject) => {
        write(text, (error) => (error && (error as { code?: string }).code !== 'EPIPE' ? reject(error) : resolve()));
      }),
    get failure() {
      return failure;
    },
    dispose: () => void stream.off('error', note),
  };
}

/** A stream reporter given a file: what it writes is collected and written once it ends. */
function bufferTo(file: string, cwd: string, label: string, failures: ReportWriteError[]) {
  const chunks: string[] = [];
  return {
    write: (text: string) => {
      chunks.push(text);
      return true;
    },
    close: async () => {
      try {
        await writeReportFile(path.resolve(cwd, file), chunks.join(''));
      } catch (error) {
        failures.push(writeError(label, file, error));
      }
    },
  };
}

/** NO_COLOR wins; FORCE_COLOR forces (its number is the level); otherwise colour only on a terminal. */
export function colorLevel(env: Readonly<Record<string, string | undefined>>, interactive: boolean): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const forced = env.FORCE_COLOR;
  if (forced !== undefined) {
    if (forced === '0' || forced === 'false') return 0;
    const level = Number(forced);
    return level >= 1 && level <= 3 ? (level as 1 | 2 | 3) : 1;
  }
  if (!interactive) return 0;
  return env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit' ? 3 : 2;
}
