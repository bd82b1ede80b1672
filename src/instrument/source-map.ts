import { readFileSync } from 'node:fs';
import type { SiteRow } from './abi.js';

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/;
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

interface RawMap {
  readonly mappings: string;
  readonly sources?: readonly string[];
  readonly sourcesContent?: readonly (string | null)[];
}

/** A segment: generated column, then original line and column (all 0-based). */
type Segment = readonly [generatedColumn: number, line: number, column: number];

/**
 * For compiled code that carries an inline source map (what tsx hands to CommonJS `_compile`), returns a
 * function mapping a generated position to the original one with the original line's text; `undefined`
 * when the code has no inline map, so positions are already the user's.
 */
export function inlineSourceMapper(code: string, originalFile: string): ((line: number, column: number) => SiteRow | null) | undefined {
  const match = INLINE_MAP.exec(code);
  if (!match?.[1]) return undefined;
  let map: RawMap;
  try {
    map = JSON.parse(Buffer.from(match[1], 'base64').toString('utf8')) as RawMap;
  } catch {
    return undefined;
  }
  const segments = decodeMappings(map.mappings);
  let originalLines: string[] | undefined;
  const lineText = (line: number): string => {
    originalLines ??= (map.sourcesContent?.[0] ?? safeRead(originalFile)).split('\n');
    return (originalLines[line] ?? '').replace(/\r$/, '');
  };
  return (line, column) => {
    const onLine = segments[line - 1];
    if (!onLine || onLine.length === 0) return null;
    let best = onLine[0]!;
    for (const segment of onLine) {
      if (segment[0] <= column - 1) best = segment;
      else break;
    }
    return [best[1] + 1, best[2] + 1, lineText(best[1])];
  };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Decodes source map v3 `mappings` (base64 VLQ) into segments per generated line. */
function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let sourceLine = 0;
  let sourceColumn = 0;
  for (const lineText of mappings.split(';')) {
    const segments: Segment[] = [];
    let generatedColumn = 0;
    if (lineText !== '') {
      for (const text of lineText.split(',')) {
        const values = decodeVlq(text);
        generatedColumn += values[0] ?? 0;
        if (values.length >= 4) {
          sourceLine += values[2] ?? 0;
          sourceColumn += values[3] ?? 0;
          segments.push([generatedColumn, sourceLine, sourceColumn]);
        }
      }
    }
    lines.push(segments);
  }
  return lines;
}

function decodeVlq(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}
