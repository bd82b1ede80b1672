import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario, type LoadedScenario } from 'racecheck';

async function scenario(exportName: string): Promise<LoadedScenario> {
  const found = (await loadScenarios('test/sync/fixtures/scenarios.ts')).find((s) => s.exportName === exportName);
  if (!found) throw new Error(`no scenario ${exportName}`);
  return found;
}

describe('racecheck/sync inside racecheck runs', () => {
  it('keeps a Semaphore pool to its limit on every schedule and gives every permit back', async () => {
    const result = await runScenario(await scenario('limited'), { seed: 5, runs: 500 });
    expect(result).toMatchObject({ status: 'pass', runs: 500 });
  });

  it('finds an overbooked pool and shows the acquire inside runExclusive as a scheduling point', async () => {
    const result = await runScenario(await scenario('overbooked'), { seed: 5, runs: 500 });
    if (result.status !== 'fail') throw new Error(`expected a violation, got ${result.status}`);
    expect(result.violation.message).toBe('3 jobs at once, the limit is 2');
    // The acquire is racecheck's own scheduling point; the report names the user's call of runExclusive.
    expect(result.violation.trace.map((step) => step.site && `${step.site.file}:${step.site.line} ${step.site.text.trim()}`)).toContain(
      'test/sync/fixtures/scenarios.ts:14 s.semaphore.runExclusive(async () => {',
    );
  });

  it('times a Semaphore acquire out on virtual time, without taking a permit', async () => {
    expect(await runScenario(await scenario('timeout'), { seed: 1, runs: 50 })).toMatchObject({ status: 'pass' });
  });

  it('returns the permit to the pool whichever of a release and an abort comes first', async () => {
    expect(await runScenario(await scenario('releaseOrAbort'), { seed: 2, runs: 500 })).toMatchObject({ status: 'pass' });
  });

  it('wakes every Event waiter on every schedule', async () => {
    expect(await runScenario(await scenario('event'), { seed: 3, runs: 200 })).toMatchObject({ status: 'pass' });
  });
});
