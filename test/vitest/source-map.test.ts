import { describe, expect, it } from 'vitest';
import { rewriteAwaits } from '../../src/instrument/rewrite.js';
import { inlineSourceMapper } from '../../src/instrument/source-map.js';
import { findInsertions, rewriteSourceMap } from '../../src/vitest/source-map.js';

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

/** The map as an inline comment, read back with racecheck's own decoder. */
function mapperFor(rewritten: string, map: object) {
  const inline = `${rewritten}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`;
  return inlineSourceMapper(inline, FILE)!;
}

/**
 * Every word of the rewritten code that the user wrote (not one of the rewrite's insertions) maps back to
 * the same word at its place in the original.
 */
function expectWordsMapBack(original: string, rewritten: string, inserted: readonly [number, number][]) {
  const map = rewriteSourceMap(original, rewritten, FILE);
  const position = mapperFor(rewritten, map);
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
  const { code: rewritten, sites } = rewriteAwaits(SOURCE, FILE, { url: `file://${FILE}`, sourceType: 'module' });

  it('finds exactly the rewrite\'s insertions: removing them gives back the original', () => {
    expect(sites.length).toBe(6);
    const insertions = findInsertions(SOURCE, rewritten)!;
    expect(insertions).toBeDefined();
    // The preamble, then an opening and a closing for each await and for await.
    expect(insertions.length).toBe(1 + 2 * sites.length);
    expect(insertions[0]![1]).toMatch(/^var __rc\$=globalThis\.__racecheck\$,/);
  });

  it('maps every word the user wrote back to itself, line and column', () => {
    const spans: [number, number][] = [];
    let shift = 0;
    for (const [offset, text] of findInsertions(SOURCE, rewritten)!) {
      spans.push([offset + shift, offset + shift + text.length]);
      shift += text.length;
    }
    const map = expectWordsMapBack(SOURCE, rewritten, spans);
    expect(map.sources).toEqual([FILE]);
    expect(map.sourcesContent).toEqual([SOURCE]);
  });

  it('still maps a rewrite of a shape it does not know, by aligning each line', () => {
    // Another rewrite: comments inserted where the known shapes would not account for them.
    const other = SOURCE.replace(/await /g, 'await /* point */ ');
    expect(findInsertions(SOURCE, other)).toBeUndefined();
    const spans: [number, number][] = [];
    for (const match of other.matchAll(/\/\* point \*\/ /g)) spans.push([match.index, match.index + match[0].length]);
    expectWordsMapBack(SOURCE, other, spans);
  });
});
