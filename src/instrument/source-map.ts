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
const BASE64_VALUE = new Map([...BASE64].map((char, index) => [char, index]));

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

/** A decoded segment, absolute values: generated column, then source, line, column (0-based) and name. */
type Segment = number[];

export interface SourceMap {
  /** Where the map comment is in the code (replaced by `formatInline` when the code is rewritten). */
  readonly comment: { readonly start: number; readonly end: number };
  /**
   * The original site of a 1-based position in the compiled code, with the original line's text and, if it
   * is another file than the module, that file's URL; `null` when the map has nothing for that position or
   * the original text cannot be read.
   */
  originalSite(line: number, column: number): SiteRow | null;
  /** A `//# sourceMappingURL=data:…` comment with this map adjusted to the rewritten code's columns. */
  formatInline(columns: ColumnMap): string;
}

/** The source map of compiled `code` (inline or in a file next to it), or undefined when it has none that can be read. */
export function readSourceMap(code: string, filename: string): SourceMap | undefined {
  let match: RegExpExecArray | null = null;
  for (const found of code.matchAll(MAP_COMMENT)) match = found;
  if (!match?.[1]) return undefined;
  const moduleUrl = pathToFileURL(filename);
  const reference = match[1];
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
  return createSourceMap(raw, raw.mappings, mapUrl, moduleUrl, { start: match.index, end: match.index + match[0].length });
}

function createSourceMap(raw: RawMap, mappings: string, mapUrl: URL, moduleUrl: URL, comment: SourceMap['comment']): SourceMap {
  const lines = decodeMappings(mappings);
  const sources = (raw.sources ?? []).map((source) => resolveSource(source, raw.sourceRoot, mapUrl));
  const texts = new Map<number, LineIndex | null>();
  const textOf = (index: number): LineIndex | null => {
    if (!texts.has(index)) texts.set(index, loadSource(raw.sourcesContent?.[index], sources[index]));
    return texts.get(index) ?? null;
  };
  return {
    comment,
    originalSite(line, column) {
      const onLine = lines[line - 1];
      if (!onLine) return null;
      let best: Segment | undefined;
      for (const segment of onLine) {
        if (segment.length < 4) continue;
        if ((segment[0] ?? 0) <= column - 1 || best === undefined) best = segment;
        if ((segment[0] ?? 0) > column - 1) break;
      }
      if (!best) return null;
      const [, source = 0, sourceLine = 0, sourceColumn = 0] = best;
      const text = textOf(source);
      const url = sources[source];
      if (!text || !url || sourceLine >= text.starts.length) return null;
      const lineText = text.textOf(sourceLine + 1);
      return url === moduleUrl.href ? [sourceLine + 1, sourceColumn + 1, lineText] : [sourceLine + 1, sourceColumn + 1, lineText, url];
    },
    formatInline(columns) {
      const shifted = lines.map((segments, index) =>
        segments.map(([generated = 0, ...rest]) => [columns.toGenerated(index + 1, generated + 1) - 1, ...rest]),
      );
      const map = {
        version: 3,
        ...(raw.file === undefined ? {} : { file: raw.file }),
        sources,
        ...(raw.sourcesContent === undefined ? {} : { sourcesContent: raw.sourcesContent }),
        names: raw.names ?? [],
        mappings: encodeMappings(shifted),
      };
      return `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map), 'utf8').toString('base64')}`;
    },
  };
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

/** Decodes source map v3 `mappings` (base64 VLQ) into absolute segments per generated line. */
export function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  const state = [0, 0, 0, 0, 0];
  for (const lineText of mappings.split(';')) {
    const segments: Segment[] = [];
    state[0] = 0;
    if (lineText !== '') {
      for (const text of lineText.split(',')) {
        if (text === '') continue;
        const values = decodeVlq(text);
        const segment: Segment = [];
        for (let i = 0; i < values.length && i < 5; i++) {
          state[i] = (state[i] ?? 0) + (values[i] ?? 0);
          segment.push(state[i] ?? 0);
        }
        segments.push(segment);
      }
    }
    // Segments are meant to be in column order; a map that is not still resolves the nearest column.
    segments.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    lines.push(segments);
  }
  return lines;
}

export function encodeMappings(lines: readonly (readonly Segment[])[]): string {
  const state = [0, 0, 0, 0, 0];
  return lines
    .map((segments) => {
      state[0] = 0;
      return segments
        .map((segment) =>
          segment
            .map((value, index) => {
              const delta = value - (state[index] ?? 0);
              state[index] = value;
              return encodeVlq(delta);
            })
            .join(''),
        )
        .join(',');
    })
    .join(';');
}

function decodeVlq(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = BASE64_VALUE.get(char) ?? 0;
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value % 2 === 1 ? -Math.floor(value / 2) : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function encodeVlq(value: number): string {
  let rest = value < 0 ? -value * 2 + 1 : value * 2;
  let text = '';
  do {
    let digit = rest & 31;
    rest = Math.floor(rest / 32);
    if (rest > 0) digit |= 32;
    text += BASE64[digit];
  } while (rest > 0);
  return text;
}
