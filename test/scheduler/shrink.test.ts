import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario as runScenarioAsIs, type LoadedScenario, type RunScenarioOptions, type ScenarioResult } from 'racecheck';

/** None of these tests is about blocking the event loop: a step that a busy machine stalls must not turn one red. */
const runScenario = (loaded: LoadedScenario, options: RunScenarioOptions = {}): Promise<ScenarioResult> =>
  runScenarioAsIs(loaded, { maxBlockingMs: 10_000, ...options });

function violationOf(result: ScenarioResult) {
  if (result.status !== 'fail') throw new Error(`expected a violation, got ${result.status}`);
  return result.violation;
}

describe('shrinking', () => {
  it('reduces a ten-task lost update to one preemption between two tasks, and replays it', async () => {
    const counter = (await loadScenarios('scenarios/counter.ts'))[0]!;
    for (const seed of [1, 2, 3, 4, 5]) {
      const violation = violationOf(await runScenario(counter, { seed, strategy: 'random' }));
      expect(violation).toMatchObject({ shrunk: true, preemptions: 1 });
      const segments = violation.trace.filter((step, i) => i === 0 || violation.trace[i - 1]!.task !== step.task);
      expect(segments.length).toBe(11);
      const replayed = violationOf(await runScenario(counter, { seed: violation.seed, replay: violation }));
      expect(replayed.trace).toEqual(violation.trace);
    }
  });

  it('can be turned off', async () => {
    const counter = (await loadScenarios('scenarios/counter.ts'))[0]!;
    expect(violationOf(await runScenario(counter, { seed: 1, strategy: 'random', shrink: false })).shrunk).toBe(false);
  });
});
