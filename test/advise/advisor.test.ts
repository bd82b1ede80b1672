import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenarios, runScenario, type Advice, type AdviceCode, type LoadedScenario, type RunScenarioOptions, type ScenarioResult } from 'racecheck';

/** The lock advisor (issue 12, SPEC §6) on real scenario files: each code, where it applies and where it must not. */
const DIR = 'test/fixtures/advise';
const loaded = new Map<string, Promise<LoadedScenario[]>>();

async function scenario(file: string, name: string): Promise<LoadedScenario> {
  if (!loaded.has(file)) loaded.set(file, loadScenarios(`${DIR}/${file}`));
  const found = (await loaded.get(file)!).find((s) => s.exportName === name);
  if (!found) throw new Error(`no scenario ${name} in ${file}`);
  return found;
}

function run(file: string, name: string, options: RunScenarioOptions = {}): Promise<ScenarioResult> {
  return scenario(file, name).then((s) => runScenario(s, { seed: 11, ...options }));
}

const codes = (result: ScenarioResult): AdviceCode[] => (result.advice ?? []).map((advice) => advice.code);

function find<C extends AdviceCode>(result: ScenarioResult, code: C): Advice & { readonly code: C } {
  const advice = result.advice?.find((a) => a.code === code);
  if (!advice) throw new Error(`no ${code} advice: ${JSON.stringify(result.advice ?? [])}`);
  return advice as Advice & { readonly code: C };
}

/** The 1-based line and column of the first occurrence of `text` in a fixture (after `from`, if given). */
function at(file: string, text: string, from?: string): { file: string; line: number; column: number } {
  const source = readFileSync(`${DIR}/${file}`, 'utf8');
  const offset = source.indexOf(text, from === undefined ? 0 : source.indexOf(from));
  if (offset === -1) throw new Error(`${text} is not in ${file}`);
  const before = source.slice(0, offset).split('\n');
  return { file: `${DIR}/${file}`, line: before.length, column: before[before.length - 1]!.length + 1 };
}

const lineOf = (file: string, text: string, from?: string) => at(file, text, from).line;

describe('lock-without-await', () => {
  it.each(['atomicSection', 'atomicRunExclusive', 'atomicAsyncFunction'])('names a lock whose critical sections never reach a scheduling point: %s', async (name) => {
    const result = await run('without-await.ts', name);
    expect(result.status).toBe('pass');
    const advice = find(result, 'lock-without-await');
    // The `new Lock()` of setup, exactly, in every run: the site cache keeps one site for the line.
    expect(advice.lock).toMatchObject({ ...at('without-await.ts', 'new Lock()'), text: expect.stringContaining('new Lock()') });
    expect(advice.primitive).toBe('Lock');
    expect(advice.message).toMatch(/^this lock protects no await: no scheduling point was reached inside any of its [\d,]+ critical sections in [\d,]+ runs, so the code inside is atomic anyway, and the lock can go$/);
    expect(advice.sites.length).toBeGreaterThan(0);
    expect(codes(result)).toEqual(['lock-without-await']);
  });

  it('does not count the await of the acquire itself: it is outside the critical section', async () => {
    const advice = find(await run('without-await.ts', 'atomicSection'), 'lock-without-await');
    expect(advice.sites).toEqual([expect.objectContaining({ line: lineOf('without-await.ts', 'await s.lock.acquire()'), text: expect.stringContaining('await s.lock.acquire()') })]);
  });

  it('counts an await of a value that is already there: it is a scheduling point all the same', async () => {
    for (const name of ['resolvedAwaitInside', 'plainValueAwaitInside']) {
      const result = await run('without-await.ts', name);
      expect(result.status, name).toBe('pass');
      expect(codes(result), name).toEqual([]);
    }
  });

  it('counts a section that spans steps without an await (a timer settles what it returns): the lock is needed', async () => {
    const result = await run('without-await.ts', 'sectionSpansTimer', { advise: true });
    expect(result.status).toBe('pass');
    expect(codes(result)).toEqual(['lock-needed']);
    expect(find(result, 'lock-needed').message).toBe('this lock is needed: without it, the check fails: 2 writes overlapped');
  });

  it('speaks of a semaphore as a semaphore', async () => {
    const advice = find(await run('without-await.ts', 'semaphoreWithoutAwait'), 'lock-without-await');
    expect(advice.primitive).toBe('Semaphore');
    expect(advice.message).toMatch(/^this semaphore protects no await: .* and the semaphore can go$/);
  });

  it('finds the site of a lock made when its module loaded, shared by every run', async () => {
    const advice = find(await run('module-lock.ts', 'moduleLock'), 'lock-without-await');
    expect(advice.lock).toMatchObject(at('module-lock.ts', 'new Lock()'));
  });

  it('tells apart two `new Lock()` that the same step reaches in different runs', async () => {
    for (const [name, first, second] of [
      ['branching', 'function makeLock()', 'new Lock() :'],
      ['branchingLines', 'if (Math.random() < 0.5) return', '  return new Lock();\n}'],
    ] as const) {
      const result = await run('branching.ts', name, { runs: 40, strategy: 'random' });
      const sites = (result.advice ?? []).filter((a) => a.code === 'lock-without-await').map((a) => `${a.lock.line}:${a.lock.column}`);
      const expected = [at('branching.ts', 'new Lock()', first), at('branching.ts', 'new Lock(', second.replace(/^new Lock\(\) :$/, ': new Lock('))];
      expect(sites.sort(), name).toEqual(expected.map((site) => `${site.line}:${site.column}`).sort());
    }
  });
});

