import MagicString, { type SourceMap } from 'magic-string';

/**
 * The source map of the await rewrite, for Vite to compose with the maps of the other transforms.
 *
 * `rewriteAwaits` only inserts text (`__rc$.a(` before an awaited expression, `,__rcS$[i])` after it, a
 * preamble after the directives) and never adds a line break; it returns the new text, not its edits. So
 * the edits are recovered from the two texts: every piece of inserted code names the runtime's locals
 * (`__rc$`, `__rcS$`), which user code cannot use (the preamble declares them). The same insertions are
 * applied to a MagicString of the original and the result must equal the rewritten text byte for byte
 * before its map is trusted; otherwise (a rewrite of another shape) the map is aligned character by
 * character, line by line, which is still exact in lines.
 */
export function rewriteSourceMap(original: string, rewritten: string, file: string): SourceMap {
  const edited = new MagicString(original);
  const insertions = findInsertions(original, rewritten);
  if (insertions) for (const [offset, text] of insertions) edited.appendLeft(offset, text);
  else alignLines(edited, original, rewritten);
  return edited.generateMap({ source: file, includeContent: true, hires: 'boundary' });
}

type Insertion = readonly [offset: number, text: string];

const RUNTIME_LOCAL = /__rcS?\$/g;
const CALL_OPEN = /^__rc\$\.\w+\(/;
const CALL_CLOSE = /^,__rcS\$\[\d+\]\)/;
const PREAMBLE_OPEN = /^var __rc\$=[^;]*?__rc\$\.\w+\(/;

/** The insertions of the known shapes, or undefined if removing them does not give back the original. */
export function findInsertions(original: string, rewritten: string): Insertion[] | undefined {
  const insertions: Insertion[] = [];
  let removed = 0;
  let kept = '';
  let from = 0;
  RUNTIME_LOCAL.lastIndex = 0;
  for (let match = RUNTIME_LOCAL.exec(rewritten); match; match = RUNTIME_LOCAL.exec(rewritten)) {
    const block = blockAt(rewritten, match.index);
    if (!block) return undefined;
    const [start, end] = block;
    if (start < from) return undefined;
    kept += rewritten.slice(from, start);
    insertions.push([start - removed, rewritten.slice(start, end)]);
    removed += end - start;
    from = end;
    RUNTIME_LOCAL.lastIndex = end;
  }
  kept += rewritten.slice(from);
  return kept === original ? insertions : undefined;
}

/** The inserted block that a runtime local at `index` belongs to: [start, end) in the rewritten text. */
function blockAt(text: string, index: number): [number, number] | undefined {
  const close = index > 0 ? CALL_CLOSE.exec(text.slice(index - 1, index + 40)) : null;
  if (close) return [index - 1, index - 1 + close[0].length];
  if (text.startsWith('var ', index - 4)) {
    const open = PREAMBLE_OPEN.exec(text.slice(index - 4, index + 200));
    if (!open) return undefined;
    const end = callEnd(text, index - 4 + open[0].length);
    return end === undefined ? undefined : [index - 4, end];
  }
  const open = CALL_OPEN.exec(text.slice(index, index + 40));
  return open ? [index, index + open[0].length] : undefined;
}

/** The end of the preamble's call: its JSON arguments, then `);`. */
function callEnd(text: string, argsStart: number): number | undefined {
  let i = argsStart;
  let depth = 0;
  for (; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (char === '[' || char === '{') depth++;
    else if (char === ']' || char === '}') depth--;
    else if (char === ')' && depth === 0) break;
    else if (char === '\n') return undefined;
  }
  return text[i] === ')' && text[i + 1] === ';' ? i + 2 : undefined;
}

/**
 * Edits that turn `original` into `rewritten` when the known shapes did not account for the difference:
 * each line of the original is matched, token by token (words, runs of spaces, single characters), as a
 * subsequence of the same line of the rewritten text, and what is left over is inserted. A line that is
 * not one (something was removed) is replaced whole, so its map is exact in the line only. Both texts
 * have the same number of lines, as every rewrite racecheck makes keeps them.
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
  const rest = to.slice(j).map((token) => token[0]).join('');
  if (rest) insertions.push([line.length, rest]);
  return insertions;
}
