import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario, type LoadedScenario, type ScenarioResult } from 'racecheck';

const fixture = (name: string) => `test/fixtures/explain/${name}`;

async function scenario(file: string, exportName: string): Promise<LoadedScenario> {
  const found = (await loadScenarios(file)).find((s) => s.exportName === exportName);
  if (!found) throw new Error(`${file} has no scenario ${exportName}`);
  return found;
}

function violationOf(result: ScenarioResult) {
  if (result.status !== 'fail') throw new Error(`expected a violation, got ${result.status}: ${JSON.stringify(result)}`);
  return result.violation;
}

async function explain(file: string, exportName: string, seed = 3) {
  const violation = violationOf(await runScenario(await scenario(file, exportName), { seed }));
  expect(violation).toHaveProperty('explanation');
  return { violation, explanation: violation.explanation! };
}

describe('the classic patterns', () => {
  it('names the write that made a check stale, not one that wrote back the value read', async () => {
    const { explanation } = await explain(fixture('patterns.ts'), 'staleAfterNoOpWrite', 1);
    expect(explanation.pattern).toBe('stale-check');
    const [check, foreign] = explanation.accesses;
    expect(check).toMatchObject({ op: 'read', target: 's.limiter.tokens', value: '1' });
    expect(foreign).toMatchObject({ op: 'write', target: 's.limiter.tokens', value: '0', site: { text: expect.stringContaining('this.tokens -= 1;') } });
  });

  it('names a lost update: a read, another task write, then a write from the stale read', async () => {
    const { explanation } = await explain(fixture('patterns.ts'), 'lostUpdate');
    expect(explanation.pattern).toBe('lost-update');
    const [read, foreign, write] = explanation.accesses;
    expect(explanation.accesses).toHaveLength(3);
    expect(read).toMatchObject({ op: 'read', target: 'account.balance', value: '100', site: { file: 'test/fixtures/explain/patterns.ts', line: 8 } });
    expect(foreign).toMatchObject({ op: 'write', target: 'account.balance', site: { line: 10 } });
    expect(write).toMatchObject({ op: 'write', target: 'account.balance', task: read!.task, site: { line: 10 } });
    expect(foreign!.task).not.toBe(read!.task);
    expect(read!.step).toBeLessThan(foreign!.step);
    expect(foreign!.step).toBeLessThan(write!.step);
    expect(explanation.summary).toBe(
      `${read!.task} read account.balance (100) at patterns.ts:8, ${foreign!.task} wrote account.balance (${foreign!.value}) at patterns.ts:10 ` +
        `while ${read!.task} was suspended at patterns.ts:9, then ${read!.task} wrote account.balance (${write!.value}) at patterns.ts:10 from its stale read: a lost update`,
    );
  });

  it('names a stale check: a test, a write that invalidates it, then the act', async () => {
    const { explanation } = await explain(fixture('patterns.ts'), 'staleCheck');
    expect(explanation.pattern).toBe('stale-check');
    const [check, foreign, act] = explanation.accesses;
    expect(check).toMatchObject({ op: 'read', target: 'hall.seats.size', value: '0' });
    expect(foreign).toMatchObject({ op: 'write', target: 'hall.seats.size', value: '1' });
    expect(act).toMatchObject({ op: 'write', target: 'hall.seats.size', value: '2', task: check!.task });
    expect(explanation.summary).toMatch(/^t\d checked hall\.seats\.size \(0\) at patterns\.ts:19, .* a stale check$/);
  });

  it('names a torn read: two writes that belong together and a reader in between', async () => {
    const { explanation } = await explain(fixture('patterns.ts'), 'tornRead');
    expect(explanation.pattern).toBe('torn-read');
    expect(explanation.accesses.map(({ task, op, target, value }) => `${task} ${op} ${target} ${value}`)).toEqual([
      'writer write s.config.host "db2"',
      'reader read s.config.host "db2"',
      'reader read s.config.port 5431',
      'writer write s.config.port 5432',
    ]);
    expect(explanation.summary).toContain('a torn read');
  });
});