describe('a correct lock that is needed', () => {
  it('gets no lock-without-await, lock-per-call or lock-unneeded: only lock-needed, with a replay of the variant', async () => {
    const result = await run('without-await.ts', 'neededLock', { advise: true });
    expect(result.status).toBe('pass');
    expect(codes(result)).toEqual(['lock-needed']);
    const advice = find(result, 'lock-needed');
    expect(advice.lock).toMatchObject(at('without-await.ts', 'new Lock()'));
    expect(advice.violation).toMatchObject({ kind: 'check', message: expect.stringMatching(/^expected 3, got [12]$/), bypass: [`${DIR}/without-await.ts:${advice.lock.line}:${advice.lock.column}`] });
    // The explanation of the race the lock prevents, where racecheck can see the accesses.
    expect(advice.message).toMatch(/^this lock is needed: without it, t\d read s\.value \(\d\) at without-await\.ts:\d+, .* from its stale read: a lost update$/);
  });

  it('replays the variant from its schedule: the same violation without the lock, none with it', async () => {
    const advice = find(await run('without-await.ts', 'neededLock', { advise: true }), 'lock-needed');
    const { choices, counts, seed, bypass } = advice.violation;
    const replay = { replay: { choices, counts }, replayStrict: true, seed };
    const without = await run('without-await.ts', 'neededLock', { ...replay, bypassLocks: bypass });
    expect(without).toMatchObject({ status: 'fail', runs: 1, violation: { kind: 'check', message: advice.violation.message }, bypassLocks: bypass });
    expect(without.name).toContain('without the locks made at');
    // The variant's report is about the program without the lock: no advice about that lock.
    expect(without.advice).toBeUndefined();
    // With the lock the program takes other steps: the recording stops fitting, and the search that goes on finds nothing.
    const withLock = await run('without-await.ts', 'neededLock', { ...replay, replayStrict: false });
    expect(withLock.status).toBe('pass');
  });

  it('says the same of every other needed lock: a shared account lock, and read-await-write sections', async () => {
    for (const [file, name] of [
      ['per-call.ts', 'perObject'],
      ['without-await.ts', 'resolvedAwaitInside'],
      ['without-await.ts', 'plainValueAwaitInside'],
    ] as const) {
      expect(codes(await run(file, name, { advise: true })), name).toEqual(['lock-needed']);
    }
  });
});

