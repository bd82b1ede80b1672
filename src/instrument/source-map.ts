/**
 * Source maps of compiled modules: tsx's inline map on the CommonJS it compiled, and the `.map` files (or
 * inline maps) that packages compiled by tsc or Babel ship. Sites found in compiled code are mapped to
 * the source as written through them; and since the rewrite shifts columns of the compiled code, the map is
 * re-emitted for the rewritten text, so Node's own source-map support (where it is on) stays exact too.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SiteRow } from './abi.js';
import { createLineIndex, type LineIndex } from './lines.js';
import type { ColumnMap } from './positions.js';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The last `//# sourceMappingURL=` comment, alone at the end of a line, as Node and browsers read it. */
const MAP_COMMENT = /\/\/[#@][ \t]*sourceMappingURL=([^\s'"`]+)[ \t]*$/gm;
const DATA_URL = /^data:application\/json(?:;charset=[-\w]+)?(;base64)?,(.*)$/is;

interface RawMap {
  readonly version?: number;
  readonly mappings?: unknown;
  readonly sources?: readonly (string | null)[];
  readonly sourcesContent?: readonly (string | null)[];
  readonly sourceRoot?: string;
  readonly names?: readonly string[];
  readonly file?: string;
  readonly sections?: unknown;
}

export interface SourceMap {
  /** Where the map comment is in the code (replaced by `formatInline` when the code is rewritten). */
  readonly comment: { readonly start: number; readonly end: number };
  /**
   * The original site of a 1-based position of an await in the compiled code (an `await`, a lowered
   * `yield`), at the original `await` keyword, with the original line's text and, if it
   * is another file than the module, that file's URL; `null` when the map has nothing for that position or
   * the original text cannot be read.
   */
  originalSite(line: number, column: number): SiteRow | null;
  /**
   * The original 1-based position of any 1-based position in the compiled code, when it is in the module's
   * own file (a state access of TypeScript that Vite compiled); `null` otherwise. With `text` (what is
   * written there, a variable's name), at its first occurrence from the mapping's column on that line: a
   * compiler that reformats a line maps a statement, not each of its words.
   */
  originalInModule(line: number, column: number, text?: string): { readonly line: number; readonly column: number } | null;
  /**
   * A `//# sourceMappingURL=data:…` comment with this map adjusted to the rewritten code's columns
   * (`shiftedLines`: the 1-based lines that have insertions; the others keep their mappings as they are).
   */
  formatInline(columns: ColumnMap, shiftedLines: ReadonlySet<number>): string;
}

/** Where the last `//# sourceMappingURL=` comment is, and what it refers to. */
export function findMapComment(code: string): { start: number; end: number; reference: string } | undefined {
  let match: RegExpExecArray | null = null;
  for (const found of code.matchAll(MAP_COMMENT)) match = found;
  return match?.[1] ? { start: match.index, end: match.index + match[0].length, reference: match[1] } : undefined;
}

/**
 * The source map of compiled `code` (inline or in a file next to it), or undefined when it has none that can
 * be read. `comment` is its map comment, when the caller has looked for it already.
 */
export function readSourceMap(code: string, filename: string, comment = findMapComment(code)): SourceMap | undefined {
  if (!comment) return undefined;
  const moduleUrl = pathToFileURL(filename);
  const { reference } = comment;
  let raw: RawMap;
  let mapUrl: URL;
  try {
    const data = DATA_URL.exec(reference);
    if (data) {
      const text = data[1] ? Buffer.from(data[2] ?? '', 'base64').toString('utf8') : decodeURIComponent(data[2] ?? '');
      raw = JSON.parse(text) as RawMap;
      mapUrl = moduleUrl;
    } else {
      mapUrl = new URL(reference, moduleUrl);
      if (mapUrl.protocol !== 'file:') return undefined;
      raw = JSON.parse(readFileSync(fileURLToPath(mapUrl), 'utf8')) as RawMap;
    }
  } catch {
    return undefined;
  }
  if (raw.sections !== undefined || typeof raw.mappings !== 'string' || !Array.isArray(raw.sources)) return undefined;
  return createSourceMap(raw, raw.mappings, mapUrl, moduleUrl, { start: comment.start, end: comment.end });
}

function createSourceMap(raw: RawMap, mappings: string, mapUrl: URL, moduleUrl: URL, comment: SourceMap['comment']): SourceMap {
  let lines: Int32Array[] | undefined;
  const sources = (raw.sources ?? []).map((source) => resolveSource(source, raw.sourceRoot, mapUrl));
  const texts = new Map<number, LineIndex | null>();
  const textOf = (index: number): LineIndex | null => {
    if (!texts.has(index)) texts.set(index, loadSource(raw.sourcesContent?.[index], sources[index]));
    return texts.get(index) ?? null;
  };
  /**
   * The mapping segment at or before a 1-based position of the compiled code (the line's first one when the
   * column precedes them all), and how far past the segment's start the position is.
   */
  const segmentAt = (line: number, column: number) => {
    lines ??= decodeMappings(mappings);
    const onLine = lines[line - 1];
    if (!onLine || onLine.length === 0) return undefined;
    let best = 0;
    for (let i = 0; i < onLine.length; i += 4) {
      if ((onLine[i] ?? 0) > column - 1) break;
      best = i;
    }
    return { source: onLine[best + 1] ?? 0, sourceLine: onLine[best + 2] ?? 0, sourceColumn: onLine[best + 3] ?? 0, offset: column - 1 - (onLine[best] ?? 0) };
  };
  return {
    comment,
    originalInModule(line, column, text) {
      const segment = segmentAt(line, column);
      if (!segment || sources[segment.source] !== moduleUrl.href) return null;
      const { source, sourceLine, sourceColumn, offset } = segment;
      const lineText = text === undefined ? undefined : textOf(source)?.textOf(sourceLine + 1);
      const found = lineText === undefined || text === undefined ? -1 : lineText.indexOf(text, sourceColumn);
      if (found !== -1) return { line: sourceLine + 1, column: found + 1 };
      // Else past the segment's start by as many columns as the position is: a segment covers a run of text.
      return { line: sourceLine + 1, column: sourceColumn + Math.max(0, offset) + 1 };
    },
    originalSite(line, column) {
      const segment = segmentAt(line, column);
      if (!segment) return null;
      const { source, sourceLine, sourceColumn, offset } = segment;
      const text = textOf(source);
      const url = sources[source];
      if (!text || !url || sourceLine >= text.starts.length) return null;
      const lineText = text.textOf(sourceLine + 1);
      const at = awaitColumn(lineText, sourceColumn, offset) + 1;
      return url === moduleUrl.href ? [sourceLine + 1, at, lineText] : [sourceLine + 1, at, lineText, url];
    },
    formatInline(columns, shiftedLines) {
      const map = {
        version: 3,
        ...(raw.file === undefined ? {} : { file: raw.file }),
        sources,
        ...(raw.sourcesContent === undefined ? {} : { sourcesContent: raw.sourcesContent }),
        names: raw.names ?? [],
        mappings: shiftMappings(mappings, columns, shiftedLines),
      };
      return `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map), 'utf8').toString('base64')}`;
    },
  };
}

/**
 * Every site in compiled code stands for an `await` in the original, but a map need not have a segment
 * at the keyword: Babel maps ` = yield x` from the `=` before it. The keyword is then found where the
 * segment's text, copied as it was, puts it (`offset` characters into the segment), or else as the first
 * `await` at or after the mapped column; failing both, the mapped column is kept. 0-based columns.
 */
function awaitColumn(text: string, mapped: number, offset: number): number {
  const isAwait = (column: number) => /^await(?![\p{ID_Continue}$])/u.test(text.slice(column));
  if (isAwait(mapped)) return mapped;
  if (offset > 0 && isAwait(mapped + offset)) return mapped + offset;
  const after = /\bawait(?![\p{ID_Continue}$])/u.exec(text.slice(mapped));
  return after ? mapped + after.index : mapped;
}

/** Sources as absolute URLs, so the inline map that replaces an external one resolves them the same way. */
function resolveSource(source: string | null, sourceRoot: string | undefined, mapUrl: URL): string | undefined {
  if (source == null) return undefined;
  try {
    const root = sourceRoot ? (sourceRoot.endsWith('/') ? sourceRoot : `${sourceRoot}/`) : '';
    return new URL(root + source, mapUrl).href;
  } catch {
    return undefined;
  }
}

function loadSource(content: string | null | undefined, url: string | undefined): LineIndex | null {
  if (typeof content === 'string') return createLineIndex(content);
  if (!url?.startsWith('file:')) return null;
  try {
    return createLineIndex(readFileSync(fileURLToPath(url), 'utf8'));
  } catch {
    return null;
  }
}

const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) VALUE[BASE64.charCodeAt(i)] = i;
const COMMA = 44;
const SEMICOLON = 59;