describe('what is tracked', () => {
  it('sees module-level variables through the rewrite', async () => {
    const counter = (await explain(fixture('module-state.ts'), 'moduleCounter')).explanation;
    expect(counter.pattern).toBe('lost-update');
    expect(counter.accesses.map((access) => access.target)).toEqual(['total', 'total', 'total']);
    expect(counter.accesses[0]!.site).toMatchObject({ file: 'test/fixtures/explain/module-state.ts', line: 9, column: 19, text: '  const current = total;' });
    const cache = (await explain(fixture('module-state.ts'), 'moduleCache')).explanation;
    expect(cache.pattern).toBe('stale-check');
    expect(cache.accesses.map((access) => `${access.op} ${access.target}`)).toEqual(['read loaded.has("config")', 'write loaded.get("config")', 'write loaded.get("config")']);
  });

  it('names Map entries and Set members', async () => {
    const map = (await explain(fixture('collections.ts'), 'mapTarget')).explanation;
    expect(map.pattern).toBe('lost-update');
    expect(map.accesses.map((access) => access.target)).toEqual(Array(3).fill('s.inventory.stock.get("book")'));
    const set = (await explain(fixture('collections.ts'), 'setTarget')).explanation;
    expect(set.pattern).toBe('stale-check');
    expect(set.accesses[0]).toMatchObject({ op: 'read', target: 's.sent.has("welcome")', value: 'false' });
    expect(set.accesses[2]).toMatchObject({ op: 'write', target: 's.sent.has("welcome")', value: 'true' });
  });

  it('sees private fields without breaking the classes that have them', async () => {
    const wallet = (await explain(fixture('private-fields.ts'), 'privateBalance')).explanation;
    expect(wallet.pattern).toBe('lost-update');
    expect(wallet.accesses.map((access) => access.target)).toEqual(['this.#balance', 'this.#balance', 'this.#balance']);
    expect(wallet.summary).toMatch(/suspended at private-fields\.ts:28/);
    // A correct class with a private Map and a private method: its runs pass, recorded or not.
    expect(await runScenario(await scenario(fixture('private-fields.ts'), 'privateVault'), { seed: 3, runs: 50 })).toMatchObject({ status: 'pass' });
    const vault = violationOf(await runScenario(await scenario(fixture('private-fields.ts'), 'privateVaultChecked'), { seed: 3 }));
    expect(vault.message).toBe('vault has 2 items, the check wants 3');
    expect(vault.explanation).toMatchObject({ pattern: 'other', accesses: [] });
    expect(vault.explanation!.summary).toMatch(/^No two lanes read and wrote the same shared state across an await/);
  });

  it('puts back everything it wrapped once the replay is over', async () => {
    const get = Map.prototype.get;
    const size = Object.getOwnPropertyDescriptor(Set.prototype, 'size')!.get;
    const { EventEmitter } = await import('node:events');
    const emit = EventEmitter.prototype.emit;
    await explain(fixture('collections.ts'), 'mapTarget');
    expect(Map.prototype.get).toBe(get);
    expect(Object.getOwnPropertyDescriptor(Set.prototype, 'size')!.get).toBe(size);
    expect(EventEmitter.prototype.emit).toBe(emit);
  });

  it('gives the same explanation for the same seed', async () => {
    const first = await explain(fixture('patterns.ts'), 'lostUpdate', 9);
    const second = await explain(fixture('patterns.ts'), 'lostUpdate', 9);
    expect(second.explanation).toEqual(first.explanation);
    expect(second.violation.trace).toEqual(first.violation.trace);
  });
});

describe('lanes', () => {
  it('gives each request of a real HTTP server its own lane, with the task that sent it as origin', async () => {
    const { violation, explanation } = await explain(fixture('http-server.ts'), 'threeRequests');
    const handlers = new Map<string, Set<string>>();
    for (const step of violation.trace) {
      expect(step.task).not.toBe('(external)');
      if (!step.task.startsWith('GET /add')) {
        // The tasks themselves have no origin. Other activities (a fetch's own stream listener, when its data
        // lands apart from the answer under load) do, and are not what this test is about.
        if (['t0', 't1', 't2'].includes(step.task)) expect(step.origin).toBeUndefined();
        continue;
      }
      expect(step.origin).toBeDefined();
      const origins = handlers.get(step.task) ?? new Set<string>();
      origins.add(step.origin!);
      handlers.set(step.task, origins);
    }
    expect([...handlers.keys()].sort()).toEqual(['GET /add #1', 'GET /add #2', 'GET /add #3']);
    for (const origins of handlers.values()) expect(origins.size).toBe(1);
    expect(new Set([...handlers.values()].map((origins) => [...origins][0]))).toEqual(new Set(['t0', 't1', 't2']));
    expect(explanation.pattern).toBe('lost-update');
    expect(explanation.accesses.every((access) => access.task.startsWith('GET /add'))).toBe(true);
  });

  it("names the user's call instead of racecheck's own scheduling point", async () => {
    const violation = violationOf(await runScenario(await scenario('scenarios/lock-per-call.ts', 'buggyLockPerCall'), { seed: 3 }));
    const sites = violation.trace.flatMap((step) => (step.site ? [step.site] : []));
    expect(sites.some((site) => site.line === 0 || site.file === 'racecheck')).toBe(false);
    expect(sites).toContainEqual(expect.objectContaining({ file: 'scenarios/lock-per-call.ts', line: 22, text: '  await lock.runExclusive(async () => {' }));
  });

  it('runs a timer callback in a lane of its own, created by the task that set it', async () => {
    const violation = violationOf(await runScenario(await scenario(fixture('timers.ts'), 'callbackTimer'), { seed: 3 }));
    const timers = violation.trace.filter((step) => step.task === 'setTimeout 10ms');
    expect(timers.length).toBeGreaterThan(0);
    expect(timers.every((step) => step.origin === 'scheduler')).toBe(true);
    expect(violation.explanation?.accesses.some((access) => access.task === 'setTimeout 10ms')).toBe(true);
  });
});

