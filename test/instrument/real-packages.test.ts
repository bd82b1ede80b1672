import type { Scenario, TaskContext, TaskResults } from 'racecheck';
import { describe, expect, it } from 'vitest';
import { runMain } from '../cli/run-cli.js';

/**
 * Real packages' own async code run instrumented behaves as it does natively: the scenarios of
 * test/fixtures/instrument/real-packages.ts (p-limit, p-queue, async-mutex, the latter compiled by tsc to
 * ES5 with tslib's __awaiter and __generator) are run natively here, with Promise.allSettled and real
 * timers, and each check must hold; then under racecheck, with and without the packages instrumented,
 * and every schedule must give the same outcome.
 */
const FILE = 'test/fixtures/instrument/real-packages.ts';
const PACKAGES = ['p-limit', 'yocto-queue', 'p-queue', 'eventemitter3', 'p-timeout', 'async-mutex', 'tslib'];

interface Entry {
  id: string;
  status: string;
  steps: number;
  violation: { kind: string; message: string } | null;
}

async function runNatively(scenario: Scenario<unknown>): Promise<unknown> {
  const state = await scenario.setup?.();
  const tasks = Object.entries(scenario.tasks as Record<string, (state: unknown, ctx: TaskContext) => unknown>);
  const settled = await Promise.allSettled(
    tasks.map(([name, task], index) => Promise.resolve().then(() => task(state, { name, index, sleep: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)) } as TaskContext))),
  );
  const results = Object.fromEntries(settled.map((outcome, i) => [tasks[i]![0], outcome.status === 'fulfilled' ? { status: 'fulfilled', value: outcome.value } : { status: 'rejected', reason: outcome.reason }]));
  return scenario.check?.(state, results as TaskResults);
}

describe('real packages, instrumented', () => {
  it('behave as they do natively', async () => {
    const module = (await import(`../../${FILE}`)) as Record<string, Scenario<unknown>>;
    const exported = Object.keys(module).sort();
    expect(exported).toHaveLength(4);
    for (const name of exported) expect(await runNatively(module[name]!), name).toBe(true);

    // Real time does not matter here: a busy machine must not turn a slow step into a verdict.
    const common = [FILE, '--seed', '3', '--runs', '60', '--max-blocking', '60000', '--json'];
    const [plain, included] = await Promise.all([runMain(common), runMain([...common, ...PACKAGES.flatMap((name) => ['--include', name])])]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(included.code, included.stdout).toBe(0);
    const steps = (run: typeof plain) => new Map((JSON.parse(run.stdout) as { scenarios: Entry[] }).scenarios.map((entry) => [entry.id.split('#')[1], entry.steps]));
    const before = steps(plain);
    const after = steps(included);
    expect([...after.keys()].sort()).toEqual(exported);
    // The packages' awaits became scheduling points: every scenario took more steps with them instrumented.
    for (const name of exported) expect(after.get(name)!, name).toBeGreaterThan(before.get(name)!);
  });
});
