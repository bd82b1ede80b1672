#!/usr/bin/env node
/**
 * Writes a `.d.cts` beside every `.d.ts` under a dist directory: the types a CommonJS importer sees. The
 * package is ESM only; on the Node versions it supports, `require()` of it returns its namespace
 * (require(esm)), and these files say so to TypeScript, which otherwise refuses the import from a
 * CommonJS file under `module: node16` (TS1479). Relative imports point at the `.d.cts` copies, so the
 * whole graph is CommonJS to TypeScript; type-only imports of other packages (vitest's types are ESM
 * only) say that they resolve as imports (TS1541 otherwise).
 *
 *   node scripts/cjs-types.mjs <dist dir>
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [dir] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node scripts/cjs-types.mjs <dist dir>\n');
  process.exit(2);
}
const RELATIVE = /((?:from|import)\s*\(?\s*)(['"])(\.\.?\/[^'"]*?)\.js\2/g;
const PACKAGE_TYPE_IMPORT = /^(import type [^;]*? from (['"])(?!node:)[^.'"][^'"]*\2);$/gm;
for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = path.join(entry.parentPath ?? entry.path, entry.name);
  // A CommonJS entry of its own (compiled from a .cts file) has its own declarations.
  if (existsSync(file.replace(/\.d\.ts$/, '.cjs'))) continue;
  const text = readFileSync(file, 'utf8')
    .replace(RELATIVE, '$1$2$3.cjs$2')
    .replace(PACKAGE_TYPE_IMPORT, "$1 with { 'resolution-mode': 'import' };")
    .replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
  writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), text);
}
