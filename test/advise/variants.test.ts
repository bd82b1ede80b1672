import { describe, expect, it } from 'vitest';
import type { LockAdvisor } from '../../src/advise/advisor.js';
import { adviseVariants } from '../../src/advise/variants.js';
import { toReportAdvice } from '../../src/report/advice.js';
import { decodeReplayToken } from '../../src/report/replay-token.js';
import { EARLIER_RUN, type ScenarioResult, type TraceStep } from '../../src/scheduler/result.js';

const site = { key: 'src/counter.ts:8:18', file: 'src/counter.ts', line: 8, column: 18, text: '  readonly #lock = new Lock();' };

/** An advisor that saw one lock, taken across an await. */
const advisor = {
  lockSites: () => [site],
  kindOf: () => 'Lock',
  acquireSites: () => [],
  withoutAwait: () => false,
} as unknown as LockAdvisor;

/** A failed variant search whose violation's run took `trace`. */
function failedWith(trace: TraceStep[]): ScenarioResult {
  return {
    id: 'scenarios/counter.ts#fixedCounter',
    name: 'fixedCounter',
    runs: 3,
    failedRuns: 1,
    steps: trace.length,
    durationMs: 1,
    seed: 5,
    search: { strategy: 'random', schedules: 3, complete: false },
    status: 'fail',
    violation: { kind: 'check', message: 'expected 10, got 9', run: 3, seed: 11, step: 3, strategy: 'random', choices: [0, 1, 0], counts: [2, 2, 1], trace, preemptions: 1, shrunk: false },
  };
}

const step = (n: number, origin?: string): TraceStep => ({ step: n, task: origin ? 'timer' : 't1', kind: origin ? 'timer' : 'await', site: null, ...(origin ? { origin } : {}) });

async function variantToken(trace: TraceStep[]) {
  const advice = await adviseVariants(advisor, async () => failedWith(trace));
  const [needed] = toReportAdvice(advice, 'scenarios/counter.ts#fixedCounter', (replay) => `racecheck scenarios/counter.ts --replay ${replay}`);
  if (needed?.code !== 'lock-needed') throw new Error(`expected lock-needed, got ${needed?.code}`);
  return decodeReplayToken(needed.violation.replay);
}

describe('a lock-needed variant\'s replay token', () => {
  it('records the step from which its run fired a timer an earlier run left, as the violation\'s own token does', async () => {
    expect(await variantToken([step(1), step(2, EARLIER_RUN), step(3, EARLIER_RUN)])).toEqual({
      id: 'scenarios/counter.ts#fixedCounter',
      strategy: 'random',
      seed: 11,
      choices: [0, 1, 0],
      counts: [2, 2, 1],
      bypass: [site.key],
      carriedFrom: 2,
    });
  });

  it('records none when every timer it fired was its own', async () => {
    expect(await variantToken([step(1), step(2, 't1'), step(3)])).not.toHaveProperty('carriedFrom');
  });
});
