import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseSync } from 'oxc-parser';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { countLines } from '../../src/instrument/lines.js';
import { rewriteAwaits } from '../../src/instrument/rewrite.js';
import { readSourceMap } from '../../src/instrument/source-map.js';
import { createColumnMap } from '../../src/instrument/positions.js';
import { runScenario } from '../../src/core/search.js';
import { installRuntime } from '../../src/scheduler/runtime.js';
import { ROOT, runMain } from '../cli/run-cli.js';

const FIXTURES = 'test/fixtures/transpiled';
/** The committed packages (generate.mjs), and whether each ships a source map. */
const PACKAGES = [
  { name: 'inventory-tsc-es2015', mapped: true, source: 'src/index.ts' },
  { name: 'inventory-tsc-tslib-esm', mapped: true, source: 'src/index.ts', module: true },
  { name: 'inventory-tsc-tslib-cjs', mapped: false, source: 'dist/index.js' },
  { name: 'inventory-tsc-es5', mapped: true, source: 'src/index.ts' },
  { name: 'inventory-babel', mapped: true, source: 'src/index.js' },
  { name: 'inventory-babel-runtime', mapped: true, source: 'src/index.js' },
] as const;

function compiled(name: string) {
  const file = path.join(ROOT, FIXTURES, 'node_modules', name, 'dist/index.js');
  return { file, url: pathToFileURL(file).href, source: readFileSync(file, 'utf8') };
}

/** The lines of the original source with an `await`, and the column of each. */
function originalAwaits(text: string): [number, number][] {
  return text.split('\n').flatMap((line, index) => (/^\s*(\/\/|\/\*|\*)/.test(line) ? [] : [...line.matchAll(/\bawait\b/g)].map((m): [number, number] => [index + 1, m.index + 1])));
}

