import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario, STRATEGY_NAMES } from 'racecheck';

const ORDERS = 'test/fixtures/fidelity/node-order.mjs';
const CLOCKS = 'test/fixtures/fidelity/clocks.mjs';

/**
 * SPEC §2, "Never an order Node itself rules out": each fixture asserts an order Node documents or always
 * produces. Plain Node confirms the order first, then every strategy must never break it.
 */
describe('fidelity to Node’s own ordering guarantees', () => {
  it('holds natively: every order, 30 times over, in plain Node', async () => {
    // Natively, timers of different delays get their due times from the real clock as each is created: a
    // machine busy enough to deschedule Node between two setTimeout calls can reorder them for that round.
    // So an order holds natively if some round of 30 (of at most three) never broke it; racecheck's virtual
    // clock never has that gap, and the next test holds it to every run.
    let broken: Record<string, string[]> | undefined;
    for (let round = 0; round < 3 && (broken === undefined || Object.keys(broken).length > 0); round++) {
      const { stdout } = await promisify(execFile)(process.execPath, ['test/fixtures/fidelity/native.mjs', ORDERS, '30']);
      const failures = JSON.parse(stdout) as Record<string, string[]>;
      expect(Object.keys(failures).length).toBeGreaterThanOrEqual(25);
      const now = Object.fromEntries(Object.entries(failures).filter(([, list]) => list.length > 0));
      broken = broken === undefined ? now : Object.fromEntries(Object.entries(broken).filter(([name]) => name in now));
    }
    expect(broken).toEqual({});
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

  // Were false reds: util.promisify(setTimeout) threw (the faked setTimeout had no promisify.custom), and
  // AbortSignal.timeout, performance marks and process.hrtime stayed on real time, so a sleep outlived its
  // timeout signal, a measure across a sleep read 0 ms and a token bucket on hrtime never refilled.
  it('reads the virtual time through every clock: promisify(setTimeout), AbortSignal.timeout, marks, hrtime', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['test/fixtures/fidelity/native.mjs', CLOCKS, '10']);
    const native = JSON.parse(stdout) as Record<string, string[]>;
    expect(Object.keys(native)).toHaveLength(7);
    expect(Object.fromEntries(Object.entries(native).filter(([, list]) => list.length > 0))).toEqual({});
    const broken: string[] = [];
    for (const scenario of await loadScenarios(CLOCKS)) {
      for (const strategy of STRATEGY_NAMES) {
        const result = await runScenario(scenario, { seed: 20261202, runs: 20, strategy });
        if (result.status !== 'pass') broken.push(`${scenario.exportName} (${strategy}): ${result.violation?.message ?? result.status}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('re-arms, in the run that refreshes it, a timer dropped with the run that created it', async () => {
    const [scenario] = await loadScenarios('test/fixtures/fidelity/refresh-across-runs.mjs');
    const result = await runScenario(scenario!, { seed: 1, runs: 5, strategy: 'random' });
    expect(result.violation?.message ?? result.status).toBe('pass');
    expect(result.runs).toBe(5);
  });

  it('still explores the orders that could go either way: different delays due at one instant, a due timer beside a ready task', async () => {
    for (const scenario of await loadScenarios('test/fixtures/fidelity/still-races.mjs')) {
      const result = await runScenario(scenario, { seed: 7, runs: 200, strategy: 'random' });
      expect(result.status, scenario.exportName).toBe('fail');
    }
  });
});