describe('lock-unneeded', () => {
  it('proves a small scenario correct without the lock: every schedule of the variant passes', async () => {
    const result = await run('without-await.ts', 'unneededSmall', { advise: true });
    expect(codes(result)).toEqual(['lock-without-await', 'lock-unneeded']);
    const advice = find(result, 'lock-unneeded');
    expect(advice.search).toEqual({ schedules: expect.any(Number), complete: true });
    expect(advice.search.schedules).toBeGreaterThan(1);
    expect(advice.message).toBe(
      `this lock is not needed here: with it made a no-op, all ${advice.search.schedules} schedules pass, every one there is; it protects no await: the code inside is atomic, and the lock can go`,
    );
  });

  it('says how far a search that could not cover every schedule went', async () => {
    const advice = find(await run('without-await.ts', 'atomicSection', { advise: true, runs: 20, strategy: 'random' }), 'lock-unneeded');
    expect(advice.search).toEqual({ schedules: expect.any(Number), complete: false });
    expect(advice.message).toMatch(/^this lock is not needed here: with it made a no-op, none of the \d+ schedules tried fails \(not every schedule: a longer search may still find one\); it protects no await/);
  });

  it('runs no variant without --advise, for a scenario that fails, or for a replay', async () => {
    expect(codes(await run('without-await.ts', 'unneededSmall'))).toEqual(['lock-without-await']);
    expect(codes(await run('per-call.ts', 'perCall', { advise: true }))).toEqual(['lock-per-call']);
  });
});

describe('lock-per-call', () => {
  it('names a lock made inside the function: one per call, never contended', async () => {
    const result = await run('per-call.ts', 'perCall');
    expect(result.status).toBe('fail');
    const advice = find(result, 'lock-per-call');
    expect(advice.lock).toMatchObject(at('per-call.ts', 'new Lock()'));
    expect(advice.message).toBe(
      'a new lock for each call: this line made 4 locks in one run for 4 tasks, and no two tasks ever asked for the same one, so it excludes nothing; make it once, beside the state it protects, and share it',
    );
    expect(advice.sites).toEqual([expect.objectContaining({ line: lineOf('per-call.ts', 'lock.runExclusive') })]);
  });

  it('does not name a lock per object that tasks share, nor a lock only one task ever asks for', async () => {
    for (const name of ['perObject', 'perCallOneTask']) expect(codes(await run('per-call.ts', name)), name).not.toContain('lock-per-call');
  });

  it('counts who asked for a lock, not who got it: two tasks deadlocked on two accounts shared them', async () => {
    const result = await run('order.ts', 'transfers');
    expect(result.status).toBe('fail');
    expect(codes(result)).not.toContain('lock-per-call');
  });
});

describe('blocking-in-lock', () => {
  it('names the lock a blocking step held, and the step', async () => {
    const result = await run('blocking.ts', 'blockingInside');
    expect(result.violation?.kind).toBe('blocked-loop');
    const advice = find(result, 'blocking-in-lock');
    expect(advice.lock).toMatchObject(at('blocking.ts', 'new Lock()'));
    expect(advice.message).toMatch(/^t[01] blocked the event loop for \d+ ms \(limit 20 ms\) while holding this lock, in the step from test\/fixtures\/advise\/blocking\.ts:\d+:\d+: nothing else runs meanwhile/);
    expect(advice.sites.map((site) => site.line)).toContain(lineOf('blocking.ts', 's.lock.acquire()'));
  });

  it('does not blame a lock for a block before its acquire, or one in a task that holds none', async () => {
    for (const name of ['blockingBeforeAcquire', 'blockingElsewhere']) {
      const result = await run('blocking.ts', name);
      expect(result.violation?.kind, name).toBe('blocked-loop');
      expect(codes(result), name).not.toContain('blocking-in-lock');
    }
  });
});

describe('lock-not-released', () => {
  it('names the lock a finished task kept, and where it was acquired', async () => {
    const result = await run('not-released.ts', 'earlyReturn', { strategy: 'random', runs: 20 });
    const advice = find(result, 'lock-not-released');
    expect(advice.lock).toMatchObject(at('not-released.ts', 'new Lock()', 'export const earlyReturn'));
    expect(advice.message).toMatch(/^(first|second) finished while still holding this lock, acquired at test\/fixtures\/advise\/not-released\.ts:\d+:\d+: every later acquire waits forever; release it in finally, or use runExclusive$/);
    expect(advice.sites).toEqual([expect.objectContaining({ line: lineOf('not-released.ts', 's.lock.acquire()') })]);
  });

  it('says nothing of a lock released on every way out, or of a semaphore used as a signal', async () => {
    for (const name of ['releasedInFinally', 'signalConsumed']) expect(codes(await run('not-released.ts', name)), name).toEqual([]);
  });
});

