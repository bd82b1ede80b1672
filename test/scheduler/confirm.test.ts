/**
 * issue 9: a red result must always be a real bug. Verdicts that depend on real time (src/scheduler/confirm.ts)
 * are replayed before they are reported. Each test runs real scenario files (test/fixtures/trust).
 */
import type { Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario, type LoadedScenario, type ScenarioResult } from 'racecheck';

async function scenario(file: string, name: string): Promise<LoadedScenario> {
  const found = (await loadScenarios(`test/fixtures/trust/${file}`)).find((s) => s.exportName === name);
  if (!found) throw new Error(`no scenario ${name} in ${file}`);
  return found;
}

const message = (result: ScenarioResult): string => (result.status === 'fail' ? result.violation.message : result.status === 'error' ? result.error.message : 'pass');

describe('wall-clock verdicts are confirmed before they are reported', () => {
  it('reports a step that blocks every time, with the replays that confirmed it', async () => {
    const result = await runScenario(await scenario('wall-clock.ts', 'blocksEveryTime'), { seed: 1 });
    expect(result.status).toBe('fail');
    expect(result.violation).toMatchObject({ kind: 'blocked-loop', reproduced: { tries: 2, failed: 2 } });
    expect(result.violation?.message).toMatch(/^step \d+ \(t0 after test\/fixtures\/trust\/wall-clock\.ts:\d+:\d+\) blocked the event loop for \d+ ms \(limit 50 ms\)$/);
  });

  it('does not report a stall that replaying the schedule does not give again, and the search goes on unchanged', async () => {
    const stalls = await scenario('wall-clock.ts', 'stallsOnce');
    // The first search meets the one stall; the second meets none: they must not differ.
    const stalled = await runScenario(stalls, { seed: 1, strategy: 'random' });
    const idle = await runScenario(stalls, { seed: 1, strategy: 'random' });
    expect(stalled).toMatchObject({ status: 'pass', runs: 5 });
    expect({ ...stalled, durationMs: 0 }).toEqual({ ...idle, durationMs: 0 });
  });

  it('replays a timeout too when the same run also blocked the loop, and reports neither when neither comes again', async () => {
    const result = await runScenario(await scenario('wall-clock.ts', 'stallsPastTimeoutOnce'), { seed: 1 });
    expect(message(result)).toBe('pass');
  });

  it('says a timeout happened while busy when the run kept taking steps', async () => {
    const result = await runScenario(await scenario('wall-clock.ts', 'busyTimeout'), { seed: 1 });
    expect(result.violation).toMatchObject({ kind: 'timeout', reproduced: { tries: 2, failed: 2 } });
    expect(message(result)).toMatch(/took longer than 300 ms of real time while busy: it was still taking steps/);
  });

  // A watchdog that sees a replay hang must name its step and give a token that replays it: the confirming
  // replays report their runs and steps as the search's runs do.
  it('tells the hooks of the confirming replays\' runs and steps', async () => {
    const runs: number[] = [];
    const steps: number[] = [];
    const result = await runScenario(await scenario('wall-clock.ts', 'busyTimeout'), { seed: 1, onRunStart: (run) => runs.push(run), onStep: (run, step) => steps.push(step) });
    expect(result.violation).toMatchObject({ kind: 'timeout', reproduced: { tries: 2, failed: 2 } });
    // The run that timed out, then its two replays: each starts again from step 1.
    expect(runs.slice(0, 3)).toEqual([1, 1, 1]);
    expect(steps.filter((step) => step === 1).length).toBeGreaterThanOrEqual(3);
  });

  it('says a timeout happened while idle, on which request, and where each task waits', async () => {
    const result = await runScenario(await scenario('wall-clock.ts', 'idleTimeout'), { seed: 1 });
    expect(result.violation).toMatchObject({ kind: 'timeout', reproduced: { tries: 2, failed: 2 } });
    expect(message(result)).toMatch(/while idle, waiting on I\/O that never came: a request still in flight .*; reader waits at test\/fixtures\/trust\/wall-clock\.ts:\d+:\d+$/);
  });
});

describe('a setup or teardown that overran the run\'s timeout', () => {
  it('starts the run again, and the search goes on unchanged when the setup then finishes', async () => {
    const slow = await scenario('slow-phases.ts', 'slowOnce');
    // The first search's first setup waits 3 s for another process; no later one waits: they must not differ.
    const overran = await runScenario(slow, { seed: 1, strategy: 'pct' });
    const quick = await runScenario(slow, { seed: 1, strategy: 'pct' });
    expect(message(overran)).toBe('pass');
    expect(overran.runs).toBe(3);
    expect({ ...overran, durationMs: 0 }).toEqual({ ...quick, durationMs: 0 });
  });

  it('is an error when it overruns every time, after the run started again twice', async () => {
    const runs: number[] = [];
    const result = await runScenario(await scenario('slow-phases.ts', 'slowAlways'), { seed: 1, onRunStart: (run) => runs.push(run) });
    expect(result.status).toBe('error');
    expect(message(result)).toBe('setup failed: Error: setup did not finish within 300 ms');
    expect(runs).toEqual([1, 1, 1]);
  });

  // Was a server left listening: the setup cut off at its deadline went on beside the run started again,
  // and what it started was never torn down (run.ts endCutOffSetup).
  it('tears down what the setup that overran set up once it finishes', async () => {
    const result = await runScenario(await scenario('slow-phases.ts', 'serverSlowOnce'), { seed: 1 });
    const servers = (globalThis as { slowPhaseServers?: { open: Set<Server>; firstDone: Promise<void> } }).slowPhaseServers!;
    try {
      expect(message(result)).toBe('pass');
      await servers.firstDone;
      expect(servers.open.size).toBe(0);
    } finally {
      for (const server of servers.open) server.close();
    }
  });

  it('replays the run whose teardown overran, and the search goes on unchanged when the teardown then finishes', async () => {
    const slow = await scenario('slow-phases.ts', 'teardownSlowOnce');
    const overran = await runScenario(slow, { seed: 1, strategy: 'pct' });
    const quick = await runScenario(slow, { seed: 1, strategy: 'pct' });
    expect(message(overran)).toBe('pass');
    expect({ ...overran, durationMs: 0 }).toEqual({ ...quick, durationMs: 0 });
  });

  it('is an error when the teardown overruns every time', async () => {
    const result = await runScenario(await scenario('slow-phases.ts', 'teardownSlowAlways'), { seed: 1 });
    expect(message(result)).toBe('teardown failed: Error: teardown did not finish within 300 ms');
  });
});

describe('a check that overran the run\'s timeout', () => {
  it('is a timeout, which replaying confirms or drops: one slow once passes', async () => {
    const slow = await scenario('slow-phases.ts', 'checkSlowOnce');
    const overran = await runScenario(slow, { seed: 1 });
    const quick = await runScenario(slow, { seed: 1 });
    expect(message(overran)).toBe('pass');
    expect({ ...overran, durationMs: 0 }).toEqual({ ...quick, durationMs: 0 });
  });

  it('is a confirmed timeout, not a failed check, when it overruns every time', async () => {
    const result = await runScenario(await scenario('slow-phases.ts', 'checkSlowAlways'), { seed: 1 });
    expect(result.violation).toMatchObject({ kind: 'timeout', reproduced: { tries: 2, failed: 2 } });
    expect(message(result)).toBe('the run took longer than 300 ms of real time: its check had not finished');
  });
});
