import { describe, expect, it } from 'vitest';
import { selectShard } from '../../src/cli/shard.js';
import { parseReport, runMain } from './helpers.js';

const files = (names: string[]) => names.map((file) => ({ file }));

describe('--shard i/n', () => {
  it('cuts the files into n parts that are disjoint, cover the list, differ in size by one at most, and do not depend on its order', () => {
    const list = files(Array.from({ length: 11 }, (_, i) => `scenarios/f${String(i).padStart(2, '0')}.ts`));
    for (const count of [1, 2, 3, 4, 11, 13]) {
      const parts = Array.from({ length: count }, (_, i) => selectShard(list, { index: i + 1, count }).map((f) => f.file));
      expect(parts.flat().sort()).toEqual(list.map((f) => f.file));
      const sizes = parts.map((part) => part.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      const shuffled = [...list].reverse();
      expect(parts.map((_, i) => selectShard(shuffled, { index: i + 1, count }).map((f) => f.file).sort())).toEqual(parts.map((part) => [...part].sort()));
    }
  });

  it('runs only its part of the files, and the parts together are the whole run', async () => {
    const args = ['test/fixtures/core/counter*.ts', 'test/fixtures/cli/config-project/checks', '--runs', '3', '--seed', '1', '--json'];
    const [first, second] = await Promise.all([1, 2].map((index) => runMain([...args, '--shard', `${index}/2`])));
    const ids = [first!, second!].map((run) => parseReport(run.stdout).scenarios.map((s) => s.id));
    expect(parseReport(first!.stdout).shard).toEqual({ index: 1, count: 2 });
    expect(ids[0]!.filter((id) => ids[1]!.includes(id))).toEqual([]);
    expect([...ids[0]!, ...ids[1]!].sort()).toEqual([
      'test/fixtures/cli/config-project/checks/atomic.ts#atomic',
      'test/fixtures/cli/config-project/checks/racy.ts#racy',
      'test/fixtures/core/counter-locked.ts#exclusive',
      'test/fixtures/core/counter-locked.ts#locked',
      'test/fixtures/core/counter.ts#atomic',
      'test/fixtures/core/counter.ts#racy',
    ]);
    expect(ids.map((part) => new Set(part.map((id) => id.slice(0, id.indexOf('#')))).size)).toEqual([2, 2]);
  });

  it('has nothing to do when there are more shards than files, and says so', async () => {
    const { code, stdout, stderr } = await runMain(['scenarios/counter.ts', '--shard', '2/3', '--json']);
    expect(code).toBe(0);
    expect(parseReport(stdout)).toMatchObject({ scenarios: [], shard: { index: 2, count: 3 } });
    expect(stderr).toBe('racecheck: shard 2/3 has no scenario files (there are fewer files than shards)\n');
  });
});
