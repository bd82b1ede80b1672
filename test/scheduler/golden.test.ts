import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario, type ScenarioResult, type StrategyName } from 'racecheck';

/**
 * Reports for fixed seeds, committed before the scheduler's hot path was optimised: any change to the
 * schedules a seed produces (choices, traces, messages, run counts) shows up as a diff here.
 */
const FILES = [
  'scenarios/counter.ts',
  'test/fixtures/core/counter.ts',
  'test/fixtures/core/counter-locked.ts',
  'test/fixtures/core/imported.ts',
  'test/fixtures/core/rate-limiter.ts',
  'test/fixtures/core/failures.ts',
  'test/fixtures/core/timers.ts',
  'test/fixtures/core/typescript-syntax.ts',
  'test/fixtures/core/strategies.ts',
];
const STRATEGIES: readonly StrategyName[] = ['random', 'pct', 'exhaustive', 'portfolio'];

function stable(result: ScenarioResult) {
  const { durationMs: _duration, ...rest } = result;
  return rest;
}

describe('golden reports', () => {
  it('gives the same report for the same seed as before the hot path was optimised', async () => {
    const reports: Record<string, unknown> = {};
    for (const file of FILES) {
      for (const scenario of await loadScenarios(file)) {
        if (scenario.exportName === 'driftsBetweenRuns') continue;
        for (const strategy of STRATEGIES) {
          const result = await runScenario(scenario, { seed: 4242, runs: 40, strategy });
          reports[`${scenario.id} ${strategy}`] = stable(result);
        }
      }
    }
    await expect(`${JSON.stringify(reports, null, 1)}\n`).toMatchFileSnapshot('__snapshots__/golden-reports.json');
  });
});
