/**
 * Column shifts: the rewrite inserts text (`__rc$.a(` before an operand, `,__rcS$[3])` after it, the
 * preamble on the first line) but never a line break, so a position in the running module differs from the
 * source as loaded only in its column, by the lengths of the insertions before it on its line. Each
 * rewritten module registers its insertions through its preamble (abi.ts `s`), and `mapStackTrace` turns
 * the frames of an error thrown in instrumented code back into positions in the source as written.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModuleShifts, ShiftRow } from './abi.js';

/** An insertion, in the coordinates of the text as loaded (1-based line and column). */
export interface Insertion {
  readonly line: number;
  readonly column: number;
  readonly length: number;
}

/** Sorted rows, one per (line, column), lengths of insertions at the same place added up. */
export function createShiftRows(insertions: Iterable<Insertion>): ShiftRow[] {
  const sorted = [...insertions].filter((insertion) => insertion.length > 0).sort((a, b) => a.line - b.line || a.column - b.column);
  const rows: [number, number, number][] = [];
  for (const { line, column, length } of sorted) {
    const last = rows[rows.length - 1];
    if (last && last[0] === line && last[1] === column) last[2] += length;
    else rows.push([line, column, length]);
  }
  return rows;
}

/**
 * `rows` (from createShiftRows) with one more insertion, as createShiftRows would have made them with it:
 * the rewrite's preamble, whose length is found by trying, is added to rows sorted once.
 */
export function addShiftRow(rows: readonly ShiftRow[], { line, column, length }: Insertion): ShiftRow[] {
  const copy = rows.slice();
  if (length <= 0) return copy;
  // The first row not before the insertion; rows are few before the preamble (it is on the first lines).
  let at = 0;
  while (at < copy.length && (copy[at]![0] < line || (copy[at]![0] === line && copy[at]![1] < column))) at++;
  const found = copy[at];
  if (found && found[0] === line && found[1] === column) copy[at] = [line, column, found[2] + length];
  else copy.splice(at, 0, [line, column, length]);
  return copy;
}

/** Per line, the rows of that line in column order. */
function byLine(rows: readonly ShiftRow[]): Map<number, ShiftRow[]> {
  const lines = new Map<number, ShiftRow[]>();
  for (const row of rows) {
    const onLine = lines.get(row[0]);
    if (onLine) onLine.push(row);
    else lines.set(row[0], [row]);
  }
  for (const onLine of lines.values()) onLine.sort((a, b) => a[1] - b[1]);
  return lines;
}

export interface ColumnMap {
  /**
   * The column, in the source as loaded, of a 1-based column of the rewritten code. A column inside
   * inserted text (a frame in racecheck's own call) maps to the character the text was inserted before.
   */
  toOriginal(line: number, column: number): number;
  /** The column in the rewritten code of the character at an original column. */
  toGenerated(line: number, column: number): number;
}

export function createColumnMap(rows: readonly ShiftRow[]): ColumnMap {
  const lines = byLine(rows);
  // For toGenerated, per line: the insertion columns and the shift up to and including each. A minified
  // line holds thousands of insertions and its source map as many segments, each of which is looked up.
  const totals = new Map<number, { readonly at: Int32Array; readonly shift: Float64Array }>();
  const totalsOf = (line: number) => {
    let found = totals.get(line);
    if (!found) {
      const onLine = lines.get(line) ?? [];
      const at = new Int32Array(onLine.length);
      const shift = new Float64Array(onLine.length);
      let sum = 0;
      onLine.forEach(([, column, length], index) => {
        at[index] = column;
        shift[index] = sum += length;
      });
      found = { at, shift };
      totals.set(line, found);
    }
    return found;
  };
  return {
    toOriginal(line, column) {
      let shift = 0;
      for (const [, at, length] of lines.get(line) ?? []) {
        const generatedStart = at + shift;
        if (column < generatedStart) break;
        if (column < generatedStart + length) return at;
        shift += length;
      }
      return column - shift;
    },
    toGenerated(line, column) {
      // The shift of the insertions at or before `column`: the last one whose column is not after it.
      const { at, shift } = totalsOf(line);
      let low = 0;
      let high = at.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if ((at[mid] ?? 0) <= column) low = mid + 1;
        else high = mid;
      }
      return column + (low > 0 ? (shift[low - 1] ?? 0) : 0);
    },
  };
}

interface Registered {
  readonly columns: ColumnMap;
  readonly mapped: boolean;
}

/** One registry per thread, even when racecheck's modules are loaded twice (from src and from dist). */
const registry: Map<string, Registered> = (() => {
  const slot = Symbol.for('racecheck.column-shifts');
  const store = globalThis as Record<symbol, unknown>;
  return (store[slot] ??= new Map<string, Registered>()) as Map<string, Registered>;
})();

/** Called by the runtime when a rewritten module's preamble registers it. */
export function registerColumnShifts(url: string, shifts: ModuleShifts | undefined): void {
  if (!shifts) return;
  registry.set(url, { columns: createColumnMap(shifts.rows), mapped: shifts.mapped === true });
}

/**
 * Where a position of a rewritten module (`url` as loaded: a file: URL, or an absolute path for
 * CommonJS) lies in the source as loaded. Positions of modules that were not rewritten come back as they are.
 * When Node applies source maps to stack traces (`process.sourceMapsEnabled`) and the module carried one,
 * its frames already name original positions and are left alone too.
 */
export function originalPosition(url: string, line: number, column: number): { line: number; column: number } {
  const entry = registry.get(toUrl(url));
  if (!entry || (entry.mapped && process.sourceMapsEnabled)) return { line, column };
  return { line, column: entry.columns.toOriginal(line, column) };
}

/** ` at fn (location:line:column)` or ` at location:line:column`; the location is everything up to the numbers. */
const FRAME = /^(\s*at (?:.*\()?)(.+?):(\d+):(\d+)(\)?)$/;

/** Rewrites every stack frame of a rewritten module to its column in the source as written; other lines are kept. */
export function mapStackTrace(stack: string): string {
  if (registry.size === 0) return stack;
  return stack
    .split('\n')
    .map((text) => {
      const frame = FRAME.exec(text);
      if (!frame) return text;
      const [, head, location, line, column, tail] = frame as unknown as [string, string, string, string, string, string];
      const mapped = originalPosition(location, Number(line), Number(column));
      return `${head}${location}:${mapped.line}:${mapped.column}${tail}`;
    })
    .join('\n');
}

function toUrl(location: string): string {
  if (location.startsWith('file:')) return location;
  return path.isAbsolute(location) ? pathToFileURL(location).href : location;
}
