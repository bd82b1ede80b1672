/**
 * issue 9: a busy machine must not confirm a blocked loop. The replays that confirm a wall-clock verdict
 * (src/scheduler/confirm.ts) leave out of a step's time what the thread spent waiting for a CPU, as Linux
 * counts it (src/scheduler/run-queue.ts). Here that count is made up: a machine so busy that the thread
 * waits for a core for 95 % of every real millisecond. `npm run stress` runs test/fixtures/trust/contended.ts,
 * which makes the machine that busy for real.
 */
import { describe, expect, it, vi } from 'vitest';
import { normalizeScenario } from '../../src/scenario/normalize.js';
import { confirmWallClockVerdict } from '../../src/scheduler/confirm.js';
import { Run } from '../../src/scheduler/run.js';
import { createRandomStrategy } from '../../src/scheduler/strategies/random.js';

const machine = vi.hoisted(() => ({ waitingShare: 0, realNow: performance.now.bind(performance) }));
vi.mock('../../src/scheduler/run-queue.js', () => ({ runQueueWaitMs: () => machine.waitingShare * machine.realNow() }));

/** A step that holds the event loop for 500 ms of real time, 10x the limit. */
const scenario = normalizeScenario(
  {
    tasks: [
      async () => {
        await null;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
      },
    ],
  },
  'holds',
);
const limits = { maxSteps: 1000, timeoutMs: 60_000, maxBlockingMs: 50 };

async function firstRun() {
  const strategy = createRandomStrategy();
  strategy.startRun({ seed: 1, index: 0, taskCount: 1 });
  const outcome = await new Run({ scenario, seed: 1, strategy, ...limits }).execute();
  if (outcome.status === 'error' || !outcome.blockedLoop) throw new Error('the first run, timed by the wall clock, must note the step');
  return outcome;
}

describe('confirming a blocked loop', () => {
  it('leaves out the time the thread waited for a CPU, so a step slowed only by the machine is not confirmed', async () => {
    const outcome = await firstRun();
    machine.waitingShare = 0.95;
    try {
      // 500 ms of wall time, 475 of them waiting for a core: the step itself took 25 ms, under the limit.
      expect(await confirmWallClockVerdict({ scenario, seed: 1, limits, record: outcome.record, violation: outcome.blockedLoop! })).toBeNull();
    } finally {
      machine.waitingShare = 0;
    }
  });

  it('confirms a step that holds the loop by itself, with the time it held it', async () => {
    const outcome = await firstRun();
    const confirmed = await confirmWallClockVerdict({ scenario, seed: 1, limits, record: outcome.record, violation: outcome.blockedLoop! });
    expect(confirmed).toMatchObject({ kind: 'blocked-loop', reproduced: { tries: 2, failed: 2 } });
    expect(confirmed!.message).toMatch(/^step 1 \(t0\) blocked the event loop for (\d{3,}) ms \(limit 50 ms\)$/);
    expect(Number(/for (\d+) ms/.exec(confirmed!.message)![1])).toBeGreaterThanOrEqual(500);
  });
});
