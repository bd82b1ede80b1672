/**
 * Where in the user's code something happened, read off a stack: the first frame that is neither Node's
 * nor racecheck's own (nor, when there is one further out, a package's). Stacks are source-mapped where
 * Node maps them (tsx turns that on), so TypeScript lines are the ones written; the columns the rewrite
 * shifted are mapped back through the shifts each rewritten module registers (instrument/positions.ts).
 */
import { readFileSync } from 'node:fs';
import { findSourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { originalPosition } from '../instrument/positions.js';
import { displayPath } from '../paths.js';
import { isInstrumentedFile } from '../scheduler/runtime.js';
import { captureCallSites, type SiteRef } from '../site.js';

/** racecheck's own code: its sources, its build, and the packages it publishes. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OWN = [path.join(ROOT, 'src') + path.sep, path.join(ROOT, 'dist') + path.sep, path.join(ROOT, 'packages') + path.sep];
const OWN_PACKAGES = [`${path.sep}node_modules${path.sep}racecheck${path.sep}`, `${path.sep}node_modules${path.sep}@racecheck${path.sep}`];

/** The scheduler and the recorder themselves: frames of theirs sit between a call and whoever made it. */
const MACHINERY = ['src', 'dist'].flatMap((dir) => ['scheduler', 'explain'].map((part) => path.join(ROOT, dir, part) + path.sep));

export interface Frame {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function isOwnFile(file: string): boolean {
  return OWN.some((dir) => file.startsWith(dir)) || OWN_PACKAGES.some((dir) => file.includes(dir));
}

function isPackageFile(file: string): boolean {
  return file.includes(`${path.sep}node_modules${path.sep}`);
}

/**
 * The frame a report should name: the first in the user's code (a package the user had instrumented with
 * `include` counts: its awaits are the ones the report names), else the first in a package, else none.
 */
export function userFrame(frames: readonly Frame[]): Frame | undefined {
  let library: Frame | undefined;
  for (const frame of frames) {
    if (frame.file.startsWith('node:') || isOwnFile(frame.file)) continue;
    if (!isPackageFile(frame.file) || isInstrumentedFile(frame.file)) return frame;
    library ??= frame;
  }
  return library;
}

/**
 * The user's frame of the current call stack. Costs a stack capture: only the recording replay calls it.
 * The frames are read as call sites, not as text, and mapped through the module's source map here: a test
 * runner that formats stacks its own way (vitest does) cannot make them name the compiled code.
 */
export function callerFrame(): Frame | undefined {
  return userFrame(currentFrames(callerFrame));
}

/** The frames of the current stack above `skip`, source-mapped, innermost first. */
function currentFrames(skip: Function): Frame[] {
  const sites = captureCallSites(skip, 30);
  const prepared = runnerPositions(sites);
  const frames: Frame[] = [];
  sites.forEach((site, index) => {
    const name = site.getFileName();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (!name || line === null || column === null) return;
    const byRunner = prepared?.[index];
    if (byRunner && (byRunner.line !== line || byRunner.column !== column)) frames.push(byRunner);
    else frames.push(name.startsWith('node:') ? { file: name, line, column } : mapped(name, line, column));
  });
  return frames;
}

/**
 * The positions a test runner's own stack formatting gives the frames, one per call site: vitest's module
 * runner evaluates the TypeScript it compiled and maps its stacks through its own source maps, which Node's
 * findSourceMap does not know. It installs them as Error.prepareStackTrace; undefined when nothing did, or
 * when what it wrote does not line up with the frames.
 */
function runnerPositions(sites: readonly NodeJS.CallSite[]): (Frame | undefined)[] | undefined {
  const prepare = Error.prepareStackTrace;
  if (prepare === undefined || sites.length === 0) return undefined;
  let text: unknown;
  try {
    text = prepare(new Error(), sites as NodeJS.CallSite[]);
  } catch {
    return undefined;
  }
  if (typeof text !== 'string') return undefined;
  const lines = text.split('\n').filter((line) => /^\s+at /.test(line));
  if (lines.length !== sites.length) return undefined;
  return lines.map((line) => {
    const where = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!where) return undefined;
    const file = where[1]!.startsWith('file://') ? (safePath(where[1]!) ?? where[1]!) : where[1]!;
    return { file, line: Number(where[2]), column: Number(where[3]) };
  });
}

/** A generated position through the module's source map (tsx's), when Node keeps one for it. */
export function mapped(name: string, line: number, column: number): Frame {
  const file = name.startsWith('file://') ? (safePath(name) ?? name) : name;
  let map: ReturnType<typeof findSourceMap> | undefined;
  try {
    map = findSourceMap(name) ?? (file !== name ? findSourceMap(file) : undefined);
  } catch {
    map = undefined;
  }
  const entry = map?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
  if (!entry || entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return { file, line, column };
  const source = entry.originalSource.startsWith('file://') ? (safePath(entry.originalSource) ?? file) : path.isAbsolute(entry.originalSource) ? entry.originalSource : file;
  return { file: source, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
}

/**
 * Whether the code that called into the scheduler just now (say, to create a timer) is the user's own:
 * not racecheck's primitives, not a package, not Node's internals. A callback a library schedules runs on
 * behalf of whoever called the library; one the user's code schedules is code of its own.
 */
export function calledFromUserCode(): boolean {
  for (const frame of currentFrames(calledFromUserCode)) {
    if (MACHINERY.some((dir) => frame.file.startsWith(dir))) continue;
    return !frame.file.startsWith('node:') && !isOwnFile(frame.file) && !isPackageFile(frame.file);
  }
  return false;
}

const sources = new Map<string, readonly string[] | null>();

/** A line of a file as written, or '' when it cannot be read. */
export function sourceLine(file: string, line: number): string {
  let lines = sources.get(file);
  if (lines === undefined) {
    try {
      lines = readFileSync(file, 'utf8').split(/\r?\n|\r|\u2028|\u2029/);
    } catch {
      lines = null;
    }
    sources.set(file, lines);
  }
  const text = lines?.[line - 1] ?? '';
  return text.length <= 240 ? text : `${text.slice(0, 239)}…`;
}

export function siteOf(frame: Frame): SiteRef {
  const { line, column } = originalPosition(frame.file, frame.line, frame.column);
  return { file: displayPath(frame.file), line, column, text: sourceLine(frame.file, line) };
}

/** A module URL (or path) as a path on disk. */
export function fileOf(url: string): string {
  return url.startsWith('file:') ? (safePath(url) ?? url) : url;
}

function safePath(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}
