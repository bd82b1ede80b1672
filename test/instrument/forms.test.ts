import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseSync } from 'oxc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewriteAwaits } from '../../src/instrument/rewrite.js';
import { countLines } from '../../src/instrument/lines.js';
import { installRuntime } from '../../src/scheduler/runtime.js';

/**
 * Every syntactic form of `await` and `for await`: each form is a module that the test imports twice, as
 * written and rewritten (with the real runtime installed, outside a run, where `a(x)` is `x`), and the two
 * must return the same value; the rewritten text must parse, keep its line count, and register one site
 * per await, each at its `await` keyword.
 */
const FORMS: { name: string; body: string; awaits?: number }[] = [
  { name: 'call parentheses: await(x)', body: 'return await(1 + 1);' },
  { name: 'array: await[x]', body: 'return await[1, 2];' },
  { name: 'double-quoted string: await"s"', body: 'return await"s";' },
  { name: "single-quoted string: await's'", body: "return await's';" },
  { name: 'logical not: await!x', body: 'return await!0;' },
  { name: 'minus: await-1', body: 'return await-1;' },
  { name: 'plus: await+x', body: 'return await+"2";' },
  { name: 'regular expression: await/re/', body: 'return (await/a+/g).source;' },
  { name: 'object literal: await{}', body: 'return await{ a: 1 };' },
  { name: 'template: await`t`', body: 'return await`t${1}`;' },
  { name: 'tagged template', body: 'return await String.raw`a\\n`;' },
  { name: 'await inside a template inside an await', body: 'return await`a${await 2}b`;', awaits: 2 },
  { name: 'block comment between await and operand', body: 'return await/* c */3;' },
  { name: 'line comment and line break between await and operand', body: 'return await // c\n    4;' },
  { name: 'await await x', body: 'return await await 5;', awaits: 2 },
  { name: 'await (await x)', body: 'return await (await 6);', awaits: 2 },
  { name: 'async arrow with expression body', body: 'const g = async () => await 7; return g();' },
  { name: 'async arrow with a default parameter', body: 'const g = async (a = 1) => await a; return g();' },
  { name: 'async method with a computed key that awaits', body: 'const o = { async [await "k"]() { return await 8; } }; return o.k();', awaits: 2 },
  { name: 'class computed key and an async arrow field', body: 'class C { [await "m"] = async () => await 9; } return new C().m();', awaits: 2 },
  { name: 'an async arrow inside a class static block', body: 'class C { static p; static { C.p = (async () => await 3)(); } } return C.p;' },
  { name: 'class static block next to async static method', body: 'class C { static v = 1; static { C.v = 2; } static async m() { return await C.v; } } return C.m();' },
  { name: 'for await (const [a, { b }] of …)', body: 'const out = []; for await (const [a, { b }] of [[1, { b: 2 }]]) out.push(a + b); return out;' },
  { name: 'for await (let …)', body: 'let s = 0; for await (let x of [1, 2]) s += x; return s;' },
  { name: 'for await (var …)', body: 'var s = 0; for await (var x of [Promise.resolve(3)]) s += x; return s;' },
  { name: 'for await over an existing binding', body: 'let x, s = []; for await (x of [4]) s.push(x); return s;' },
  { name: 'for await (… of(x)) with no space', body: 'let s = 0; for await (const x of([5])) s += x; return s;' },
  { name: 'for await(…) with no space after await', body: 'let s = 0; for await(const x of [6]) s += x; return s;' },
  { name: 'for /* c */ await', body: 'let s = 0; for /* await */ await (const x of [7]) s += x; return s;' },
  { name: 'for await over an async generator', body: 'async function* g() { yield await 1; yield 2; } let s = 0; for await (const x of g()) s += x; return s;', awaits: 2 },
  { name: 'labelled for await with continue and break', body: 'let s = 0; outer: for await (const x of [1, 2, 3, 4]) { if (x === 2) continue outer; if (x === 4) break outer; s += x; } return s;' },
  { name: 'optional call', body: 'const o = { f: async () => 1 }; return await o?.f?.();' },
  { name: 'conditional', body: 'return (await 0) ? 1 : await 2;', awaits: 2 },
  { name: 'sequence and assignment', body: 'let a; return (a = await 1, await a + 1);', awaits: 2 },
  { name: 'exponent', body: 'return (await 2) ** 2;' },
  { name: 'new', body: 'class A { constructor(v) { this.v = v; } } return (await new A(3)).v;' },
  { name: 'dynamic import', body: 'return typeof (await import("node:path")).join;' },
  { name: 'spread', body: 'return [...await [1, 2]];' },
  { name: 'void and typeof', body: 'return [await void 0, await typeof 1];', awaits: 2 },
  { name: 'try, catch and finally', body: 'let f; try { return await Promise.reject(new Error("x")); } catch (e) { return await e.message; } finally { f = await 1; }', awaits: 3 },
  { name: 'unicode identifiers and astral characters before await', body: 'const é = "😀"; return é + await "ü";' },
  { name: 'await in default parameter of a nested async arrow call', body: 'const g = async (x = 1) => x; return g(await 2);' },
  { name: 'thenable operand', body: 'return await { then(r) { r(42); } };' },
  { name: 'await in a switch and a while', body: 'let n = 0; while ((await n) < 3) { switch (await n) { case 1: n += 2; break; default: n += 1; } } return n;', awaits: 2 },
  { name: 'await as a statement before ASI-sensitive lines', body: 'let a = 1\nawait a\n;[a] = [await 2]\nreturn a', awaits: 2 },
];