describe('jobs a library runs', () => {
  it("runs each p-queue job and async-mutex callback in a lane of its own, created by the task that handed it over", async () => {
    const queued = violationOf(await runScenario(await scenario(fixture('libraries.ts'), 'queuedJobs'), { seed: 3 }));
    const jobs = queued.trace.filter((step) => step.task.startsWith('p-queue job'));
    expect(new Set(jobs.map((step) => step.task)).size).toBe(3);
    expect(new Set(jobs.map((step) => step.origin))).toEqual(new Set(['t0', 't1', 't2']));
    expect(queued.explanation?.pattern).toBe('lost-update');
    expect(queued.explanation?.accesses.every((access) => access.task.startsWith('p-queue job'))).toBe(true);
    const mutex = violationOf(await runScenario(await scenario(fixture('libraries.ts'), 'mutexCallbacks'), { seed: 3 }));
    const callbacks = mutex.trace.filter((step) => step.task.startsWith('runExclusive callback'));
    expect(new Set(callbacks.map((step) => `${step.task} from ${step.origin}`))).toEqual(new Set(['runExclusive callback #1 from t0', 'runExclusive callback #2 from t1']));
  });
});

describe('locks', () => {
  it('tells a deadlock of two locks taken in opposite orders, waiting at the user’s calls', async () => {
    const violation = violationOf(await runScenario(await scenario(fixture('deadlock.ts'), 'oppositeOrders'), { seed: 3 }));
    expect(violation.kind).toBe('deadlock');
    expect(violation.message).not.toMatch(/racecheck|:0:0/);
    for (const blocked of violation.blocked!) for (const site of blocked.sites) expect(site).toMatchObject({ file: 'test/fixtures/explain/deadlock.ts', line: 13 });
    expect(violation.explanation?.summary).toMatch(/^(pay|refund) holds s\.(from|to) \(acquired at deadlock\.ts:11\) and waits for s\.(from|to) at deadlock\.ts:13, which (pay|refund) holds .*: two locks taken in opposite orders$/);
  });

  it('tells a lock kept by a task that finished, and a release by a task that did not hold the lock', async () => {
    const kept = violationOf(await runScenario(await scenario('scenarios/forgotten-release.ts', 'buggyEarlyReturnKeepsLock'), { seed: 5 }));
    expect(kept.explanation?.summary).toMatch(/^\w+ acquired this\.#lock at account\.ts:19 and finished without releasing it, so \w+ waits for it at account\.ts:19 forever: a lock never released$/);
    const wrong = violationOf(await runScenario(await scenario('scenarios/lock-timeout.ts', 'buggyReleaseIfLocked'), { seed: 5 }));
    expect(wrong.explanation?.summary).toMatch(/^impatient released s\.lock at lock-timeout\.ts:\d+ while holder held it .*: a release by a task that did not hold the lock$/);
    expect(wrong.explanation?.accesses.map((access) => `${access.task} ${access.value}`)).toEqual(['holder acquired', 'impatient gave up waiting', 'impatient released it without holding it', 'late acquired']);
  });
});

describe('stacks', () => {
  it('carries the stack of a task that threw, in the source as written and without racecheck', async () => {
    const violation = violationOf(await runScenario(await scenario(fixture('timers.ts'), 'throws'), { seed: 3 }));
    expect(violation.kind).toBe('exception');
    const lines = violation.stack!.split('\n');
    expect(lines[0]).toBe('Error: the ledger is closed');
    expect(lines[1]).toMatch(/^ {4}at closeLedger \(test\/fixtures\/explain\/timers\.ts:\d+:\d+\)$/);
    expect(violation.stack).not.toMatch(/dist\/|src\/scheduler|node:internal/);
  });

  it('carries the stack of a check that threw', async () => {
    const violation = violationOf(await runScenario(await scenario(fixture('timers.ts'), 'assertingCheck'), { seed: 3 }));
    expect(violation.kind).toBe('check');
    expect(violation.stack).toMatch(/^AssertionError/);
    expect(violation.stack).toMatch(/test\/fixtures\/explain\/timers\.ts:\d+:\d+/);
  });
});
