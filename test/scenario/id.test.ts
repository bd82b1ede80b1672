import { describe, expect, it } from 'vitest';
import { formatScenarioId, parseScenarioId } from '../../src/scenario/id.js';

describe('scenario ids', () => {
  it('are the file and the export, split again at the last #', () => {
    expect(formatScenarioId('scenarios/counter.ts', 'buggyCounter')).toBe('scenarios/counter.ts#buggyCounter');
    expect(parseScenarioId('scenarios/counter.ts#buggyCounter')).toEqual({ file: 'scenarios/counter.ts', exportName: 'buggyCounter' });
    // A path may hold a #; an export's name cannot.
    expect(parseScenarioId(formatScenarioId('issues/#12/race.ts', 'lostUpdate'))).toEqual({ file: 'issues/#12/race.ts', exportName: 'lostUpdate' });
  });

  it('are not ids without a file or an export', () => {
    for (const id of ['scenarios/counter.ts', '#buggyCounter', 'scenarios/counter.ts#', '']) expect(parseScenarioId(id), id).toBeUndefined();
  });
});
