import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario, STRATEGY_NAMES } from 'racecheck';

const ORDERS = 'test/fixtures/fidelity/node-order.mjs';

/**
 * SPEC §2, "Never an order Node itself rules out": each fixture asserts an order Node documents or always
 * produces. Plain Node confirms the order first, then every strategy must never break it.
 */
describe('fidelity to Node’s own ordering guarantees', () => {
  it('holds natively: every order, 30 times over, in plain Node', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['test/fixtures/fidelity/native.mjs', ORDERS, '30']);
    const failures = JSON.parse(stdout) as Record<string, string[]>;
    expect(Object.keys(failures).length).toBeGreaterThanOrEqual(25);
    expect(Object.fromEntries(Object.entries(failures).filter(([, list]) => list.length > 0))).toEqual({});
  });

  it('is never broken under any strategy', async () => {
    const scenarios = await loadScenarios(ORDERS);
    const broken: string[] = [];
    for (const scenario of scenarios) {
      for (const strategy of STRATEGY_NAMES) {
        const result = await runScenario(scenario, { seed: 20261201, runs: 60, strategy });
        if (result.status !== 'pass') broken.push(`${scenario.exportName} (${strategy}): ${result.violation?.message ?? result.status}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('still explores the orders that could go either way: different delays due at one instant, a due timer beside a ready task', async () => {
    for (const scenario of await loadScenarios('test/fixtures/fidelity/still-races.mjs')) {
      const result = await runScenario(scenario, { seed: 7, runs: 200, strategy: 'random' });
      expect(result.status, scenario.exportName).toBe('fail');
    }
  });
});
