/**
 * A TypeError's message as the code was written. V8 words some of them from the code it runs (`x.y is not a
 * function`), and in rewritten code that is `__rc$.v(...).y` where the rewrite wrapped a tracked read, or
 * `__rc$.fa(...)` around a `for await`'s operand. The wrapper cannot be left out (a read must hand the program
 * what the tracker gives, an array's proxy), and V8 prints a call for it whatever it is named, so the report
 * maps the message back: each module registers where such messages can come from (abi.ts PrintRow), and the
 * error's first frame says which applies. The program itself still sees V8's message (docs/scheduling.md).
 */
import { findSourceMap } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PrintRow } from './abi.js';
import { originalPosition } from './positions.js';

interface Registered {
  /** By line of the code as loaded, and by the line a source map gives (under the URL it gives). */
  readonly rows: PrintRow[];
  readonly mapped: boolean;
}

/** One registry per thread, like the column shifts' (racecheck may be loaded twice: from src and from dist). */
const registry: Map<string, Map<number, Registered[]>> = (() => {
  const slot = Symbol.for('racecheck.print-rows');
  const store = globalThis as Record<symbol, unknown>;
  return (store[slot] ??= new Map<string, Map<number, Registered[]>>()) as Map<string, Map<number, Registered[]>>;
})();

function add(url: string, line: number, entry: Registered): void {
  let lines = registry.get(url);
  if (!lines) registry.set(url, (lines = new Map()));
  const at = lines.get(line);
  if (at) at.push(entry);
  else lines.set(line, [entry]);
}

/** Called by the runtime when a rewritten module's preamble registers it. */
export function registerPrintRows(url: string, rows: readonly PrintRow[] | undefined): void {
  if (!rows) return;
  for (const row of rows) {
    add(url, row[0], { rows: [row], mapped: false });
    const mapped = row[5];
    if (mapped) add(mapped[1] ?? url, mapped[0], { rows: [row], mapped: true });
  }
}

/** The wrappers as V8 prints them: `__rc$.v(...)` in a callee, `__rc$.v` where it names an iterable's callee. */
const TOKEN = /__rc\d*\$\.(?:v|fa)(?:\(\.\.\.\))?/g;
const NOT_ITERABLE = ' is not iterable (cannot read property Symbol(Symbol.iterator))';
const FRAME = /^\s*at (?:.*\()?(.+?):(\d+):(\d+)\)?$/m;

/**
 * The message `error` would have had in the code as written, when it is a TypeError the rewrite changed and
 * the module it was thrown in registered where; else its own message.
 */
export function nativeMessage(error: Error): string {
  let message: string;
  try {
    message = error.message;
  } catch {
    return '';
  }
  if (registry.size === 0 || !(error instanceof TypeError) || typeof message !== 'string') return message;
  const tokens = message.match(TOKEN)?.length ?? 0;
  if (tokens === 0 && !message.endsWith(NOT_ITERABLE)) return message;
  let stack: unknown;
  try {
    stack = error.stack;
  } catch {
    return message;
  }
  const frame = typeof stack === 'string' ? FRAME.exec(stack) : null;
  if (!frame) return message;
  const [, location = '', lineText = '', columnText = ''] = frame;
  const candidates = rowsAt(toUrl(location), Number(lineText), Number(columnText));
  if (!candidates) return message;
  const results = new Set<string>();
  for (const row of candidates) {
    const result = rewordWith(message, tokens, row);
    if (result !== undefined) results.add(result);
  }
  // Two places on the line that would word it differently: nothing says which, and the message stays.
  return results.size === 1 ? ([...results][0] as string) : message;
}

/**
 * The rows registered at a frame's position: as it is, else through the module's source map when Node keeps
 * one and the frame was not mapped (a test runner formats stacks its own way: tsx's compiled lines).
 */
function rowsAt(url: string, line: number, column: number): PrintRow[] | undefined {
  const direct = rowsOn(url, line, column);
  if (direct) return direct;
  let entry: { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
  try {
    entry = findSourceMap(url)?.findEntry(line - 1, column - 1) as typeof entry;
  } catch {
    return undefined;
  }
  if (entry?.originalLine === undefined || entry.originalColumn === undefined) return undefined;
  return rowsOn(entry.originalSource ? toUrl(entry.originalSource) : url, entry.originalLine + 1, entry.originalColumn + 1);
}

function rowsOn(url: string, line: number, frameColumn: number): PrintRow[] | undefined {
  const entries = registry.get(url)?.get(line);
  if (!entries) return undefined;
  // The column as loaded, for rows placed there; a source-mapped frame's column is the original code's.
  const column = originalPosition(url, line, frameColumn).column;
  const containing = entries.filter((entry) => !entry.mapped && entry.rows.some((row) => row[1] <= column && (row[2] === 0 || column <= row[2])));
  return (containing.length > 0 ? containing : entries).map((entry) => entry.rows[0] as PrintRow);
}

function rewordWith(message: string, tokens: number, row: PrintRow): string | undefined {
  const [, , , natives, direct] = row;
  if (direct === 2) {
    // `const [a] = x`: V8 words the value (`object is not iterable (cannot read …)`) unless it is a name.
    return tokens === 0 && message.endsWith(NOT_ITERABLE) && natives[0] !== undefined ? `${privatePrint(natives[0])} is not iterable` : undefined;
  }
  if (tokens !== natives.length) return undefined;
  let index = 0;
  const printed = natives.map((native) => (native.includes('[#') ? privatePrint(native) : native));
  const reworded = message.replace(TOKEN, () => printed[index++] ?? '');
  // A wrapped read is a call to V8, whose iterable is worded `f is not a function or its return value is not …`.
  return direct === 1 ? reworded.replace(`${printed[0]} is not a function or its return value is not `, `${printed[0]} is not `) : reworded;
}

/** How this V8 prints a private member (`this[#x]` in Node 20), found once by asking it. */
let privateStyle: 'bracket' | 'dot' | undefined;

/** A native print with private members in this V8's style (the rewrite writes them `owner[#name]`). */
export function privatePrint(text: string): string {
  privateStyle ??= probePrivateStyle();
  return privateStyle === 'dot' ? text.replace(/\[#([^\]]+)\]/g, '.#$1') : text;
}

function probePrivateStyle(): 'bracket' | 'dot' {
  class Probe {
    #field: unknown = 0;
    static call(probe: Probe): void {
      (probe.#field as () => void)();
    }
  }
  try {
    Probe.call(new Probe());
  } catch (error) {
    return String((error as Error).message).includes('.#field') ? 'dot' : 'bracket';
  }
  return 'bracket';
}

/** A frame's location as the URL a module registers: a test runner may print paths relative to the working directory. */
function toUrl(location: string): string {
  if (location.startsWith('file:')) return location;
  if (path.isAbsolute(location)) return pathToFileURL(location).href;
  return /^[a-z][a-z\d+.-]*:/i.test(location) ? location : pathToFileURL(path.resolve(location)).href;
}
