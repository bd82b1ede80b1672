import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli.js';

/**
 * Stack traces of instrumented TypeScript, loaded the way racecheck loads it (tsx, which turns Node's
 * source maps on, and racecheck's hooks): an ES module's frames name the rewritten TypeScript, and
 * mapStackTrace moves them back to the columns as written; a CommonJS module's frames go through the
 * source map the rewrite re-emitted, so Node already reports the columns as written and they stay.
 * It runs in a plain Node process, as a racecheck worker does: vitest's own stack handling would hide
 * Node's source maps.
 */
const FIXTURE = 'test/fixtures/instrument/throws.ts';
const line = readFileSync(FIXTURE, 'utf8').split('\n').findIndex((text) => text.includes('throw new Error')) + 1;
const column = readFileSync(FIXTURE, 'utf8').split('\n')[line - 1]!.indexOf('new Error') + 1;

async function stacksOf(file: string): Promise<{ sourceMaps: boolean; raw: string; mapped: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['test/fixtures/instrument/print-stack.mjs', file], { cwd: ROOT });
  return JSON.parse(stdout) as { sourceMaps: boolean; raw: string; mapped: string };
}

function frameOf(stack: string, file: string): string {
  const frame = stack.split('\n').find((text) => text.includes(file));
  if (!frame) throw new Error(`no frame of ${file} in\n${stack}`);
  return frame.trim();
}

describe('stack traces of instrumented TypeScript', () => {
  it('an ES module: the frame is shifted by the rewrite, and maps back to the column as written', async () => {
    const { raw, mapped } = await stacksOf(FIXTURE);
    expect(frameOf(raw, FIXTURE)).toMatch(new RegExp(`throws\\.ts:${line}:\\d+\\)$`));
    expect(frameOf(raw, FIXTURE)).not.toMatch(new RegExp(`throws\\.ts:${line}:${column}\\)$`));
    expect(frameOf(mapped, FIXTURE)).toMatch(new RegExp(`^at (Module\\.)?fail \\(.*/${FIXTURE}:${line}:${column}\\)$`));
  });

  it('a CommonJS module (compiled by tsx, then rewritten): the re-emitted source map makes the frame exact', async () => {
    const file = 'test/fixtures/instrument/cjs/throws.ts';
    const { sourceMaps, raw, mapped } = await stacksOf(file);
    expect(sourceMaps).toBe(true);
    expect(frameOf(raw, file)).toMatch(new RegExp(`/${file}:${line}:${column}\\)$`));
    expect(mapped).toBe(raw);
  });
});