describe('transpiled packages, rewritten', () => {
  it.each(PACKAGES)('$name: each lowered await is a site at the original await', ({ name, mapped, source, ...rest }) => {
    const { file, url, source: code } = compiled(name);
    const sourceType = 'module' in rest ? 'module' : 'commonjs';
    const result = rewriteAwaits(code, file, { url, sourceType });
    expect(parseSync(file, result.code, { sourceType, lang: 'js' }).errors).toEqual([]);
    expect(countLines(result.code)).toBe(countLines(code));
    const sites = result.sites.map(([line, column, , sourceUrl]) => ({ line, column, sourceUrl }));
    if (mapped) {
      const original = readFileSync(path.join(ROOT, FIXTURES, 'node_modules', name, source), 'utf8');
      const sourceUrl = pathToFileURL(path.join(ROOT, FIXTURES, 'node_modules', name, source)).href;
      expect(sites).toEqual(originalAwaits(original).map(([line, column]) => ({ line, column, sourceUrl })));
    } else {
      // No source map: the compiled `yield` is the site.
      expect(sites).toHaveLength(4);
      for (const [line, column, text] of result.sites) expect(text.slice(column - 1)).toMatch(/^yield /);
    }
  });

  it.each(PACKAGES)('$name: generators that are not async, and yield*, are left as they are', ({ name, ...rest }) => {
    const { file, url, source: code } = compiled(name);
    const { code: rewritten } = rewriteAwaits(code, file, { url, sourceType: 'module' in rest ? 'module' : 'commonjs' });
    const before = code.split('\n');
    const after = rewritten.split('\n');
    const untouched = before.flatMap((line, index) => (/yield\* |yield i\b|\[4 \/\*yield\*\/, i\]|\[5 \/\*yield\*\*\//.test(line) ? [index] : []));
    expect(untouched.length).toBeGreaterThan(0);
    // The state rewrite may wrap a variable's reads (state-access.ts); the await rewrite leaves the line alone.
    const unwrapped = (line: string | undefined) => line?.replace(/__rc\$\.v\(__rcV\$\[\d+\],([\w$]+)\)/g, '$1');
    for (const index of untouched) expect(unwrapped(after[index])).toBe(before[index]);
  });

  it('re-emits an external source map inline, with the columns of the rewritten code', () => {
    const { file, url, source: code } = compiled('inventory-tsc-es2015');
    const { code: rewritten, shifts } = rewriteAwaits(code, file, { url, sourceType: 'commonjs' });
    expect(rewritten).not.toContain('//# sourceMappingURL=index.js.map');
    const before = readSourceMap(code, file)!;
    const after = readSourceMap(rewritten, file)!;
    const columns = createColumnMap(shifts);
    // `this.count(item)` after the first lowered await: it moved, and both maps agree on where it came from.
    const line = code.split('\n').findIndex((text) => text.includes('yield this.count(item)')) + 1;
    const column = code.split('\n')[line - 1]!.indexOf('this.count') + 1;
    expect(columns.toGenerated(line, column)).toBeGreaterThan(column);
    expect(rewritten.split('\n')[line - 1]!.slice(columns.toGenerated(line, column) - 1)).toMatch(/^this\.count/);
    expect(after.originalSite(line, columns.toGenerated(line, column))).toEqual(before.originalSite(line, column));
  });

  it('leaves out a map it cannot read, so Node does not apply it to shifted columns', () => {
    const source = 'async function f() { await g(); }\n//# sourceMappingURL=missing.js.map\n';
    const { code, sites } = rewriteAwaits(source, path.join(ROOT, FIXTURES, 'missing.js'), { url: 'file:///missing.js', sourceType: 'commonjs' });
    expect(sites).toEqual([[1, 22, 'async function f() { await g(); }']]);
    expect(code).not.toContain('sourceMappingURL');
    expect(countLines(code)).toBe(countLines(source));
  });
});

describe('the helpers, however they are called', () => {
  const shapes: [string, string][] = [
    ['an inlined __awaiter', 'function f() { return __awaiter(this, void 0, void 0, function* () { return yield g(); }); }'],
    ['tslib.__awaiter', 'function f() { return tslib.__awaiter(this, void 0, void 0, function* () { return yield g(); }); }'],
    ['(0, tslib_1.__awaiter)', 'function f() { return (0, tslib_1.__awaiter)(this, arguments, void 0, function* (a = 1) { return yield g(a); }); }'],
    ['a bundler-renamed __awaiter$1', 'const f = () => __awaiter$1(void 0, void 0, void 0, function* () { return yield g(); });'],
    ["esbuild's __async", 'function f() { return __async(this, null, function* () { return yield g(); }); }'],
    ['an inlined _asyncToGenerator', 'function f() { return _asyncToGenerator(function* () { return yield g(); })(); }'],
    ['(0, _asyncToGenerator2.default)', 'function f() { return (0, _asyncToGenerator2.default)(function* () { return yield g(); })(); }'],
    ['_asyncToGenerator2["default"]', 'function f() { return _asyncToGenerator2["default"](function* () { return yield g(); })(); }'],
    ['yield(x) with nothing between', 'function f() { return __awaiter(this, void 0, void 0, function* () { return yield(g()); }); }'],
    ['__generator from tslib', 'function f() { return tslib_1.__awaiter(this, void 0, void 0, function () { return tslib_1.__generator(this, function (_a) { return [4 /*yield*/, g()]; }); }); }'],
  ];
  it.each(shapes)('%s', (_name, source) => {
    const { code, sites } = rewriteAwaits(source, 'lowered.js', { url: 'file:///lowered.js', sourceType: 'commonjs' });
    expect(sites).toHaveLength(1);
    expect(sites[0]![2].slice(sites[0]![1] - 1)).toMatch(/^(yield|\[4)/);
    expect(code).toMatch(/(yield |\[4 \/\*yield\*\/, )__rc\$\.a\(\(?g\((a)?\)\)?,__rcS\$\[0\]\)/);
    expect(parseSync('out.js', code, { sourceType: 'commonjs' }).errors).toEqual([]);
  });

  it("async generators: TypeScript's `yield __await(x)`, Babel's `yield _awaitAsyncGenerator(x)` and esbuild's `yield new __await(x)` are awaits; their own yields are not", () => {
    const source = [
      'function g() { return __asyncGenerator(this, arguments, function* g_1() {',
      '  const a = yield __await(f());',
      '  yield yield __await(a);',
      '  yield* __asyncDelegator(__asyncValues(other()));',
      '}); }',
      'function h() { return _wrapAsyncGenerator(function* () {',
      '  const b = yield _awaitAsyncGenerator(f());',
      '  yield b;',
      '})(); }',
      'function e() { return __asyncGenerator(this, null, function* () {',
      '  const c = yield new __await(f());',
      '  yield* __yieldStar(other());',
      '}); }',
    ].join('\n');
    const { code, sites } = rewriteAwaits(source, 'agen.js', { url: 'file:///agen.js', sourceType: 'commonjs' });
    expect(sites.map(([line]) => line)).toEqual([2, 7, 11]);
    const out = code.split('\n');
    expect(out[1]).toBe('  const a = yield __await(__rc$.a(f(),__rcS$[0]));');
    expect(out[6]).toBe('  const b = yield _awaitAsyncGenerator(__rc$.a(f(),__rcS$[1]));');
    expect(out[10]).toBe('  const c = yield new __await(__rc$.a(f(),__rcS$[2]));');
    for (const index of [2, 3, 7, 11]) expect(out[index]).toBe(source.split('\n')[index]);
  });

  it('a bare yield awaits undefined', () => {
    const { code } = rewriteAwaits('function f() { return __awaiter(this, void 0, void 0, function* () { yield; }); }', 'bare.js', { url: 'file:///bare.js', sourceType: 'commonjs' });
    expect(code).toContain('yield __rc$.a(void 0,__rcS$[0]);');
  });

  it('leaves yields of nested functions, yield*, generators of other calls, and __generator outside __awaiter alone', () => {
    const source = [
      'function f() { return __awaiter(this, void 0, void 0, function* () {',
      '  function* inner() { yield 1; }',
      '  const arrow = () => { return [4, 2]; };',
      '  yield* inner();',
      '  return yield g();',
      '}); }',
      'function* plain() { yield 3; }',
      'co(function* () { yield 4; });',
      '__awaiter(this, void 0, void 0, notAFunction);',
      'function h() { return __generator(this, function (_a) { return [4 /*yield*/, 5]; }); }',
    ].join('\n');
    const { code, sites } = rewriteAwaits(source, 'nested.js', { url: 'file:///nested.js', sourceType: 'commonjs' });
    expect(sites.map(([line]) => line)).toEqual([5]);
    const before = source.split('\n');
    code.split('\n').forEach((line, index) => {
      if (index !== 0 && index !== 4) expect(line).toBe(before[index]);
    });
  });
});

describe('a race between two awaits of a transpiled package', () => {
  const include = PACKAGES.flatMap(({ name }) => ['--include', name]);

  it('is found with --include, at the original source lines, and invisible without it', async () => {
    const [native, included] = await Promise.all([
      runMain([`${FIXTURES}/scenario.ts`, '--seed', '1', '--runs', '50', '--json']),
      runMain([`${FIXTURES}/scenario.ts`, ...include, '--seed', '1', '--runs', '50', '--json']),
    ]);
    expect(native.code, native.stderr).toBe(0);
    expect(included.code, included.stderr).toBe(1);
    interface Entry {
      id: string;
      status: string;
      violation: { kind: string; message: string; trace: { site: { file: string; line: number; column: number } | null }[] } | null;
    }
    const scenarios = (JSON.parse(included.stdout) as { scenarios: Entry[] }).scenarios;
    for (const { name, source } of PACKAGES) {
      const id = `${FIXTURES}/scenario.ts#lastBook${name.replace('inventory-', '').replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}`;
      const entry = scenarios.find((scenario) => scenario.id === id);
      expect(entry?.violation, id).toMatchObject({ kind: 'check', message: 'granted 2 books, 1 was in stock' });
      const sites = new Set(entry!.violation!.trace.flatMap(({ site }) => (site ? [`${site.file}:${site.line}:${site.column}`] : [])));
      const file = `${FIXTURES}/node_modules/${name}/${source}`;
      if (source.startsWith('src/')) expect([...sites].sort()).toEqual([`${file}:12:23`, `${file}:14:5`]);
      else expect([...sites].every((site) => site.startsWith(`${file}:`))).toBe(true);
    }
    for (const entry of scenarios.filter((scenario) => scenario.id.includes('#generators'))) expect(entry.status, entry.id).toBe('pass');
  });
});

describe('lowered code, rewritten, runs as it did', () => {
  const ASYNC = [
    'exports.run = async function run() {',
    '  const out = [];',
    '  const inner = async (v) => { try { await Promise.reject(new Error("no " + v)); } catch (e) { return e.message + (await 1); } };',
    '  for (const v of [1, 2]) out.push(await inner(v), await { then(r) { r(v * 10); } });',
    '  for await (const x of [Promise.resolve("a"), "b"]) out.push(x);',
    '  return out;',
    '};',
  ];
  const GENERATORS = [
    '  async function* gen(n) { for (let i = 0; i < n; i++) { const v = await Promise.resolve(i); yield v * 2; } }',
    '  for await (const x of gen(3)) out.push(x);',
  ];
  const withGenerators = [...ASYNC.slice(0, 5), ...GENERATORS, ...ASYNC.slice(5)].join('\n');

  async function compile(kind: string, source: string): Promise<string> {
    if (kind === 'esbuild-es2016') {
      const { transformSync } = await import('esbuild');
      return transformSync(source, { target: 'es2016', format: 'cjs', loader: 'js' }).code;
    }
    if (kind === 'babel') {
      const { transformSync } = await import('@babel/core');
      return transformSync(source, { babelrc: false, configFile: false, sourceType: 'script', presets: [['@babel/preset-env', { targets: { node: '6' }, modules: false }]] })!.code!;
    }
    const target = kind === 'tsc-es5' ? ts.ScriptTarget.ES5 : ts.ScriptTarget.ES2015;
    return ts.transpileModule(source, { compilerOptions: { target, module: ts.ModuleKind.CommonJS, downlevelIteration: true, lib: ['lib.es2018.d.ts'] } }).outputText;
  }

  function load(code: string): () => Promise<unknown> {
    const module = { exports: {} as { run: () => Promise<unknown> } };
    new Function('module', 'exports', 'require', code)(module, module.exports, require);
    return module.exports.run;
  }

  const require = createRequire(import.meta.url);
  beforeAll(() => installRuntime());

  it.each([
    ['tsc-es2015', withGenerators],
    ['tsc-es5', ASYNC.join('\n')],
    ['babel', withGenerators],
    ['esbuild-es2016', withGenerators],
  ])('%s', async (kind, source) => {
    const code = await compile(kind, source);
    expect(code).not.toMatch(/\bawait\b(?! ?\()/);
    const { code: rewritten, sites } = rewriteAwaits(code, 'lowered.cjs', { url: 'file:///lowered.cjs', sourceType: 'commonjs' });
    expect(sites.length).toBeGreaterThanOrEqual(kind === 'tsc-es5' ? 4 : 6);
    const expected = ['no 11', 10, 'no 21', 20, 'a', 'b', ...(kind === 'tsc-es5' ? [] : [0, 2, 4])];
    expect(await load(code)()).toEqual(expected);
    expect(await load(rewritten)()).toEqual(expected);

    // Inside runs, each lowered await pauses its task at the runtime's gate, which the helper adopts:
    // every schedule still gives the native result, and the rewritten code takes more steps.
    const scenario = (run: () => Promise<unknown>) => ({
      tasks: [run, run],
      check: (_state: unknown, results: Record<string, { status: string; value?: unknown }>) =>
        Object.values(results).every((result) => JSON.stringify(result.value) === JSON.stringify(expected)) || JSON.stringify(results),
    });
    const native = await runScenario(scenario(load(code)), { seed: 7, runs: 20 });
    const instrumented = await runScenario(scenario(load(rewritten)), { seed: 7, runs: 20 });
    expect(native.status).toBe('pass');
    expect(instrumented.status, JSON.stringify(instrumented.violation)).toBe('pass');
    expect(instrumented.steps).toBeGreaterThan(native.steps);
  });
});
