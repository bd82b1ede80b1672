import { readFileSync } from 'node:fs';
import { transformSync } from 'esbuild';
import { parseSync } from 'oxc-parser';
import { describe, expect, it } from 'vitest';
import { countLines } from '../../src/instrument/lines.js';
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

  // Was a syntax error ("Invalid Character '!'"): the parser takes a byte order mark before `#!` as text.
  it('drops a byte order mark, as Node does, so that a hashbang after it stays one', () => {
    const { code, sites } = rewrite('\uFEFF#!/usr/bin/env node\nexport async function f() { await 1; }\n', 'cli.mjs');
    expect(code.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(sites).toEqual([[2, 29, 'export async function f() { await 1; }']]);
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

describe('rewriteAwaits on compiled code', () => {
  // Were the compiled code's lines (2, 3): Vite's TypeScript, when a plugin compiled it before racecheck's, and
  // tsx's .cts output reach the rewrite compiled, with their map inline, and only the awaits went through it.
  it('places state accesses, like awaits, where they are written, through the inline source map', () => {
    const written = 'interface A {\n  x: number;\n}\nlet count: number = 0;\nexport async function bump(): Promise<void> { const c = count; await null; count = c + 1; }\n';
    const compiled = transformSync(written, { loader: 'ts', format: 'esm', sourcemap: 'inline', sourcefile: '/project/counter.ts' }).code;
    expect(compiled.split('\n')[1]).toBe('async function bump() {');
    const { code, sites } = rewriteAwaits(compiled, '/project/counter.ts', { url: 'file:///project/counter.ts', sourceType: 'module' });
    const line = written.split('\n')[4]!;
    expect(sites).toEqual([[5, line.indexOf('await') + 1, line]]);
    const table = /__rc\$\.t\("file:\/\/\/project\/counter\.ts",(\[.*?\]\])\)/.exec(code);
    expect(JSON.parse(table![1]!)).toEqual([
      ['count', 5, line.indexOf('count') + 1, 0],
      ['count', 5, line.lastIndexOf('count') + 1, 0],
    ]);
  });
});

describe('rewriteAwaits on code it already rewrote', () => {
  it('leaves it as it is, so a module passing two hooks is rewritten once', () => {
    const once = rewrite('async function f() { await g(); }').code;
    expect(rewrite(once)).toEqual({ code: once, sites: [], shifts: [] });
  });
});

describe('await where it is an identifier', () => {
  it('leaves `await` alone in scripts and CommonJS, where it is a name outside async functions', () => {
    const source = 'function await(x) { return x; }\nvar v = await(1) + await [0];\nmodule.exports = { v, w: await\n(2) };\n';
    expect(rewrite(source, 'names.cjs', 'commonjs')).toEqual({ code: source, sites: [], shifts: [] });
  });

  it('rewrites an async function of a CommonJS module and leaves the identifier next to it', () => {
    const source = 'var await = (x) => x;\nvar y = await\n(1);\nasync function f() { return await\n(y); }\n';
    const { code, sites } = rewrite(source, 'mixed.cjs', 'commonjs');
    expect(sites.map(([line, column]) => [line, column])).toEqual([[4, 29]]);
    expect(code.split('\n')[2]).toBe('(1);');
    expect(code.split('\n')[4]).toBe('__rc$.a((y),__rcS$[0]); }');
    expect(parseSync('out.cjs', code, { sourceType: 'commonjs' }).errors).toEqual([]);
  });
});

describe('TypeScript and JSX around an await', () => {
  const forms = [
    ['generic call', 'return await f<number>(1);'],
    ['as', 'return (await f(1)) as number;'],
    ['as on the operand', 'return await (f(1) as Promise<number>);'],
    ['satisfies', 'return (await f(1)) satisfies number;'],
    ['non-null', 'return (await g()!)!;'],
    ['non-null operand', 'return await g()!;'],
    ['angle-bracket assertion', 'return await <Promise<number>>f(1);'],
    ['decorator expression', 'const d = (v: number) => (c: unknown, _: unknown) => c; @d(await f(1)) class C {} return 1;'],
    ['generic arrow', 'const h = async <T,>(x: T) => await x; return h(1);'],
    ['optional chain with non-null', 'const o: { f?: typeof f } = { f }; return await o.f!(1);'],
  ] as const;
  it.each(forms)('%s', (_name, body) => {
    const source = `declare function f<T>(x: T): Promise<T>;\ndeclare function g(): Promise<number> | undefined;\nexport async function run() {\n  ${body}\n}\n`;
    const { code, sites } = rewrite(source, 'typed.ts');
    expect(parseSync('out.ts', code, { lang: 'ts', sourceType: 'module' }).errors).toEqual([]);
    expect(lines(code)).toBe(lines(source));
    expect(sites.length).toBeGreaterThan(0);
    for (const [line, column, text] of sites) {
      expect(line).toBe(4);
      expect(text.slice(column - 1)).toMatch(/^await\b/);
    }
  });

  it('JSX: an await inside an expression container, and a JSX element as the operand', () => {
    const source = 'export async function view(load) {\n  return <ul>{(await load()).map((x) => <li>{x}</li>)}{await <b/>}</ul>;\n}\n';
    const { code, sites } = rewrite(source, 'view.jsx');
    expect(parseSync('out.jsx', code, { lang: 'jsx', sourceType: 'module' }).errors).toEqual([]);
    const second = source.split('\n')[1]!;
    expect(sites.map(([line, column]) => [line, column])).toEqual([
      [2, second.indexOf('await') + 1],
      [2, second.lastIndexOf('await') + 1],
    ]);
    const tsx = rewrite(source.replace('load)', 'load: () => Promise<number[]>)'), 'view.tsx');
    expect(parseSync('out.tsx', tsx.code, { lang: 'tsx', sourceType: 'module' }).errors).toEqual([]);
    expect(tsx.sites).toHaveLength(2);
  });

  it('`await using` is left as it is: its dispose is not a scheduling point, awaits in its initializer are', () => {
    const source = 'export async function f(open) {\n  await using handle = await open();\n  for await (using x of open()) x;\n}\n';
    const { code, sites } = rewrite(source, 'using.js');
    expect(code.split('\n')[1]).toBe('  await using handle = await __rc$.a(open(),__rcS$[0]);');
    expect(sites.map(([line, column]) => [line, column])).toEqual([
      [2, 24],
      [3, 7],
    ]);
    expect(parseSync('out.js', code, { sourceType: 'module' }).errors).toEqual([]);
  });
});

describe('lines and columns as V8 counts them', () => {
  it('CRLF: lines kept, site text without the CR', () => {
    const source = 'async function f() {\r\n  await g();\r\n  return await h();\r\n}\r\n';
    const { code, sites } = rewrite(source, 'crlf.js');
    expect(sites).toEqual([
      [2, 3, '  await g();'],
      [3, 10, '  return await h();'],
    ]);
    expect(code.split('\r\n')).toHaveLength(source.split('\r\n').length);
  });

  it('a lone CR and U+2028 end lines, in the source and in the preamble', () => {
    const source = 'const s = "a\u2028b";\rasync function f() {\r  await g(s);\r}\r';
    const { code, sites } = rewrite(source, 'cr.js');
    expect(sites).toEqual([[4, 3, '  await g(s);']]);
    expect(countLines(code)).toBe(countLines(source));
    expect(code.split('\u2028')).toHaveLength(2);
  });

  it('columns are UTF-16 code units, as in stack traces', () => {
    const source = 'const e = "😀é"; async function f() { await e; }';
    const { sites } = rewrite(source, 'u.js');
    // 😀 is two UTF-16 code units: the column counts both, as V8's columns do.
    expect(sites[0]!.slice(0, 2)).toEqual([1, source.indexOf('await') + 1]);
    expect(source.indexOf('await')).toBe([...source].indexOf('a', 20) + 1);
  });

  it('keeps an excerpt of a minified line around the site, with the exact column', () => {
    const source = `async function f(){${'x=1;'.repeat(300)}await g();${'y=2;'.repeat(300)}}`;
    const [[line, column, text]] = rewrite(source, 'min.js').sites as [[number, number, string]];
    expect([line, column]).toEqual([1, source.indexOf('await') + 1]);
    expect(text.length).toBeLessThan(260);
    expect(text).toMatch(/^….*x=1;await g\(\);y=2;.*…$/);
  });

  it('leaves JSX text that says await alone', () => {
    expect(rewrite('export const p = <p>await me</p>;\n', 'text.jsx').sites).toEqual([]);
  });

  it('puts the preamble after a directive that has no semicolon', () => {
    const source = "'use strict'\nasync function f() { await g(); }\n";
    const { code } = rewrite(source, 'strict.cjs', 'commonjs');
    expect(code.startsWith("'use strict';var __rc$")).toBe(true);
    expect(parseSync('out.cjs', code, { sourceType: 'commonjs' }).errors).toEqual([]);
  });

  it('keeps a hashbang followed by a CR-only line end', () => {
    const source = '#!/usr/bin/env node\rawait 1;\r';
    const { code } = rewrite(source, 'bin.mjs');
    expect(code.split('\r')[0]).toBe('#!/usr/bin/env node');
    expect(code.split('\r')[1]).toMatch(/^var __rc\$=/);
    expect(parseSync('out.mjs', code, { sourceType: 'module' }).errors).toEqual([]);
  });
});
