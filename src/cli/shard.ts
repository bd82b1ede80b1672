import type { Shard } from '../report/types.js';

/**
 * The i-th of n parts of the scenario files. Sharding is by file, not by scenario: a shard then imports
 * only its own files (a scenario's list is known only once its file has loaded, and loading is most of
 * what a small file costs), and a file's scenarios keep sharing one process. The files are ordered by path
 * and cut into n contiguous runs whose sizes differ by one at most: the same list always gives the same
 * parts, the parts never overlap, and together they are the whole list.
 */
export function selectShard<T extends { readonly file: string }>(files: readonly T[], shard: Shard): T[] {
  const sorted = [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const from = Math.ceil(((shard.index - 1) * sorted.length) / shard.count);
  const to = Math.ceil((shard.index * sorted.length) / shard.count);
  const chosen = new Set(sorted.slice(from, to));
  // Reported in the order they were found, as without a shard.
  return files.filter((file) => chosen.has(file));
}
