import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario as runScenarioAsIs, type LoadedScenario, type RunScenarioOptions, type ScenarioResult } from 'racecheck';

const fixture = (name: string) => `test/fixtures/core/${name}`;

async function scenario(file: string, exportName: string): Promise<LoadedScenario> {
  const found = (await loadScenarios(file)).find((s) => s.exportName === exportName);
  if (!found) throw new Error(`${file} has no scenario ${exportName}`);
  return found;
}

/**
 * None of these tests is about blocking the event loop: a step that a busy machine stalls must not turn
 * one of them red. (Blocking is test/scheduler/trust.test.ts's, with 10x margins.)
 */
const runScenario = (loaded: LoadedScenario, options: RunScenarioOptions = {}): Promise<ScenarioResult> =>
  runScenarioAsIs(loaded, { maxBlockingMs: 10_000, ...options });

function violationOf(result: ScenarioResult) {
  if (result.status !== 'fail') throw new Error(`expected a violation, got ${result.status}: ${JSON.stringify(result)}`);
  return result.violation;
}

describe('lost updates', () => {
  it('catches a read-await-write counter and names the scenario lines in the trace', async () => {
    const result = await runScenario(await scenario('scenarios/counter.ts', 'default'), { seed: 1 });
    const violation = violationOf(result);
    expect(violation.kind).toBe('check');
    expect(violation.message).toMatch(/^expected 10, got [1-9]$/);
    const awaits = violation.trace.filter((step) => step.kind === 'await');
    expect(awaits.length).toBeGreaterThan(0);
    expect(awaits[0]!.site).toEqual({
      file: 'scenarios/counter.ts',
      line: 13,
      column: 5,
      text: '    await Promise.resolve();',
    });
    expect(violation.trace[0]).toMatchObject({ step: 1, kind: 'start', site: null });
  });

  it('passes 500 runs of a locked counter, with acquire/release and with runExclusive', async () => {
    for (const name of ['locked', 'exclusive']) {
      const result = await runScenario(await scenario(fixture('counter-locked.ts'), name), { seed: 11, runs: 500, strategy: 'random' });
      expect(result, name).toMatchObject({ status: 'pass', runs: 500 });
      expect(result.search.schedules).toBeGreaterThan(10);
    }
  });

  it('passes a counter with no await between read and write', async () => {
    const result = await runScenario(await scenario(fixture('counter.ts'), 'atomic'), { seed: 3, runs: 500, strategy: 'random' });
    expect(result).toMatchObject({ status: 'pass', runs: 500 });
  });

  it('finds the race through awaits in an imported project module', async () => {
    const violation = violationOf(await runScenario(await scenario(fixture('imported.ts'), 'overdraft'), { seed: 2 }));
    expect(violation.message).toMatch(/^balance 20 after 2 withdrawals/);
    const files = new Set(violation.trace.map((step) => step.site?.file).filter(Boolean));
    expect(files).toContain('test/fixtures/core/lib/account.ts');
    expect(violation.trace.map((step) => step.task)).toEqual(expect.arrayContaining(['alice', 'bob']));
  });

  it('finds races in TypeScript that uses decorators, generics, enums and for await', async () => {
    expect(violationOf(await runScenario(await scenario(fixture('typescript-syntax.ts'), 'typed'), { seed: 4 })).kind).toBe('check');
    expect(violationOf(await runScenario(await scenario(fixture('typescript-syntax.ts'), 'forAwait'), { seed: 4 })).kind).toBe('check');
  });

  it('instruments TypeScript compiled as CommonJS and maps its sites to the source', async () => {
    const violation = violationOf(await runScenario(await scenario('test/fixtures/cjs-project/scenario.ts', 'deposits'), { seed: 5 }));
    const site = violation.trace.find((step) => step.site)?.site;
    expect(site).toMatchObject({ file: 'test/fixtures/cjs-project/wallet.ts', line: 8, column: 5 });
  });

  it('catches lost lines in a file written through fs/promises', async () => {
    const violation = violationOf(await runScenario(await scenario(fixture('files.ts'), 'appendLines'), { seed: 6, runs: 50 }));
    expect(violation.message).toMatch(/^expected 3 lines, found [12]/);
  });
});

