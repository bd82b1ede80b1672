import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario as runScenarioAsIs, type LoadedScenario, type RunScenarioOptions, type ScenarioResult } from 'racecheck';

/** None of these tests is about blocking the event loop: a step that a busy machine stalls must not turn one red. */
const runScenario = (loaded: LoadedScenario, options: RunScenarioOptions = {}): Promise<ScenarioResult> =>
  runScenarioAsIs(loaded, { maxBlockingMs: 10_000, ...options });

async function scenario(exportName: string): Promise<LoadedScenario> {
  return (await loadScenarios('test/fixtures/core/strategies.ts')).find((s) => s.exportName === exportName)!;
}

function violationOf(result: ScenarioResult) {
  if (result.status !== 'fail') throw new Error(`expected a violation, got ${result.status}`);
  return result.violation;
}

/** Runs to the first failure for seeds 1..n, with the violation's own run number. */
async function runsToFailure(loaded: LoadedScenario, strategy: 'random' | 'pct' | 'portfolio', seeds: number): Promise<number[]> {
  const found: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const result = await runScenario(loaded, { seed, strategy, runs: 2000, shrink: false });
    found.push(result.status === 'fail' ? result.violation.run : Infinity);
  }
  return found.sort((a, b) => a - b);
}

describe('pct', () => {
  it('is deterministic under a seed', async () => {
    const torn = await scenario('tornSnapshot');
    const first = await runScenario(torn, { seed: 9, strategy: 'pct', runs: 500, shrink: false });
    expect({ ...(await runScenario(torn, { seed: 9, strategy: 'pct', runs: 500, shrink: false })), durationMs: 0 }).toEqual({ ...first, durationMs: 0 });
  });

  it('finds the torn snapshot in far fewer runs than uniform random', async () => {
    const torn = await scenario('tornSnapshot');
    const random = await runsToFailure(torn, 'random', 9);
    const pct = await runsToFailure(torn, 'pct', 9);
    const median = (values: number[]) => values[Math.floor(values.length / 2)]!;
    expect(median(pct)).toBeLessThan(median(random));
  });
});

describe('exhaustive', () => {
  it('proves a small correct scenario with a complete verdict, and catches its buggy twin', async () => {
    const proof = await runScenario(await scenario('fourLocked'), { strategy: 'exhaustive', seed: 1 });
    expect(proof).toMatchObject({ status: 'pass', search: { strategy: 'exhaustive', complete: true } });
    expect(proof.search.schedules).toBe(proof.runs);
    const racy = violationOf(await runScenario(await scenario('fourRacy'), { strategy: 'exhaustive', seed: 1 }));
    expect(racy).toMatchObject({ kind: 'check', strategy: 'exhaustive', preemptions: 1 });
  });

  it('explores in order of preemptions: within a bound of 0 the race is not there, within 1 it is', async () => {
    const racy = await scenario('fourRacy');
    const none = await runScenario(racy, { strategy: 'exhaustive', maxPreemptions: 0, seed: 1 });
    expect(none).toMatchObject({ status: 'pass', search: { complete: true, maxPreemptions: 0 } });
    const one = violationOf(await runScenario(racy, { strategy: 'exhaustive', maxPreemptions: 1, seed: 1 }));
    expect(one.preemptions).toBe(1);
  });

  it('stops without a verdict when the run budget ends first', async () => {
    const result = await runScenario(await scenario('fourLocked'), { strategy: 'exhaustive', runs: 10, seed: 1 });
    expect(result).toMatchObject({ status: 'pass', runs: 10, search: { complete: false } });
  });

  it('goes on through a scenario that is not deterministic, and says it cannot be complete', async () => {
    const result = await runScenario(await scenario('driftsBetweenRuns'), { strategy: 'exhaustive', seed: 1, runs: 2000 });
    expect(result).toMatchObject({ status: 'pass', search: { complete: false, nondeterministic: true, divergedAt: { step: expect.any(Number) } } });
    expect(result.runs).toBeGreaterThan(10);
  });
});

describe('portfolio (the default)', () => {
  it('finds shallow and deep races', async () => {
    expect((await runScenario(await scenario('fourRacy'), { seed: 3 })).status).toBe('fail');
    expect((await runScenario(await scenario('tornSnapshot'), { seed: 3, runs: 1000 })).status).toBe('fail');
  });

  it('proves a small scenario when its search runs out of schedules', async () => {
    const result = await runScenario(await scenario('fourLocked'), { seed: 3, runs: 100_000 });
    expect(result).toMatchObject({ status: 'pass', search: { strategy: 'portfolio', complete: true } });
  });
});
