import MagicString, { type SourceMap } from 'magic-string';
import type { ShiftRow } from '../instrument/abi.js';

/**
 * The source map of the await rewrite, for Vite to compose with the maps of the transforms before and
 * after it. `rewriteAwaits` only inserts text, never a line break, and says where (its `shifts`: how many
 * characters it put before which column of which line); the inserted text is read off the rewritten code
 * there, the same insertions are made on a MagicString of the original, and its map is the answer once
 * the result equals the rewritten code byte for byte. Should it not (a rewrite that also replaced
 * something), the lines are aligned token by token instead, which is still exact in lines.
 */
export function rewriteSourceMap(original: string, rewritten: string, shifts: readonly ShiftRow[], file: string): SourceMap {
  const insertions = insertionsOf(original, rewritten, shifts);
  const edited = new MagicString(original);
  if (insertions) for (const [offset, text] of insertions) edited.appendLeft(offset, text);
  else alignLines(edited, original, rewritten);
  return edited.generateMap({ source: file, includeContent: true, hires: 'boundary' });
}

type Insertion = readonly [offset: number, text: string];

/** The rewrite's insertions as offsets in the original and their text, if they account for all of `rewritten`. */
export function insertionsOf(original: string, rewritten: string, shifts: readonly ShiftRow[]): Insertion[] | undefined {
  const from = lineStarts(original);
  const to = lineStarts(rewritten);
  if (from.length !== to.length) return undefined;
  const insertions: Insertion[] = [];
  const sorted = [...shifts].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let line = 0;
  let shifted = 0;
  for (const [rowLine, column, length] of sorted) {
    if (rowLine !== line) {
      line = rowLine;
      shifted = 0;
    }
    const start = to[line - 1];
    const offset = from[line - 1];
    if (start === undefined || offset === undefined) return undefined;
    const generated = start + column - 1 + shifted;
    insertions.push([offset + column - 1, rewritten.slice(generated, generated + length)]);
    shifted += length;
  }
  let rebuilt = '';
  let last = 0;
  for (const [offset, text] of insertions) {
    rebuilt += original.slice(last, offset) + text;
    last = offset;
  }
  rebuilt += original.slice(last);
  return rebuilt === rewritten ? insertions : undefined;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * Each line of the original matched, token by token (words, runs of spaces, single characters), as a
 * subsequence of the same line of the rewritten text; what is left over is inserted. A line that is not
 * one (something was removed) is replaced whole, so its map is exact in the line only.
 */
function alignLines(edited: MagicString, original: string, rewritten: string): void {
  const before = original.split('\n');
  const after = rewritten.split('\n');
  if (before.length !== after.length) throw new Error('racecheck: the rewrite changed the number of lines, so no source map can be made');
  let offset = 0;
  before.forEach((line, index) => {
    const target = after[index]!;
    const insertions = alignLine(line, target);
    if (insertions) for (const [column, text] of insertions) edited.appendLeft(offset + column, text);
    else if (line.length > 0) edited.overwrite(offset, offset + line.length, target);
    else edited.appendLeft(offset, target);
    offset += line.length + 1;
  });
}

const TOKEN = /[\w$]+|\s+|[^\w$\s]/g;

function alignLine(line: string, target: string): Insertion[] | undefined {
  const from = [...line.matchAll(TOKEN)];
  const to = [...target.matchAll(TOKEN)];
  const insertions: Insertion[] = [];
  let j = 0;
  for (const token of from) {
    let skipped = '';
    while (j < to.length && to[j]![0] !== token[0]) skipped += to[j++]![0];
    if (j === to.length) return undefined;
    if (skipped) insertions.push([token.index, skipped]);
    j++;
  }
  const rest = to
    .slice(j)
    .map((token) => token[0])
    .join('');
  if (rest) insertions.push([line.length, rest]);
  return insertions;
}
