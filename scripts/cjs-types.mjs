#!/usr/bin/env node
/**
 * Writes `<entry>.d.cts` next to each entry's `.d.ts`: the types a CommonJS importer sees. The package is
 * ESM only; on the Node versions it supports, `require()` of it returns its namespace (require(esm)), and
 * these files say so to TypeScript, which otherwise refuses the import under `module: node16` (TS1479).
 *
 *   node scripts/cjs-types.mjs <dist dir> <entry>...
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const [dir, ...entries] = process.argv.slice(2);
if (!dir || entries.length === 0) {
  process.stderr.write('usage: node scripts/cjs-types.mjs <dist dir> <entry>...\n');
  process.exit(2);
}
for (const entry of entries) {
  const base = path.basename(entry);
  writeFileSync(path.join(dir, `${entry}.d.cts`), `export * from './${base}.js';\n`);
}
