import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseSync } from 'oxc-parser';
import { describe, expect, it } from 'vitest';
import { countLines } from '../../src/instrument/lines.js';
import { InstrumentSyntaxError, languageOf, rewriteAwaits } from '../../src/instrument/rewrite.js';

/**
 * A differential test on thousands of real files: every .js/.mjs/.cjs/.ts/.mts/.cts file of every package
 * in the project's own node_modules is rewritten, in-process, with the source type Node would load it with.
 * Each rewritten file must parse with the same language and source type, have the same number of lines,
 * and (below a megabyte) have every await still there, its operand now the runtime's call.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const SOURCE = /\.(?:[cm]?[jt]s)$/;
const DECLARATION = /\.d\.[cm]?ts$/;

function sourceFiles(directory: string, out: string[] = []): string[] {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) sourceFiles(full, out);
    else if (entry.isFile() && SOURCE.test(entry.name) && !DECLARATION.test(entry.name)) out.push(full);
  }
  return out;
}

/** The package a file belongs to: the path segment(s) after its last `node_modules/`. */
function packageOf(file: string): string {
  const parts = file.split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  const name = parts[at + 1] ?? '';
  return name.startsWith('@') ? `${name}/${parts[at + 2]}` : name;
}

const packageTypes = new Map<string, 'module' | 'commonjs'>();
/** As Node decides: .mjs/.mts are modules, .cjs/.cts CommonJS, others follow the nearest package.json's "type". */
function sourceTypeOf(file: string): 'module' | 'commonjs' {
  if (/\.m[jt]s$/.test(file)) return 'module';
  if (/\.c[jt]s$/.test(file)) return 'commonjs';
  for (let directory = path.dirname(file); directory !== path.dirname(directory); directory = path.dirname(directory)) {
    const known = packageTypes.get(directory);
    if (known) return known;
    const manifest = path.join(directory, 'package.json');
    if (!existsSync(manifest)) continue;
    let type: 'module' | 'commonjs' = 'commonjs';
    try {
      type = (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type === 'module' ? 'module' : 'commonjs';
    } catch {
      continue;
    }
    packageTypes.set(directory, type);
    return type;
  }
  return 'commonjs';
}

interface Counted {
  awaits: number;
  forAwaits: number;
  wrappedAwaits: number;
  wrappedForAwaits: number;
}

const isRuntimeCall = (node: Record<string, unknown> | undefined, method: string): boolean => {
  const callee = node?.type === 'CallExpression' ? (node.callee as Record<string, unknown>) : undefined;
  const object = callee?.object as Record<string, unknown> | undefined;
  const property = callee?.property as Record<string, unknown> | undefined;
  return callee?.type === 'MemberExpression' && object?.name === '__rc$' && property?.name === method;
};

function countAwaits(program: unknown): Counted {
  const counted: Counted = { awaits: 0, forAwaits: 0, wrappedAwaits: 0, wrappedForAwaits: 0 };
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    const record = node as Record<string, unknown>;
    if (record.type === 'AwaitExpression') {
      counted.awaits += 1;
      if (isRuntimeCall(record.argument as Record<string, unknown>, 'a')) counted.wrappedAwaits += 1;
    } else if (record.type === 'ForOfStatement' && record.await === true) {
      counted.forAwaits += 1;
      if (isRuntimeCall(record.right as Record<string, unknown>, 'fa')) counted.wrappedForAwaits += 1;
    }
    for (const key in record) if (key !== 'parent' && typeof record[key] === 'object') visit(record[key]);
  };
  visit(program);
  return counted;
}

/**
 * About 20 s of CPU on an idle machine, nearly all of it in the rewrite itself, in one synchronous loop
 * that ends when the files do: on a machine whose cores are busy it takes a few times longer, and only
 * that, so the limit is far above vitest's default.
 */
const TIMEOUT_MS = 300_000;

describe('the rewrite on every source file of node_modules', () => {
  it('keeps each file parsable, its lines, and every await', { timeout: TIMEOUT_MS }, () => {
    const started = performance.now();
    const files = sourceFiles(path.join(ROOT, 'node_modules'));
    const packages = new Set<string>();
    const failures: string[] = [];
    const notForNode: string[] = [];
    let rewritten = 0;
    let sites = 0;
    let structural = 0;
    for (const file of files) {
      packages.add(packageOf(file));
      const source = readFileSync(file, 'utf8');
      const lang = languageOf(file);
      const url = pathToFileURL(file).href;
      let sourceType = sourceTypeOf(file);
      let result;
      try {
        result = rewriteAwaits(source, file, { url, sourceType });
      } catch (error) {
        if (!(error instanceof InstrumentSyntaxError)) throw error;
        // Packages ship files Node never loads with that source type (ESM for bundlers in a CommonJS
        // package, a file for browsers): they count under the other type if they parse as one.
        sourceType = sourceType === 'module' ? 'commonjs' : 'module';
        try {
          result = rewriteAwaits(source, file, { url, sourceType });
        } catch (again) {
          if (!(again instanceof InstrumentSyntaxError)) throw again;
          notForNode.push(path.relative(ROOT, file));
          continue;
        }
      }
      const relative = path.relative(ROOT, file);
      if (countLines(result.code) !== countLines(source)) failures.push(`${relative}: ${countLines(source)} lines became ${countLines(result.code)}`);
      if (result.sites.length === 0) {
        // Without an await, only the state rewrite (state-access.ts) changes a file: it must still parse.
        if (result.code !== source) {
          const error = parseSync(file, result.code, { lang, sourceType }).errors.find((e) => e.severity === 'Error');
          if (error) failures.push(`${relative}: the file, changed without a site, does not parse: ${error.message}`);
        }
        continue;
      }
      rewritten += 1;
      sites += result.sites.length;
      const parsed = parseSync(file, result.code, { lang, sourceType });
      const error = parsed.errors.find((e) => e.severity === 'Error');
      if (error) {
        failures.push(`${relative}: the rewritten file does not parse: ${error.message}`);
        continue;
      }
      // Building a JavaScript AST costs far more than parsing: the bundles of a megabyte and more are
      // checked for parsing and lines only (the forms tests cover what they contain).
      if (source.length > 1_000_000) continue;
      structural += 1;
      // Every await of the output is the runtime's call: so none was missed (it would be there unwrapped),
      // and none was added (the rewrite writes no `await`). Transpiled awaits (yields) are counted in sites.
      const after = countAwaits(parsed.program);
      if (after.wrappedAwaits !== after.awaits || after.wrappedForAwaits !== after.forAwaits) failures.push(`${relative}: not every await is wrapped: ${JSON.stringify(after)}`);
      if (after.awaits + after.forAwaits > result.sites.length) failures.push(`${relative}: ${result.sites.length} sites for ${JSON.stringify(after)}`);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `differential rewrite: ${files.length} files of ${packages.size} packages, ${rewritten} rewritten with ${sites} sites, ` +
        `${structural} of them checked await by await, ${notForNode.length} not parsable as shipped, ${seconds.toFixed(1)} s`,
    );
    expect(failures).toEqual([]);
    expect(files.length).toBeGreaterThan(2000);
    expect(rewritten).toBeGreaterThan(100);
    // Files that parse under no source type are few, and they are files no Node program loads.
    expect(notForNode.length).toBeLessThan(files.length / 100);
  });
});
