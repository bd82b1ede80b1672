import { describe, expect, it } from 'vitest';
import { decodeReplayToken, encodeReplayToken, ReplayTokenError } from '../../src/report/replay-token.js';

const recipe = {
  id: 'scenarios/counter.ts#default',
  strategy: 'pct',
  seed: 4294967295,
  choices: [0, 3, 1, 200, 0, 0, 0, 2],
  counts: [4, 4, 3, 300, 2, 2, 1, 3],
};

describe('replay tokens', () => {
  it('round-trip, in URL-safe characters', () => {
    const token = encodeReplayToken(recipe);
    expect(token).toMatch(/^1\.[A-Za-z0-9_-]+$/);
    expect(decodeReplayToken(token)).toEqual(recipe);
  });

  it('stay short for long, repetitive schedules', () => {
    const choices = Array.from({ length: 1000 }, (_, i) => i % 3);
    const token = encodeReplayToken({ ...recipe, choices, counts: choices.map(() => 4) });
    expect(token.length).toBeLessThan(400);
  });

  it('say plainly what is wrong with a token', () => {
    expect(() => decodeReplayToken('hello')).toThrow(ReplayTokenError);
    expect(() => decodeReplayToken('9.AAAA')).toThrow(/format 9 is not supported/);
    expect(() => decodeReplayToken('1.AAAA')).toThrow(/damaged/);
    const token = encodeReplayToken(recipe);
    expect(() => decodeReplayToken(token.slice(0, -4))).toThrow(/damaged/);
  });
});
