import { readFileSync } from 'node:fs';
import { parseSync } from 'oxc-parser';
import { describe, expect, it } from 'vitest';
import { InstrumentSyntaxError, rewriteAwaits } from '../../src/instrument/rewrite.js';

const rewrite = (source: string, filename = 'mod.ts', sourceType: 'module' | 'commonjs' = 'module') =>
  rewriteAwaits(source, filename, { url: `file:///project/${filename}`, sourceType });

const lines = (text: string) => text.split('\n').length;

describe('rewriteAwaits', () => {
  it('turns each await into a scheduling point and records where it is', () => {
    const source = ['async function f(s) {', '  const cur = s.value;', '  await Promise.resolve();', '  s.value = cur + (await g());', '}'].join('\n');
    const { code, sites } = rewrite(source);
    expect(sites).toEqual([
      [3, 3, '  await Promise.resolve();'],
      [4, 20, '  s.value = cur + (await g());'],
    ]);
    expect(code).toContain('await __rc$.a(Promise.resolve(),__rcS$[0])');
    expect(code).toContain('(await __rc$.a(g(),__rcS$[1]))');
    expect(lines(code)).toBe(lines(source));
  });

  it('leaves a module without awaits untouched', () => {
    const source = 'export const x = 1;\nexport function f() { return x; }\n';
    expect(rewrite(source)).toEqual({ code: source, sites: [], shifts: [] });
  });

  it('closes nested awaits innermost first', () => {
    const { code } = rewrite('async function f() { return await await x; }');
    expect(code).toContain('await __rc$.a(await __rc$.a(x,__rcS$[1]),__rcS$[0])');
    expect(parseSync('out.js', code).errors).toEqual([]);
  });

  it('wraps the iterable of for await, not its body', () => {
    const { code, sites } = rewrite('async function f(it) {\n  for await (const x of it) use(x);\n}');
    expect(code).toContain('for await (const x of __rc$.fa(it,__rcS$[0])) use(x);');
    expect(sites).toEqual([[2, 7, '  for await (const x of it) use(x);']]);
  });

  it('keeps a hashbang and a "use strict" directive first', () => {
    const { code } = rewrite('#!/usr/bin/env node\n"use strict";\nasync function f() { await 1; }\n', 'cli.cjs', 'commonjs');
    const [first, second, third] = code.split('\n');
    expect(first).toBe('#!/usr/bin/env node');
    expect(second).toMatch(/^"use strict";var __rc\$=globalThis.__racecheck\$,__rcS\$=__rc\$\.s\(/);
    expect(third).toContain('await __rc$.a(1,__rcS$[0])');
  });

  it('survives real TypeScript: enums, generics, decorators, satisfies, overloads, namespaces', () => {
    const url = new URL('../fixtures/core/typescript-syntax.ts', import.meta.url);
    const source = readFileSync(url, 'utf8');
    const { code, sites } = rewriteAwaits(source, url.pathname, { url: url.href, sourceType: 'module' });
    expect(parseSync('typed.ts', code, { lang: 'ts' }).errors).toEqual([]);
    expect(lines(code)).toBe(lines(source));
    const expected = source.split('\n').flatMap((text, index) => {
      if (/^\s*(\/\/|\/\*|\*)/.test(text)) return [];
      return (text.match(/\bawait\b/g) ?? []).map(() => index + 1);
    });
    expect(sites.map(([line]) => line)).toEqual(expected);
    for (const [, column, text] of sites) expect(text.slice(column - 1)).toMatch(/^(await|for await)/);
  });

  it('reports a syntax error with file, line and column', () => {
    let error: unknown;
    try {
      rewrite('const ok = 1;\nconst broken = ;\n', 'bad.ts');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InstrumentSyntaxError);
    expect(error).toMatchObject({ line: 2, column: 16, message: expect.stringMatching(/^file:\/\/\/project\/bad\.ts:2:16: /) });
  });
});

describe('rewriteAwaits on code it already rewrote', () => {
  it('leaves it as it is, so a module passing two hooks is rewritten once', () => {
    const once = rewrite('async function f() { await g(); }').code;
    expect(rewrite(once)).toEqual({ code: once, sites: [], shifts: [] });
  });
});
