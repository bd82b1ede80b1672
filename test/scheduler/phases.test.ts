import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario } from 'racecheck';

describe('setup, check and teardown', () => {
  it('are waited for when they settle through a nextTick queued before the wait began, then a chain of reactions', async () => {
    // What `server.close(callback)` in a teardown does; the drain once ended before the chain did, and the
    // phase was reported as awaiting something nothing would resolve (a false red on get-port 5.1.1).
    const scenarios = await loadScenarios('test/fixtures/trust/phase-ticks.ts');
    expect(scenarios.map((s) => s.exportName).sort()).toEqual(['fixedCheckAfterTick', 'fixedSetupAfterTick', 'fixedTeardownAfterTick']);
    for (const scenario of scenarios) {
      const result = await runScenario(scenario, { seed: 1 });
      expect(result.status === 'error' ? result.error.message : result.status, scenario.exportName).toBe('pass');
      expect(result.runs, scenario.exportName).toBeGreaterThan(1);
    }
  });

  it('resume the work a task left behind when the check waits for it: a background save, an async listener', async () => {
    const scenarios = await loadScenarios('test/fixtures/trust/left-behind.ts');
    expect(scenarios.map((s) => s.exportName).sort()).toEqual(['checkAwaitsBackgroundSave', 'checkWaitsForAsyncListener']);
    for (const scenario of scenarios) {
      const result = await runScenario(scenario, { seed: 1 });
      expect(result.status === 'error' ? result.error.message : result.status === 'fail' ? result.violation.message : result.status, scenario.exportName).toBe('pass');
    }
  });
});
