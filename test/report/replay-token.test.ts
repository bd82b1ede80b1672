import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeReplayToken, encodeReplayToken, MAX_SCHEDULE_STEPS, MAX_TOKEN_LENGTH, ReplayTokenError } from '../../src/report/replay-token.js';

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

  it('carry the no-op lock sites and the step an earlier run\'s timer fired at, each without the other, and leave tokens without them as they were', () => {
    const bypass = ['src/cache.ts:3:15'];
    for (const extra of [{ bypass }, { carriedFrom: 8 }, { bypass, carriedFrom: 2 }]) {
      expect(decodeReplayToken(encodeReplayToken({ ...recipe, ...extra }))).toEqual({ ...recipe, ...extra });
    }
    expect(encodeReplayToken({ ...recipe, bypass: [] })).toBe(encodeReplayToken(recipe));
    expect(decodeReplayToken(encodeReplayToken({ ...recipe, bypass: [] }))).toEqual(recipe);
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

describe('decoding is bounded', () => {
  const raw = (bytes: number[]) => `1.${deflateRawSync(Uint8Array.from(bytes)).toString('base64url')}`;
  const varint = (value: number) => {
    const out: number[] = [];
    let rest = value;
    while (rest >= 0x80) {
      out.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    out.push(rest);
    return out;
  };
  const text = (value: string) => [...varint(Buffer.byteLength(value)), ...Buffer.from(value)];
  const header = [...varint(7), ...text('a.ts#x'), ...text('random')];

  it('refuses a payload that inflates past any real schedule, without inflating it all', () => {
    expect(() => decodeReplayToken(`1.${deflateRawSync(Buffer.alloc(16 * 1024 * 1024)).toString('base64url')}`)).toThrow(/decompresses to more than [\d,]+ bytes/);
  });

  it('refuses a count it could not hold before allocating for it', () => {
    expect(() => decodeReplayToken(raw([...header, ...varint(MAX_SCHEDULE_STEPS + 1)]))).toThrow(/its schedule has 1000001 steps, more than the 1,000,000/);
    expect(() => decodeReplayToken(raw([...header, ...varint(500_000), 0, 0]))).toThrow(/its schedule is shorter than it says/);
  });

  it('refuses values out of range: seeds past 32 bits, choices past their counts, ids that are not <file>#<export>', () => {
    expect(() => decodeReplayToken(raw([...varint(2 ** 52), ...text('a.ts#x'), ...text('random'), 0]))).toThrow('the replay token is damaged (its seed is out of range)');
    expect(() => decodeReplayToken(raw([...header, 1, 3, 2]))).toThrow('step 1 chooses candidate 3 of 2');
    expect(() => decodeReplayToken(raw([...header, 1, 0, 0]))).toThrow('step 1 chooses candidate 0 of 0');
    expect(() => decodeReplayToken(raw([...varint(1), ...text('no-export'), ...text('random'), 0]))).toThrow('its scenario id "no-export" is not <file>#<export>');
    expect(() => decodeReplayToken(raw([...varint(1), ...text('a.ts#x'), ...text('$(rm -rf)'), 0]))).toThrow(/its strategy name .* is not one racecheck writes/);
    expect(() => decodeReplayToken('1.' + 'A'.repeat(MAX_TOKEN_LENGTH + 1))).toThrow(/the replay token is too long/);
  });

  it('refuses a tail that says nothing or names a step outside the schedule', () => {
    const oneStep = [...header, 1, 0, 1];
    expect(decodeReplayToken(raw([...oneStep, 0, 1]))).toMatchObject({ carriedFrom: 1 });
    expect(() => decodeReplayToken(raw([...oneStep, 0]))).toThrow('it makes 0 locks no-ops');
    expect(() => decodeReplayToken(raw([...oneStep, 17]))).toThrow('it makes 17 locks no-ops, more than 16');
    expect(() => decodeReplayToken(raw([...oneStep, 0, 2]))).toThrow("an earlier run's timer fired at step 2, outside its schedule of 1 step");
    expect(() => decodeReplayToken(raw([...oneStep, 0, 0]))).toThrow("at step 0, outside");
    expect(() => decodeReplayToken(raw([...oneStep, 0, 1, 0]))).toThrow('it has bytes after the schedule');
  });
});
