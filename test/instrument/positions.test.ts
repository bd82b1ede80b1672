import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createColumnMap, createShiftRows, mapStackTrace, originalPosition } from '../../src/instrument/positions.js';
import { rewriteAwaits } from '../../src/instrument/rewrite.js';
import { installRuntime } from '../../src/scheduler/runtime.js';

describe('column maps', () => {
  // Three characters inserted before column 5, two more before column 9 (1-based, original coordinates).
  const columns = createColumnMap(createShiftRows([
    { line: 1, column: 9, length: 2 },
    { line: 1, column: 5, length: 1 },
    { line: 1, column: 5, length: 2 },
  ]));

  it('maps generated columns back, and columns inside inserted text to where it was inserted', () => {
    expect([1, 4, 5, 7, 8, 11, 12, 13, 14].map((column) => columns.toOriginal(1, column))).toEqual([1, 4, 5, 5, 5, 8, 9, 9, 9]);
    expect(columns.toOriginal(2, 7)).toBe(7);
  });

  it('maps original columns forward, past the text inserted before them', () => {
    expect([1, 4, 5, 8, 9, 10].map((column) => columns.toGenerated(1, column))).toEqual([1, 4, 8, 11, 14, 15]);
    for (const column of [1, 4, 5, 8, 9, 10]) expect(columns.toOriginal(1, columns.toGenerated(1, column))).toBe(column);
  });
});

/**
 * The module is written to disk twice, as written and rewritten, and run: the rewritten module's stack,
 * mapped, must name the same line and column as the native one, on the preamble's line and after
 * insertions on the same line alike.
 */
const SOURCE = [
  "export function early() { throw new Error('on the preamble line'); }",
  'export async function boom(value) {',
  '  const got = await(value); const again = await [got]; throw new Error(`boom ${again}`);',
  '}',
  '',
].join('\n');

let directory: string;
beforeAll(() => {
  installRuntime();
  directory = mkdtempSync(path.join(tmpdir(), 'racecheck-positions-'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function framesOf(error: unknown, file: string): string[] {
  return String((error as Error).stack)
    .split('\n')
    .filter((line) => line.includes(file));
}

async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('stack traces of rewritten modules', () => {
  it('map an ES module frame back to the column of the source as written', async () => {
    const nativeFile = path.join(directory, 'native.mjs');
    const rewrittenFile = path.join(directory, 'rewritten.mjs');
    const url = pathToFileURL(rewrittenFile).href;
    writeFileSync(nativeFile, SOURCE);
    const { code, shifts } = rewriteAwaits(SOURCE, rewrittenFile, { url, sourceType: 'module' });
    expect(shifts.length).toBeGreaterThan(2);
    writeFileSync(rewrittenFile, code);
    const native = await import(pathToFileURL(nativeFile).href);
    const rewritten = await import(url);

    for (const call of [(m: typeof native) => m.early(), (m: typeof native) => m.boom(1)]) {
      const expected = framesOf(await caught(() => call(native)), 'native.mjs')[0]!.replace('native.mjs', 'rewritten.mjs');
      const error = await caught(() => call(rewritten));
      const [raw] = framesOf(error, 'rewritten.mjs');
      // Unmapped, the frame is off by the text inserted before it; mapped, it is where the native one is.
      expect(raw).not.toBe(expected);
      expect(framesOf({ stack: mapStackTrace(String((error as Error).stack)) }, 'rewritten.mjs')[0]).toBe(expected);
    }
  });

  it('map a CommonJS frame (an absolute path, not a URL)', async () => {
    const source = SOURCE.replace(/export (async )?function (\w+)/g, 'exports.$2 = $1function $2');
    const nativeFile = path.join(directory, 'native.cjs');
    const rewrittenFile = path.join(directory, 'rewritten.cjs');
    writeFileSync(nativeFile, source);
    writeFileSync(rewrittenFile, rewriteAwaits(source, rewrittenFile, { url: pathToFileURL(rewrittenFile).href, sourceType: 'commonjs' }).code);
    const require = createRequire(import.meta.url);
    const native = require(nativeFile) as { boom(value: number): Promise<void> };
    const rewritten = require(rewrittenFile) as typeof native;
    const expected = framesOf(await caught(() => native.boom(2)), 'native.cjs')[0]!.replace('native.cjs', 'rewritten.cjs');
    const mapped = mapStackTrace(String(((await caught(() => rewritten.boom(2))) as Error).stack));
    expect(framesOf({ stack: mapped }, 'rewritten.cjs')[0]).toBe(expected);
  });

  it('leave positions of modules that were not rewritten as they are', () => {
    expect(originalPosition('file:///nowhere/else.js', 3, 40)).toEqual({ line: 3, column: 40 });
    const stack = 'Error: x\n    at f (file:///nowhere/else.js:3:40)\n    at node:internal/process/task_queues:95:5';
    expect(mapStackTrace(stack)).toBe(stack);
  });
});
