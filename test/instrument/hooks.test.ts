import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { load, resolve } from '../../src/instrument/hooks.js';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX_CHUNK = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist/index-chunk.mjs')).href;
const ESBUILD = pathToFileURL(require.resolve('esbuild')).href;
const CHALK = pathToFileURL(require.resolve('chalk')).href;
const temporary = mkdtempSync(path.join(os.tmpdir(), 'racecheck-hooks-'));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

type Resolved = { url: string; format?: string | null };
const resolveTo = (url: string, format: string | null = null) => async (): Promise<Resolved> => ({ url, format });
const resolveFrom = (parentURL: string, url: string, format: string | null = null) =>
  (resolve as unknown as (specifier: string, context: object, next: () => Promise<Resolved>) => Promise<Resolved>)('x', { parentURL, conditions: [], importAttributes: {} }, resolveTo(url, format));

describe('the module hooks: what tsx imports of CommonJS', () => {
  it('gives tsx a facade for a CommonJS package, whatever format resolve left for load to tell', async () => {
    for (const format of [null, 'commonjs']) {
      const resolved = await resolveFrom(TSX_CHUNK, ESBUILD, format);
      expect(resolved.url).toBe(`racecheck-commonjs:${ESBUILD}`);
      expect(resolved.format).toBe('module');
    }
  });

  it('leaves a scenario\'s import of the same package, and tsx\'s imports of ES modules and built-ins, as Node resolves them', async () => {
    const scenario = pathToFileURL(path.join(ROOT, 'scenarios/counter.ts')).href;
    expect((await resolveFrom(scenario, ESBUILD)).url).toBe(ESBUILD);
    expect((await resolveFrom(TSX_CHUNK, CHALK)).url).toBe(CHALK);
    expect((await resolveFrom(TSX_CHUNK, 'node:fs', 'builtin')).url).toBe('node:fs');
    const chunk = TSX_CHUNK.replace('index-chunk.mjs', 'other-chunk.mjs');
    expect((await resolveFrom(TSX_CHUNK, chunk)).url).toBe(chunk);
  });

  it('loads the facade as an ES module that requires the package and exports what it exports', async () => {
    const loaded = (await (load as unknown as (url: string, context: object, next: () => never) => Promise<{ format: string; source: string }>)(
      `racecheck-commonjs:${ESBUILD}`,
      { conditions: [], importAttributes: {}, format: 'module' },
      () => {
        throw new Error('the facade is not loaded from disk');
      },
    ));
    expect(loaded.format).toBe('module');
    const file = path.join(temporary, 'facade.mjs');
    writeFileSync(file, loaded.source);
    const facade = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as Record<string, unknown>;
    const esbuild = require('esbuild') as Record<string, unknown>;
    expect(Object.keys(facade).sort()).toEqual([...new Set(['default', ...Object.keys(esbuild)])].sort());
    expect(facade.default).toBe(esbuild);
    expect(facade.transformSync).toBe(esbuild.transformSync);
    expect(facade.version).toBe(esbuild.version);
  });
});
