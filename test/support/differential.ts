import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseSync } from 'oxc-parser';
import { describe, expect, it } from 'vitest';
import { countLines } from '../../src/instrument/lines.js';
import { InstrumentSyntaxError, languageOf, rewriteAwaits } from '../../src/instrument/rewrite.js';
import { listSourceFiles, packageOf, partitionBySize, sourceTypeOf } from './node-modules-sources.js';

/**
 * A differential test on thousands of real files: every .js/.mjs/.cjs/.ts/.mts/.cts file of every package
 * in the project's own node_modules is rewritten, in-process, with the source type Node would load it with.
 * Each rewritten file must parse with the same language and source type, have the same number of lines,
 * and (below a megabyte) have every await still there, its operand now the runtime's call.
 *
 * It is about 15 s of CPU, in one synchronous loop: one test file would be the suite's longest by far, and
 * would hold one of vitest's workers while the other has run out of files. So the files are split into
 * PARTS parts of about the same size (partitionBySize: the same files give the same parts), and each of
 * test/instrument/differential-<n>.test.ts checks one of them in full; together they check every file.
 */
export const PARTS = 3;

const ROOT = path.resolve(import.meta.dirname, '../..');
const PART_FILE = /^differential-(\d+)\.test\.ts$/;

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
 * About 5 s of CPU a part on an idle machine, nearly all of it in the rewrite itself, in one synchronous loop
 * that ends when the files do: on a machine whose cores are busy it takes a few times longer, and only that,
 * so the limit is far above vitest's default.
 */
const TIMEOUT_MS = 300_000;

/** Declares the test of part `part` (1 to PARTS) of node_modules' source files. */
export function describeDifferentialPart(part: number): void {
  describe(`the rewrite on every source file of node_modules, part ${part} of ${PARTS}`, () => {
    it('keeps each file parsable, its lines, and every await', { timeout: TIMEOUT_MS }, () => {
      // Every part has its test file, or a part would go unchecked without a word.
      const partFiles = readdirSync(path.join(ROOT, 'test', 'instrument')).flatMap((name) => PART_FILE.exec(name)?.[1] ?? []);
      expect(partFiles.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: PARTS }, (_, index) => index + 1));

      const started = performance.now();
      const all = listSourceFiles(path.join(ROOT, 'node_modules'));
      const parts = partitionBySize(all, PARTS);
      expect(new Set(parts.flat()).size).toBe(all.length);
      const files = parts[part - 1] ?? [];
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
        // Most files come back as they were (no await, no shared state): there is nothing of them to check.
        if (result.code === source) continue;
        const relative = path.relative(ROOT, file);
        if (countLines(result.code) !== countLines(source)) failures.push(`${relative}: ${countLines(source)} lines became ${countLines(result.code)}`);
        // A `new` right before a runtime call constructs the runtime's helper (`new __rc$.v(e,X)()`), not `X`.
        const constructed = /\bnew\s+__rc\$\./.exec(result.code);
        if (constructed) failures.push(`${relative}: a new takes the runtime's call for its callee at offset ${constructed.index}`);
        // Parsed once, for both checks: that it parses, and (with sites) that its awaits are all wrapped.
        const parsed = parseSync(file, result.code, { lang, sourceType });
        const error = parsed.errors.find((e) => e.severity === 'Error');
        if (result.sites.length === 0) {
          // Without an await, only the state rewrite (state-access.ts) changes a file: it must still parse.
          if (error) failures.push(`${relative}: the file, changed without a site, does not parse: ${error.message}`);
          continue;
        }
        rewritten += 1;
        sites += result.sites.length;
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
        `differential rewrite, part ${part} of ${PARTS}: ${files.length} of ${all.length} files, of ${packages.size} packages, ${rewritten} rewritten with ${sites} sites, ` +
          `${structural} of them checked await by await, ${notForNode.length} not parsable as shipped, ${seconds.toFixed(1)} s`,
      );
      expect(failures).toEqual([]);
      expect(all.length).toBeGreaterThan(2000);
      // The parts together: more than 100 files rewritten, as the test asked of all of them in one.
      expect(rewritten).toBeGreaterThan(100 / PARTS);
      // Files that parse under no source type are few, and they are files no Node program loads.
      expect(notForNode.length).toBeLessThan(files.length / 100);
    });
  });
}
