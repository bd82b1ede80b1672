import { describe, expect, it } from 'vitest';
import { OrderedEvents } from '../../src/cli/ordered-events.js';
import type { Reporter, ScenarioReport } from '../../src/report/types.js';

const report = (id: string): ScenarioReport => ({
  id,
  file: id.slice(0, id.indexOf('#')),
  name: id,
  status: 'pass',
  runs: 1,
  steps: 1,
  durationMs: 0,
  search: { strategy: 'random', schedules: 1, complete: false },
  violation: null,
});

describe('OrderedEvents', () => {
  it('gives each file its events in file order, whatever order the files finish in', () => {
    const seen: string[] = [];
    const reporter: Reporter = {
      onStart: ({ files }) => seen.push(`start ${files.length}`),
      onFileStart: ({ file }) => seen.push(`file ${file}`),
      onScenarioStart: ({ id }) => seen.push(`begin ${id}`),
      onProgress: ({ id }) => seen.push(`progress ${id}`),
      onScenarioEnd: ({ id }) => seen.push(`end ${id}`),
    };
    const events = new OrderedEvents([reporter], { files: ['a.ts', 'b.ts', 'c.ts'], seed: 1, version: '0' });
    // c and b finish before a.
    events.fileStart(2, { file: 'c.ts', scenarios: [{ id: 'c.ts#x', name: 'x', runs: 1 }] });
    events.scenarioStart(2, { id: 'c.ts#x', name: 'x', runs: 1 });
    events.progress(2, { id: 'c.ts#x', runs: 1, totalRuns: 1, elapsedMs: 1 });
    events.scenarioEnd(2, report('c.ts#x'));
    events.fileEnd(2);
    events.fileStart(1, { file: 'b.ts', scenarios: [] });
    events.fileEnd(1);
    expect(seen).toEqual([]);
    events.fileStart(0, { file: 'a.ts', scenarios: [{ id: 'a.ts#x', name: 'x', runs: 1 }] });
    events.scenarioStart(0, { id: 'a.ts#x', name: 'x', runs: 1 });
    events.progress(0, { id: 'a.ts#x', runs: 1, totalRuns: 1, elapsedMs: 1 });
    events.scenarioEnd(0, report('a.ts#x'));
    events.fileEnd(0);
    // Progress of a file that is not being reported is dropped, not queued; a file without scenarios says nothing.
    expect(seen).toEqual(['start 3', 'file a.ts', 'begin a.ts#x', 'progress a.ts#x', 'end a.ts#x', 'file c.ts', 'begin c.ts#x', 'end c.ts#x']);
  });
});