describe('virtual time', () => {
  it('overshoots a rate limiter without the lock and holds the limit with it', async () => {
    expect(violationOf(await runScenario(await scenario(fixture('rate-limiter.ts'), 'overshoot'), { seed: 1 })).message).toMatch(
      /^granted [3-5] of 5/,
    );
    const locked = await runScenario(await scenario(fixture('rate-limiter.ts'), 'lockedBurst'), { seed: 1, runs: 500 });
    expect(locked.status).toBe('pass');
  });

  it('lets a one-second window pass without waiting a real second', async () => {
    // Each run waits 1.5 virtual seconds (its check says the clock moved that far); one that waited them in
    // real time would exceed its timeout of one real second and fail.
    const result = await runScenario(await scenario(fixture('rate-limiter.ts'), 'window'), { seed: 8, runs: 50, timeoutMs: 1000 });
    expect(result).toMatchObject({ status: 'pass', runs: 50 });
  });

  it('runs Date, performance.now, intervals and timers/promises on the virtual clock', async () => {
    expect(await runScenario(await scenario(fixture('timers.ts'), 'clock'), { seed: 9, runs: 50 })).toMatchObject({ status: 'pass' });
  });

  it('lets timers due at the same instant fire in either order', async () => {
    const sameInstant = await scenario(fixture('timers.ts'), 'sameInstant');
    const statuses = new Set<string>();
    for (let seed = 0; seed < 20; seed++) statuses.add((await runScenario(sameInstant, { seed, runs: 1 })).status);
    expect(statuses).toEqual(new Set(['pass', 'fail']));
  });

  it('seeds Math.random per run', async () => {
    const seeded = await scenario(fixture('timers.ts'), 'seededRandom');
    const valuesFor = async (seed: number) => {
      await runScenario(seeded, { seed, runs: 1 });
      return (globalThis as { __randomValues?: number[] }).__randomValues;
    };
    const first = await valuesFor(21);
    expect(await valuesFor(21)).toEqual(first);
    expect(await valuesFor(22)).not.toEqual(first);
  });
});

describe('violation kinds', () => {
  it('reports a deadlock with every blocked task and the await it waits at', async () => {
    const violation = violationOf(await runScenario(await scenario(fixture('failures.ts'), 'deadlock'), { seed: 1, runs: 200 }));
    expect(violation.kind).toBe('deadlock');
    expect(violation.blocked).toEqual([
      { task: 'left', sites: [expect.objectContaining({ file: 'test/fixtures/core/failures.ts', line: 11, text: '      await s.b.acquire();' })] },
      { task: 'right', sites: [expect.objectContaining({ file: 'test/fixtures/core/failures.ts', line: 18, text: '      await s.a.acquire();' })] },
    ]);
    expect(violation.message).toContain('left waits at test/fixtures/core/failures.ts:11:7');
  });

  it('reports an unhandled rejection', async () => {
    const violation = violationOf(await runScenario(await scenario(fixture('failures.ts'), 'unhandled'), { seed: 1 }));
    expect(violation).toMatchObject({ kind: 'unhandled-rejection', message: 'unhandled rejection: Error: nobody listens' });
  });

  it('stops a run that takes more than maxSteps steps', async () => {
    const violation = violationOf(await runScenario(await scenario(fixture('failures.ts'), 'spinning'), { seed: 1 }));
    expect(violation).toMatchObject({ kind: 'max-steps', step: 200 });
    const lower = violationOf(await runScenario(await scenario(fixture('failures.ts'), 'spinning'), { seed: 1, maxSteps: 50 }));
    expect(lower.step).toBe(50);
  });

  it('reports a setup that throws as an error, not a violation', async () => {
    const result = await runScenario(await scenario(fixture('failures.ts'), 'setupThrows'), { seed: 1 });
    expect(result).toMatchObject({ status: 'error', violation: null, error: { message: 'setup failed: Error: database unavailable' } });
  });

  it('treats a rejected task as an exception unless rejections are allowed', async () => {
    expect(violationOf(await runScenario(await scenario(fixture('failures.ts'), 'rejects'), { seed: 1 }))).toMatchObject({
      kind: 'exception',
      message: 'task bad rejected: Error: boom',
    });
    expect((await runScenario(await scenario(fixture('failures.ts'), 'rejectionsAllowed'), { seed: 1 })).status).toBe('pass');
  });

  it('checks the invariant after every step', async () => {
    const violation = violationOf(await runScenario(await scenario(fixture('failures.ts'), 'transient'), { seed: 1, runs: 100 }));
    expect(violation).toMatchObject({ kind: 'invariant', message: '2 requests in flight' });
  });

  it('runs teardown after a failing run', async () => {
    const holder = globalThis as { __lastTeardown?: { torn: boolean } };
    holder.__lastTeardown = undefined;
    violationOf(await runScenario(await scenario(fixture('failures.ts'), 'teardownRuns'), { seed: 1 }));
    expect(holder.__lastTeardown).toEqual({ torn: true });
  });
});