/**
 * Decodes source map v3 `mappings` (base64 VLQ) into, per generated line, flat quadruples of absolute
 * values: generated column, source index, original line, original column (0-based). Segments without a
 * source are dropped; names are not needed.
 */
export function decodeMappings(mappings: string): Int32Array[] {
  const lines: Int32Array[] = [];
  let current: number[] = [];
  const state = [0, 0, 0, 0, 0];
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  const endSegment = () => {
    if (fields.length === 0) return;
    for (let i = 0; i < fields.length && i < 5; i++) state[i] = (state[i] ?? 0) + (fields[i] ?? 0);
    if (fields.length >= 4) current.push(state[0] ?? 0, state[1] ?? 0, state[2] ?? 0, state[3] ?? 0);
    fields.length = 0;
  };
  const endLine = () => {
    endSegment();
    lines.push(sortedQuadruples(current));
    current = [];
    state[0] = 0;
  };
  for (let i = 0; i < mappings.length; i++) {
    const code = mappings.charCodeAt(i);
    if (code === COMMA) {
      endSegment();
      continue;
    }
    if (code === SEMICOLON) {
      endLine();
      continue;
    }
    const digit = code < 128 ? (VALUE[code] ?? -1) : -1;
    if (digit < 0) continue;
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
    } else {
      fields.push(value % 2 === 1 ? -Math.floor(value / 2) : value / 2);
      value = 0;
      shift = 0;
    }
  }
  endLine();
  return lines;
}