let directory: string;
beforeAll(() => {
  installRuntime();
  directory = mkdtempSync(path.join(tmpdir(), 'racecheck-forms-'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let counter = 0;
async function importText(text: string): Promise<{ default: () => Promise<unknown> }> {
  const file = path.join(directory, `m${counter++}.mjs`);
  writeFileSync(file, text);
  return (await import(pathToFileURL(file).href)) as { default: () => Promise<unknown> };
}

function awaitColumns(source: string): { line: number; column: number }[] {
  const program = parseSync('m.mjs', source, { sourceType: 'module' }).program as unknown as object;
  const offsets: number[] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const record = node as Record<string, unknown>;
    if (record.type === 'AwaitExpression') offsets.push(record.start as number);
    if (record.type === 'ForOfStatement' && record.await === true) {
      const afterFor = (record.start as number) + 3;
      offsets.push(afterFor + /^(?:\s|\/\*[^]*?\*\/)*/.exec(source.slice(afterFor))![0].length);
    }
    for (const key of Object.keys(record)) if (key !== 'parent') visit(record[key]);
  };
  visit(program);
  return offsets.sort((a, b) => a - b).map((offset) => {
    const before = source.slice(0, offset).split('\n');
    return { line: before.length, column: before[before.length - 1]!.length + 1 };
  });
}

describe('every form of await', () => {
  it.each(FORMS)('$name', async ({ body, awaits = 1 }) => {
    const source = `// a form of await\nexport default async function run() {\n  ${body}\n}\n`;
    const url = 'file:///project/form.mjs';
    const { code, sites } = rewriteAwaits(source, 'form.mjs', { url, sourceType: 'module' });
    expect(parseSync('out.mjs', code, { sourceType: 'module' }).errors).toEqual([]);
    expect(countLines(code)).toBe(countLines(source));
    expect(sites).toHaveLength(awaits);
    expect(sites.map(([line, column]) => ({ line, column }))).toEqual(awaitColumns(source));
    for (const [, column, text] of sites) expect(text.slice(column - 1)).toMatch(/^await\b/);

    const native = await (await importText(source)).default();
    const rewritten = await (await importText(code)).default();
    expect(rewritten).toEqual(native);
  });

  it('top-level await in a module', async () => {
    const source = 'const value = await(Promise.resolve(41));\nexport default async () => value + await 1;\n';
    const { code, sites } = rewriteAwaits(source, 'top.mjs', { url: 'file:///project/top.mjs', sourceType: 'module' });
    expect(sites.map(([line, column]) => [line, column])).toEqual([
      [1, 15],
      [2, 36],
    ]);
    expect(await (await importText(code)).default()).toBe(42);
  });
});

/**
 * The rewrite's own names (`__rc$`, `__rcS$`, `__rcV$`) and the `globalThis` its preamble reads the runtime
 * from are names a module may use itself: a parameter or a local of that name, or a module-level `globalThis`.
 */
const COLLISIONS: { name: string; source: string }[] = [
  { name: 'a parameter named __rc$', source: 'export default async function run(__rc$ = 1) { return (await __rc$) + 1; }\n' },
  { name: 'a local named __rc$', source: 'export default async function run() { const __rc$ = 2; return await __rc$; }\n' },
  { name: 'a module-level let __rc$', source: 'let __rc$ = 3;\nexport default async function run() { return await __rc$; }\n' },
  { name: 'a parameter named __rcS$', source: 'export default async function run(__rcS$ = [7]) { return (await __rcS$)[0]; }\n' },
  { name: 'a tracked variable beside a local __rcV$', source: 'let n = 1;\nexport function bump() { n++; }\nexport default async function run() { const __rcV$ = 5; return (await n) + __rcV$; }\n' },
  { name: 'a module-level const globalThis', source: 'const globalThis = { name: "mine" };\nexport default async function run() { return (await globalThis).name; }\n' },
  { name: 'a module-level let globalThis', source: 'let globalThis = 4;\nexport default async function run() { return await globalThis; }\n' },
  { name: 'a module-level var globalThis', source: 'var globalThis = 5;\nexport default async function run() { return await globalThis; }\n' },
  { name: 'a module-level function globalThis', source: 'function globalThis() { return 6; }\nexport default async function run() { return (await globalThis)(); }\n' },
  { name: 'an imported globalThis', source: 'import { sep as globalThis } from "node:path";\nexport default async function run() { return await globalThis; }\n' },
];

/** How many identifiers of the program are `name`. */
function identifiers(source: string, name: string): number {
  let count = 0;
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const record = node as Record<string, unknown>;
    if (record.type === 'Identifier' && record.name === name) count++;
    for (const key of Object.keys(record)) if (key !== 'parent') visit(record[key]);
  };
  visit(parseSync('m.mjs', source, { sourceType: 'module' }).program);
  return count;
}

describe('names a module uses itself', () => {
  it.each(COLLISIONS)('$name', async ({ source }) => {
    const { code, sites } = rewriteAwaits(source, 'names.mjs', { url: 'file:///project/names.mjs', sourceType: 'module' });
    expect(sites.length).toBeGreaterThan(0);
    // The rewrite adds no use of a name the module uses itself.
    for (const name of ['__rc$', '__rcS$', '__rcV$', 'globalThis']) {
      if (identifiers(source, name) > 0) expect(identifiers(code, name)).toBe(identifiers(source, name));
    }
    const native = await (await importText(source)).default();
    const rewritten = await (await importText(code)).default();
    expect(rewritten).toEqual(native);
  });
});
