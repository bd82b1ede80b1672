import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario } from 'racecheck';
import { normalizeScenario } from '../../src/scenario/normalize.js';
import { Run } from '../../src/scheduler/run.js';
import { shrinkSchedule } from '../../src/scheduler/shrink.js';
import { createRandomStrategy } from '../../src/scheduler/strategies/random.js';

/** issue 9 item 5: cost grows linearly (the figures are in `npm run bench:throughput`; these are the verdicts). */
describe('many tasks', () => {
  it('passes a correct thousand-task scenario under the defaults', async () => {
    const [scenario] = await loadScenarios('test/fixtures/trust/many-tasks.ts');
    const result = await runScenario(scenario!, { seed: 1 });
    expect(result.status, result.status === 'fail' ? result.violation.message : '').toBe('pass');
    expect(result.runs).toBe(100);
  });

  it('stops shrinking at its budget, before any more bookkeeping, even with thousands of deviations', async () => {
    // 2,000 tasks started in a random order, and a check that fails only for exactly that order: every one of
    // its ~2,000 departures from the default schedule is needed, the worst case for delta debugging.
    const tasks = 2000;
    let target: string | undefined;
    const scenario = normalizeScenario(
      {
        setup: () => ({ order: [] as number[] }),
        tasks: Array.from({ length: tasks }, (_, i) => (s: { order: number[] }) => void s.order.push(i)),
        check: (s: { order: number[] }) => {
          const order = s.order.join();
          target ??= order;
          return order !== target;
        },
      },
      'deviations',
    );
    const strategy = createRandomStrategy();
    strategy.startRun({ seed: 1, index: 0, taskCount: tasks });
    const limits = { maxSteps: 100_000, timeoutMs: 60_000, maxBlockingMs: 60_000 };
    const outcome = await new Run({ scenario, seed: 1, strategy, ...limits }).execute();
    if (outcome.status !== 'fail' || !outcome.violation) throw new Error('the first run must fail');
    let runs = 0;
    const shrunk = await shrinkSchedule({
      scenario,
      seed: 1,
      limits,
      record: outcome.record,
      violation: outcome.violation,
      budget: { runs: 30, ms: 600_000 },
      onRunStart: () => runs++,
    });
    // Thirty runs is the budget: the shrinker stops there (0.1.0 went on building candidate schedules for every
    // granularity of ddmin after its budget was spent: 22 s at 4,000 deviations against 3 s now).
    expect(runs).toBeLessThanOrEqual(30);
    expect(shrunk === null || shrunk.runs <= 30).toBe(true);
  });
});