describe('release-by-other-task', () => {
  it('names the task that released a lock another held, and both sites', async () => {
    const result = await run('foreign-release.ts', 'otherTaskReleases');
    const advice = find(result, 'release-by-other-task');
    const released = at('foreign-release.ts', 's.lock.release()', 'meddler');
    expect(advice.message).toBe(
      `meddler released this lock at ${released.file}:${released.line}:${released.column + 7} while holder held it (acquired at ${DIR}/foreign-release.ts:${lineOf('foreign-release.ts', 's.lock.acquire()')}:${at('foreign-release.ts', 'acquire()').column}): the lock is free again with holder still inside, so another task can walk in; only the task that acquired a lock may release it`,
    );
    expect(advice.sites.map((site) => site.line)).toEqual([lineOf('foreign-release.ts', 's.lock.acquire()'), released.line]);
  });

  it('says nothing when each task releases its own lock, or of a semaphore that signals', async () => {
    for (const name of ['ownRelease', 'semaphoreSignal']) expect(codes(await run('foreign-release.ts', name)), name).toEqual([]);
  });
});

describe('lock-order-inversion', () => {
  it('names two locks taken in opposite orders, though no run deadlocked', async () => {
    const result = await run('order.ts', 'inversionWithoutDeadlock');
    expect(result.status).toBe('pass');
    const advice = find(result, 'lock-order-inversion');
    const a = at('order.ts', 'new Lock()');
    const b = at('order.ts', 'new Lock()', 'b: new');
    expect(advice.locks).toEqual([expect.objectContaining({ line: a.line, column: a.column }), expect.objectContaining({ line: b.line, column: b.column })]);
    expect(advice.lock).toEqual(advice.locks[0]);
    expect(advice.message).toBe(
      `\`a\` (made at ${a.file}:${a.line}:${a.column}) and \`b\` (made at ${b.file}:${b.line}:${b.column}) are taken in opposite orders: forward takes \`a\` and then \`b\`, backward takes \`b\` and then \`a\`; each can hold one and wait for the other forever (no run deadlocked, but another timing can); take nested locks in one order everywhere`,
    );
    expect(advice.sites.map((site) => site.line)).toEqual([lineOf('order.ts', 'first.acquire()'), lineOf('order.ts', 'second.acquire()')]);
  });

  it('tells apart two locks made by one line (one per account) and says a run deadlocked', async () => {
    const result = await run('order.ts', 'transfers');
    expect(result.violation?.kind).toBe('deadlock');
    const advice = find(result, 'lock-order-inversion');
    const made = at('order.ts', 'new Lock()', 'class Account');
    expect(advice.locks).toEqual([expect.objectContaining(made), expect.objectContaining(made)]);
    expect(advice.message).toBe(
      `two locks made at ${made.file}:${made.line}:${made.column} (\`lock\`) are taken in opposite orders: there takes the 1st and then the 2nd, back takes the 2nd and then the 1st; each can hold one and wait for the other forever (a run deadlocked); take nested locks in one order everywhere`,
    );
  });

  it('says nothing of one order everywhere, of both orders under a common lock, or of one task taking both orders', async () => {
    for (const name of ['sameOrder', 'gated', 'oneTaskBothOrders']) expect(codes(await run('order.ts', name)), name).not.toContain('lock-order-inversion');
  });
});

describe('the advice itself', () => {
  it('is the same for the same seed', async () => {
    const once = await run('order.ts', 'transfers');
    const again = await run('order.ts', 'transfers');
    expect(JSON.stringify(again.advice)).toBe(JSON.stringify(once.advice));
    const advised = await run('without-await.ts', 'neededLock', { advise: true });
    expect(JSON.stringify((await run('without-await.ts', 'neededLock', { advise: true })).advice)).toBe(JSON.stringify(advised.advice));
  });

  it('never changes a verdict: with and without --advise, the same result besides the advice', async () => {
    for (const [file, name] of [
      ['without-await.ts', 'neededLock'],
      ['per-call.ts', 'perCall'],
    ] as const) {
      const { advice: _a, durationMs: _d, ...plain } = await run(file, name);
      const { advice: _b, durationMs: _e, ...advised } = await run(file, name, { advise: true });
      expect(advised, name).toEqual(plain);
    }
  });
});