/** Segments are meant to be in column order; a map whose are not still resolves the nearest column. */
function sortedQuadruples(values: number[]): Int32Array {
  let sorted = true;
  for (let i = 4; i < values.length; i += 4) if ((values[i] ?? 0) < (values[i - 4] ?? 0)) sorted = false;
  if (sorted) return Int32Array.from(values);
  const quadruples: number[][] = [];
  for (let i = 0; i < values.length; i += 4) quadruples.push(values.slice(i, i + 4));
  quadruples.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
  return Int32Array.from(quadruples.flat());
}

/**
 * `mappings` for the rewritten code. Only generated columns move, and only on lines with insertions; a
 * segment's generated column is its first VLQ field, relative to the previous segment of the same line,
 * so on those lines that field is re-encoded and the rest of each segment is kept as it is.
 */
function shiftMappings(mappings: string, columns: ColumnMap, shiftedLines: ReadonlySet<number>): string {
  if (shiftedLines.size === 0) return mappings;
  const lines = mappings.split(';');
  for (const line of shiftedLines) {
    const text = lines[line - 1];
    if (!text) continue;
    let original = 0;
    let previous = 0;
    lines[line - 1] = text
      .split(',')
      .map((segment) => {
        if (segment === '') return segment;
        const [delta, length] = firstVlq(segment);
        original += delta;
        const generated = columns.toGenerated(line, original + 1) - 1;
        const encoded = encodeVlq(generated - previous);
        previous = generated;
        return encoded + segment.slice(length);
      })
      .join(',');
  }
  return lines.join(';');
}

/** The first VLQ number of a segment, and how many characters it took. */
function firstVlq(segment: string): [value: number, length: number] {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    const digit = code < 128 ? (VALUE[code] ?? 0) : 0;
    value += (digit & 31) * 2 ** shift;
    if (!(digit & 32)) return [value % 2 === 1 ? -Math.floor(value / 2) : value / 2, i + 1];
    shift += 5;
  }
  return [0, segment.length];
}

export function encodeVlq(value: number): string {
  let rest = value < 0 ? -value * 2 + 1 : value * 2;
  let text = '';
  do {
    let digit = rest % 32;
    rest = Math.floor(rest / 32);
    if (rest > 0) digit += 32;
    text += BASE64[digit];
  } while (rest > 0);
  return text;
}
