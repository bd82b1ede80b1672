import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeTimings, parseReport, runMain, withoutDurations } from './helpers.js';

/**
 * Files run in parallel, but the report is given in file order: it does not depend on --workers. (No
 * scenario here waits on virtual timers: whether real I/O looked in flight at such a wait, search.realIo,
 * can differ on a loaded machine, which is a matter of the run loop, not of the workers.)
 */
const FILES = [
  'test/fixtures/core/imported.ts',
  'scenarios/counter.ts',
  'test/fixtures/core/syntax-error.ts',
  'test/fixtures/cli/exits.ts',
  'test/fixtures/core/counter-locked.ts',
  'test/fixtures/core/counter.ts',
];

describe('--workers', () => {
  it('gives the same report with 1 worker and with 4, apart from durations', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racecheck-workers-'));
    // The pretty report on stdout and the JSON one in a file, from the same run; blocking is not what this is about.
    const runs = await Promise.all(
      ['1', '4'].map((workers) => runMain([...FILES, '--seed', '17', '--max-blocking', '60000', '--workers', workers, '--reporter', 'pretty', '--reporter', `json:${dir}/${workers}.json`])),
    );
    expect(runs.map((run) => run.code)).toEqual([1, 1]);
    expect(normalizeTimings(runs[1]!.stdout)).toBe(normalizeTimings(runs[0]!.stdout));
    const [one, four] = await Promise.all(['1', '4'].map(async (workers) => parseReport(await readFile(`${dir}/${workers}.json`, 'utf8'))));
    expect(JSON.stringify(withoutDurations(four!), null, 1)).toBe(JSON.stringify(withoutDurations(one!), null, 1));
  });
});
