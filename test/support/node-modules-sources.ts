/**
 * The source files of the project's own node_modules, as the differential test (test/instrument/) and the
 * rewrite benchmark (bench/rewrite.ts) see them: every .js/.mjs/.cjs/.ts/.mts/.cts file that is not a
 * declaration file, with the source type Node would load it with.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SOURCE = /\.(?:[cm]?[jt]s)$/;
const DECLARATION = /\.d\.[cm]?ts$/;

/** Every source file under `directory`, in the order the directory listings give them. */
export function listSourceFiles(directory: string, out: string[] = []): string[] {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) listSourceFiles(full, out);
    else if (entry.isFile() && SOURCE.test(entry.name) && !DECLARATION.test(entry.name)) out.push(full);
  }
  return out;
}

/** The package a file belongs to: the path segment(s) after its last `node_modules/`. */
export function packageOf(file: string): string {
  const parts = file.split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  const name = parts[at + 1] ?? '';
  return name.startsWith('@') ? `${name}/${parts[at + 2]}` : name;
}

const packageTypes = new Map<string, 'module' | 'commonjs'>();

/** As Node decides: .mjs/.mts are modules, .cjs/.cts CommonJS, others follow the nearest package.json's "type". */
export function sourceTypeOf(file: string): 'module' | 'commonjs' {
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

/**
 * Splits `files` into `count` parts of about the same number of bytes (the rewrite's cost grows with a
 * file's size, and a few bundles of megabytes weigh as much as thousands of small files): largest first,
 * each to the lightest part so far, ties by path. The same files give the same parts, whatever order they
 * were listed in, and every file is in exactly one part. Each part keeps the files' listing order.
 */
export function partitionBySize(files: readonly string[], count: number): string[][] {
  const sized = files.map((file, index) => ({ file, index, size: statSync(file).size }));
  const bySize = [...sized].sort((a, b) => b.size - a.size || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const parts = Array.from({ length: count }, () => ({ bytes: 0, members: [] as { file: string; index: number }[] }));
  for (const entry of bySize) {
    let lightest = parts[0]!;
    for (const part of parts) if (part.bytes < lightest.bytes) lightest = part;
    lightest.bytes += entry.size;
    lightest.members.push(entry);
  }
  return parts.map((part) => part.members.sort((a, b) => a.index - b.index).map((member) => member.file));
}
