import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatAdvice } from '../../src/advise/format.js';
import { toReportAdvice } from '../../src/report/advice.js';
import type { Advice } from '../../src/scheduler/advice.js';
import { decodeReplayToken, encodeReplayToken, ReplayTokenError } from '../../src/report/replay-token.js';

const lock = { file: 'src/counter.ts', line: 8, column: 18, text: '  readonly #lock = new Lock();' };
const acquired = { file: 'src/counter.ts', line: 12, column: 22, text: '    await this.#lock.runExclusive(async () => {' };

describe('replay tokens of a variant without a lock', () => {
  const recipe = { id: 'scenarios/counter.ts#fixedCounter', strategy: 'random', seed: 7, choices: [0, 2, 1], counts: [3, 3, 2] };

  it('carry the no-op sites, and tokens of the program as written stay as they were', () => {
    const plain = encodeReplayToken(recipe);
    expect(decodeReplayToken(plain)).toEqual(recipe);
    expect(encodeReplayToken({ ...recipe, bypass: [] })).toBe(plain);
    const variant = encodeReplayToken({ ...recipe, bypass: ['src/counter.ts:8:18', 'src/other.ts:1:1'] });
    expect(decodeReplayToken(variant)).toEqual({ ...recipe, bypass: ['src/counter.ts:8:18', 'src/other.ts:1:1'] });
  });

  it('reject a tail that claims more sites than there are bytes, at once', () => {
    // The payload of `recipe`, then a count of a billion sites and one byte.
    const bytes = [7, recipe.id.length, ...Buffer.from(recipe.id), 6, ...Buffer.from('random'), 3, 0, 2, 1, 3, 3, 2, 0x80, 0x94, 0xeb, 0xdc, 0x03, 65];
    const token = `1.${deflateRawSync(Uint8Array.from(bytes)).toString('base64url')}`;
    expect(() => decodeReplayToken(token)).toThrow(ReplayTokenError);
  });
});

describe('formatAdvice', () => {
  const advice: Advice[] = [
    {
      code: 'lock-without-await',
      message: 'this lock protects no await: no scheduling point was reached inside any of its 300 critical sections in 100 runs, so the code inside is atomic anyway, and the lock can go',
      lock,
      sites: [acquired],
      primitive: 'Lock',
    },
    {
      code: 'lock-needed',
      message: 'this lock is needed: without it, the check fails: expected 10, got 9',
      lock,
      sites: [acquired],
      primitive: 'Lock',
      violation: { kind: 'check', message: 'expected 10, got 9', run: 2, seed: 5, strategy: 'random', choices: [1, 0], counts: [2, 2], bypass: ['src/counter.ts:8:18'] },
    },
    {
      code: 'lock-order-inversion',
      message: 't1 takes `a` and then `b` while t2 takes `b` and then `a`: each can hold one and wait for the other forever',
      lock,
      locks: [lock, { ...lock, line: 9, text: '  readonly #other = new Lock();' }],
      sites: [],
      primitive: 'Lock',
    },
  ];

  it('writes each finding with its lock, its message wrapped to the width, its sites and the variant replay command', () => {
    const report = toReportAdvice(advice, 'scenarios/counter.ts#fixedCounter', (replay) => `racecheck scenarios/counter.ts --replay ${replay}`);
    const needed = report[1]!;
    if (needed.code !== 'lock-needed') throw new Error('expected lock-needed');
    expect(decodeReplayToken(needed.violation.replay)).toEqual({ id: 'scenarios/counter.ts#fixedCounter', strategy: 'random', seed: 5, choices: [1, 0], counts: [2, 2], bypass: ['src/counter.ts:8:18'] });
    expect(formatAdvice(report, { id: 'scenarios/counter.ts#fixedCounter', width: 80 }).replace(needed.violation.replay, '<token>')).toBe(
      [
        '',
        '─── advice: scenarios/counter.ts#fixedCounter ──────────────────────────────────',
        '  lock-without-await  Lock made at src/counter.ts:8:18  readonly #lock = new Lock();',
        '    this lock protects no await: no scheduling point was reached inside any of',
        '    its 300 critical sections in 100 runs, so the code inside is atomic anyway,',
        '    and the lock can go',
        '    acquired at src/counter.ts:12:22  await this.#lock.runExclusive(async () => {',
        '  lock-needed  Lock made at src/counter.ts:8:18  readonly #lock = new Lock();',
        '    this lock is needed: without it, the check fails: expected 10, got 9',
        '    acquired at src/counter.ts:12:22  await this.#lock.runExclusive(async () => {',
        '    replay the variant without it: racecheck scenarios/counter.ts --replay <token>',
        '  lock-order-inversion  Lock made at src/counter.ts:8:18  readonly #lock = new Lock();',
        '    t1 takes `a` and then `b` while t2 takes `b` and then `a`: each can hold one',
        '    and wait for the other forever',
        '    and the lock made at src/counter.ts:9:18  readonly #other = new Lock();',
      ].join('\n'),
    );
  });
});
