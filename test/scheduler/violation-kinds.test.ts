import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VIOLATION_KIND_NAMES, VIOLATION_KINDS } from '../../src/scheduler/violation-kinds.js';

describe('the table of violation kinds', () => {
  it('is the JSON schema’s enum of kinds, in both directions', () => {
    const schema = readFileSync('docs/report.schema.json', 'utf8');
    const enums = [...schema.matchAll(/"enum":\s*\[([^\]]*)\]/g)].map((match) => JSON.parse(`[${match[1]}]`) as string[]);
    const kinds = enums.find((list) => list.includes('deadlock'));
    expect(kinds?.slice().sort()).toEqual([...VIOLATION_KIND_NAMES].sort());
  });

  it('marks exactly the wall-clock kinds as confirmed by replay and never shrunk', () => {
    const wall = VIOLATION_KIND_NAMES.filter((kind) => VIOLATION_KINDS[kind].clock === 'wall');
    expect(wall.sort()).toEqual(['blocked-loop', 'timeout']);
    for (const kind of wall) expect(VIOLATION_KINDS[kind].shrinkable).toBe(false);
  });
});
