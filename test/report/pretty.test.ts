import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario, type ScenarioResult } from 'racecheck';
import { buildReport, toScenarioReport } from '../../src/report/build.js';
import { createPrettyReporter } from '../../src/report/pretty.js';

/**
 * Golden reports: the pretty output of real scenario files under fixed seeds, as a person reads it at 100
 * columns, compared with committed snapshots after normalising the timings.
 */
const CASES = [
  { name: 'lost-update', file: 'scenarios/counter.ts', exportName: 'default', seed: 42 },
  { name: 'stale-check', file: 'test/fixtures/explain/patterns.ts', exportName: 'staleCheck', seed: 3 },
  { name: 'torn-read', file: 'test/fixtures/explain/patterns.ts', exportName: 'tornRead', seed: 3 },
  { name: 'map-entry', file: 'test/fixtures/explain/collections.ts', exportName: 'mapTarget', seed: 3 },
  { name: 'lock-kept', file: 'scenarios/forgotten-release.ts', exportName: 'buggyEarlyReturnKeepsLock', seed: 5 },
  { name: 'stack', file: 'test/fixtures/explain/timers.ts', exportName: 'throws', seed: 3 },
  { name: 'many-tasks', file: 'scenarios/cache.ts', exportName: 'buggyCheckThenAct', seed: 5 },
] as const;

/** `edit`: changes the result before it is reported (a search summary real I/O would give only sometimes). */
async function pretty(file: string, exportName: string, seed: number, strategy?: 'exhaustive', edit: (result: ScenarioResult) => ScenarioResult = (result) => result): Promise<string> {
  const scenario = (await loadScenarios(file)).find((s) => s.exportName === exportName)!;
  const result = edit(await runScenario(scenario, { seed, ...(strategy ? { strategy } : {}) }));
  const report = buildReport([toScenarioReport(result, file, { program: 'racecheck' })], { seed, version: '0.1.0', durationMs: 0, interrupted: false });
  let text = '';
  const out = { write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream;
  const reporter = createPrettyReporter({ out, color: 0, interactive: false, width: 100 });
  reporter.onStart?.({ files: [file], seed, version: '0.1.0' });
  reporter.onFileStart?.({ file, scenarios: [{ id: result.id, name: result.name, runs: result.runs }] });
  reporter.onScenarioEnd?.(report.scenarios[0]!);
  await reporter.onEnd?.(report);
  return text.replace(/[\d,]+ runs\/s/g, 'N runs/s').replace(/in [\d.]+ s/g, 'in N s');
}

describe('the pretty report', () => {
  it.each(CASES)('$name: the same report as the committed one', async ({ name, file, exportName, seed }) => {
    const text = await pretty(file, exportName, seed);
    for (const line of text.split('\n')) {
      // Fits a terminal of 100 columns; a replay command is the one thing not cut (it is copied whole).
      if (!line.includes('--replay')) expect(line.length, line).toBeLessThanOrEqual(100);
    }
    await expect(text).toMatchFileSnapshot(`__snapshots__/pretty/${name}.txt`);
  });

  it('counts in the singular: 1 step, 1 preemption, the one schedule', async () => {
    const single = await pretty('test/fixtures/core/one-step.ts', 'single', 1);
    expect(single).toMatch(/✓ test\/fixtures\/core\/one-step\.ts#single +2 runs · 2 steps · N runs\/s · the one schedule\n/);
    const throws = await pretty('test/fixtures/core/one-step.ts', 'throws', 1);
    expect(throws).toMatch(/✗ test\/fixtures\/core\/one-step\.ts#throws +1 run · 1 step +exception/);
    expect(throws).toMatch(/run 1 · run seed \d+ · 1 step · 0 preemptions · strategy /);
  });

  it('says why an exhaustive search that passed is not complete when real I/O was in flight', async () => {
    const text = await pretty('test/fixtures/core/real-io.ts', 'twoReads', 1, 'exhaustive');
    expect(text).toMatch(/✓ test\/fixtures\/core\/real-io\.ts#twoReads +[\d,]+ runs · [\d,]+ steps · (?:N runs\/s · )?not complete: real I\/O in flight\n/);
    // Without real I/O the same search is a proof, and says so.
    expect(await pretty('test/fixtures/core/one-step.ts', 'single', 1, 'exhaustive')).toMatch(/#single +1 run · 1 step · N runs\/s · the one schedule\n/);
    // Runs of the same choices that offered different candidates: the step where they parted.
    const diverged = await pretty('test/fixtures/core/real-io.ts', 'twoReads', 1, 'exhaustive', (result) => ({
      ...result,
      search: { ...result.search, nondeterministic: true, divergedAt: { run: 3, step: 2, site: null } },
    }));
    expect(diverged).toMatch(/#twoReads +[\d,]+ runs · [\d,]+ steps · (?:N runs\/s · )?not complete: real I\/O made runs differ at step 2\n/);
  });
});