describe('determinism and replay', () => {
  const withoutTimings = (result: ScenarioResult) => ({ ...result, durationMs: 0 });

  it('gives the same steps and report for the same seed, and different ones for different seeds', async () => {
    const racy = await scenario(fixture('counter.ts'), 'racy');
    const first = await runScenario(racy, { seed: 7, runs: 50 });
    expect(withoutTimings(await runScenario(racy, { seed: 7, runs: 50 }))).toEqual(withoutTimings(first));
    const traces = new Set<string>();
    for (const seed of [100, 200, 300, 400]) traces.add(JSON.stringify(violationOf(await runScenario(racy, { seed, runs: 50 })).trace));
    expect(traces.size).toBeGreaterThan(1);
  });

  it('is deterministic with real file I/O', async () => {
    const files = await scenario(fixture('files.ts'), 'appendLines');
    const first = await runScenario(files, { seed: 12, runs: 20 });
    expect(withoutTimings(await runScenario(files, { seed: 12, runs: 20 }))).toEqual(withoutTimings(first));
  });

  it('reruns a run from its own seed with --runs 1', async () => {
    const racy = await scenario(fixture('counter.ts'), 'racy');
    const options = { strategy: 'random', shrink: false } as const;
    // A violation found in a later run than the first, so that its own seed is not the master seed's first.
    let violation = violationOf(await runScenario(racy, { ...options, seed: 5, runs: 100 }));
    for (let seed = 6; violation.run === 1 && seed < 50; seed++) violation = violationOf(await runScenario(racy, { ...options, seed, runs: 100 }));
    expect(violation.run).toBeGreaterThan(1);
    const again = violationOf(await runScenario(racy, { ...options, seed: violation.seed, runs: 1 }));
    expect(again.trace).toEqual(violation.trace);
    expect(again.message).toBe(violation.message);
  });

  it('replays a recorded schedule exactly, and with replayStrict refuses one that no longer fits', async () => {
    const imported = await scenario(fixture('imported.ts'), 'overdraft');
    const violation = violationOf(await runScenario(imported, { seed: 2 }));
    const replayed = await runScenario(imported, { seed: violation.seed, replay: violation });
    expect(replayed).toMatchObject({ runs: 1, violation: { kind: violation.kind, message: violation.message, trace: violation.trace, strategy: 'replay' } });
    expect(replayed.search.divergedAt).toBeUndefined();

    const changed = { choices: violation.choices, counts: violation.counts.map((n, i) => (i === 1 ? n + 1 : n)) };
    const refused = await runScenario(imported, { seed: violation.seed, replay: changed, replayStrict: true });
    expect(refused).toMatchObject({ status: 'error', error: { message: expect.stringMatching(/^the recorded schedule no longer fits this program: at step 2/) } });
  });

  it('follows a recording that no longer fits as far as it fits, says where, and searches on', async () => {
    const imported = await scenario(fixture('imported.ts'), 'overdraft');
    const violation = violationOf(await runScenario(imported, { seed: 2 }));
    const changed = { choices: violation.choices, counts: violation.counts.map((n, i) => (i === 1 ? n + 1 : n)) };
    const result = await runScenario(imported, { seed: violation.seed, replay: changed, runs: 30 });
    expect(result.search).toMatchObject({ strategy: 'replay', divergedAt: { run: 1, step: 2 } });
    expect(result.search.nondeterministic).toBeUndefined();
    // The search goes on after the replay: the bug is still there, so it is found again.
    expect(result.status).toBe('fail');
  });
});

describe('instrumentation boundaries', () => {
  it('leaves awaits outside a run native', async () => {
    await loadScenarios(fixture('imported.ts'));
    const { plainAsync } = (await import(new URL('../fixtures/core/lib/account.ts', import.meta.url).href)) as {
      plainAsync: (n: number) => Promise<number>;
    };
    expect(await plainAsync(21)).toBe(42);
  });

  it('names the file, line and column of a syntax error', async () => {
    await expect(loadScenarios(fixture('syntax-error.ts'))).rejects.toThrow(
      'test/fixtures/core/syntax-error.ts:4:35: syntax error: Unexpected token',
    );
  });

  it('reports a module that throws on import, a malformed scenario and a missing file', async () => {
    await expect(loadScenarios(fixture('throws-on-import.ts'))).rejects.toThrow(
      'test/fixtures/core/throws-on-import.ts: threw while being imported: Error: cannot connect to the configuration service',
    );
    await expect(loadScenarios(fixture('malformed.ts'))).rejects.toThrow(
      'test/fixtures/core/malformed.ts#notRight: "tasks[1]" must be a function, got the string "not a function"',
    );
    await expect(loadScenarios(fixture('missing.ts'))).rejects.toThrow('test/fixtures/core/missing.ts: no such file');
  });

  it('rejects an unknown strategy and a seed out of range', async () => {
    const racy = await scenario(fixture('counter.ts'), 'racy');
    await expect(runScenario(racy, { strategy: 'chaos' as 'random' })).rejects.toThrow('unknown strategy "chaos"');
    await expect(runScenario(racy, { seed: -1 })).rejects.toThrow(/seed must be an integer/);
  });

  // A search of no run passed: `runs: Number(process.env.RUNS)` with the variable unset made a racy raceTest green.
  it('rejects counts that are not positive integers, instead of passing after no run', async () => {
    const racy = await scenario(fixture('counter.ts'), 'racy');
    for (const runs of [0, -1, Number.NaN, 2.5]) await expect(runScenario(racy, { runs, seed: 1 })).rejects.toThrow(`runs must be a positive integer, got ${runs}`);
    await expect(runScenario(racy, { maxSteps: 0, seed: 1 })).rejects.toThrow('maxSteps must be a positive integer, got 0');
    await expect(runScenario(racy, { maxPreemptions: -1, seed: 1 })).rejects.toThrow('maxPreemptions must be an integer from 0, got -1');
    expect(await runScenario(racy, { runs: 50, seed: 1, maxPreemptions: 0, strategy: 'exhaustive' })).toMatchObject({ status: expect.any(String) });
  });
});
