import { describe, expect, it } from 'vitest';
import type { ShiftRow } from '../../src/instrument/abi.js';
import { rewriteAwaits } from '../../src/instrument/rewrite.js';
import { decodeMappings } from '../../src/instrument/source-map.js';
import { insertionsOf, rewriteSourceMap } from '../../src/vitest/source-map.js';

const FILE = '/project/src/orders.ts';

const SOURCE = `'use strict';
import { readFile } from 'node:fs/promises';

export async function total(orders: Array<{ id: string; price: number }>): Promise<number> {
  let sum = 0;
  for await (const order of stream(orders)) sum += await priceOf(order.id, order.price);
  const extra = await await Promise.resolve(Promise.resolve(1)), file = await readFile('x').catch(() => '');
  return sum + extra + String(file).length;
}

async function* stream<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function priceOf(id: string, price: number): Promise<number> {
  await null; return id.length > 0 ? price : 0;
}
`;

/** A position lookup over the map, decoded by racecheck's own decoder: the segment at or before a column. */
function mapperFor(map: { mappings: string }) {
  const lines = decodeMappings(map.mappings);
  return (line: number, column: number): [number, number] | null => {
    const segments = lines[line - 1];
    let found: [number, number] | null = null;
    for (let i = 0; segments && i < segments.length; i += 4) {
      if (segments[i]! > column - 1) break;
      found = [segments[i + 2]! + 1, segments[i + 3]! + 1];
    }
    return found;
  };
}

/**
 * Every word of the rewritten code that the user wrote (not one of the rewrite's insertions) maps back to
 * the same word at its place in the original.
 */
function expectWordsMapBack(original: string, rewritten: string, shifts: readonly ShiftRow[], inserted: readonly [number, number][]) {
  const map = rewriteSourceMap(original, rewritten, shifts, FILE);
  const position = mapperFor(map);
  const originalLines = original.split('\n');
  let checked = 0;
  let offset = 0;
  rewritten.split('\n').forEach((line, index) => {
    for (const word of line.matchAll(/[A-Za-z_$][\w$]*/g)) {
      const at = offset + word.index;
      if (inserted.some(([start, end]) => at >= start && at < end)) continue;
      const mapped = position(index + 1, word.index + 1);
      expect(mapped, `${word[0]} at ${index + 1}:${word.index + 1}`).not.toBeNull();
      const [line0, column] = mapped!;
      expect(originalLines[line0 - 1]!.slice(column - 1, column - 1 + word[0].length), `${word[0]} at ${index + 1}:${word.index + 1}`).toBe(word[0]);
      checked++;
    }
    offset += line.length + 1;
  });
  expect(checked).toBeGreaterThan(50);
  return map;
}

describe('the source map of the await rewrite', () => {
  const { code: rewritten, sites, shifts } = rewriteAwaits(SOURCE, FILE, { url: `file://${FILE}`, sourceType: 'module', sourceMaps: false });

  it('reads the rewrite\'s insertions off its shifts: made on the original, they give the rewritten code', () => {
    expect(sites.length).toBe(6);
    const insertions = insertionsOf(SOURCE, rewritten, shifts)!;
    expect(insertions).toBeDefined();
    expect(insertions.some(([, text]) => text.startsWith('var __rc$=globalThis.__racecheck$,'))).toBe(true);
    expect(insertions.filter(([, text]) => /^ ?__rc\$\.f?a\(/.test(text))).toHaveLength(sites.length);
  });

  it('maps every word the user wrote back to itself, line and column', () => {
    const spans: [number, number][] = [];
    let shift = 0;
    for (const [offset, text] of insertionsOf(SOURCE, rewritten, shifts)!) {
      spans.push([offset + shift, offset + shift + text.length]);
      shift += text.length;
    }
    const map = expectWordsMapBack(SOURCE, rewritten, shifts, spans);
    expect(map.sources).toEqual([FILE]);
    expect(map.sourcesContent).toEqual([SOURCE]);
  });

  it('still maps a rewrite of a shape it does not know, by aligning each line', () => {
    // Another rewrite: comments inserted where the known shapes would not account for them.
    const other = SOURCE.replace(/await /g, 'await /* point */ ');
    expect(insertionsOf(SOURCE, other, shifts)).toBeUndefined();
    const spans: [number, number][] = [];
    for (const match of other.matchAll(/\/\* point \*\/ /g)) spans.push([match.index, match.index + match[0].length]);
    expectWordsMapBack(SOURCE, other, shifts, spans);
  });
});
