import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { argsOf, normalizeTimings, parseReport, ROOT, runMain } from './helpers.js';

describe('racecheck on the bundled counter', () => {
  it('reports the lost update with a timeline and a command that reproduces it', async () => {
    const { code, stdout, stderr } = await runMain(['scenarios/counter.ts', '--seed', '42']);
    expect(code).toBe(1);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^racecheck \d+\.\d+\.\d+ · 1 file · seed 42\n/);
    expect(stdout).toMatch(/✗ scenarios\/counter\.ts#default  1 run · 20 steps  check: expected 10, got 9/);
    expect(stdout).toMatch(/resume counter\.ts:13:5/);
    expect(stdout).toContain('reproduce:');
    expect(stdout).toMatch(/racecheck scenarios\/counter\.ts --replay 1\.[\w-]+/);
    expect(stdout).not.toMatch(/\x1b\[/);
  });

  it('prints the same pretty report for the same seed (snapshot, timings normalised)', async () => {
    const { stdout } = await runMain(['scenarios/counter.ts', 'test/fixtures/core/counter-locked.ts', '--seed', '7', '--runs', '30'], { env: { COLUMNS: '110' } });
    await expect(normalizeTimings(stdout)).toMatchFileSnapshot('__snapshots__/counter.pretty.txt');
  });

  it('colours only when asked: FORCE_COLOR overrides a pipe', async () => {
    const { stdout } = await runMain(['scenarios/counter.ts', '--seed', '1'], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(stdout).toMatch(/\x1b\[/);
  });
});

describe('document reporters', () => {
  it('prints exactly one JSON document matching the documented schema, and nothing a scenario prints', async () => {
    const { code, stdout } = await runMain(['scenarios/counter.ts', 'test/fixtures/core/counter-locked.ts', 'test/fixtures/cli/noisy.ts', '--seed', '3', '--json']);
    expect(code).toBe(1);
    const report = parseReport(stdout);
    expect(report).toMatchObject({ seed: 3, interrupted: false, summary: { scenarios: 4, passed: 2, failed: 2, errors: 0 } });
    expect(report.scenarios.map((s) => s.id)).toEqual([
      'scenarios/counter.ts#default',
      'test/fixtures/core/counter-locked.ts#exclusive',
      'test/fixtures/core/counter-locked.ts#locked',
      'test/fixtures/cli/noisy.ts#noisy',
    ]);
    expect(report.scenarios[0]!.violation).toMatchObject({ kind: 'check', command: expect.stringContaining('--replay') });
  });

  it('writes JUnit XML next to the pretty report', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racecheck-junit-'));
    const file = path.join(dir, 'reports', 'racecheck.xml');
    const { code, stdout } = await runMain(['scenarios/counter.ts', 'test/fixtures/core/counter-locked.ts', '--seed', '3', '--reporter', 'pretty', '--reporter', 'junit', '--output', file]);
    expect(code).toBe(1);
    expect(stdout).toContain('✗ scenarios/counter.ts#default');
    const xml = await readFile(file, 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="racecheck" tests="3" failures="1" errors="0"/);
    expect(xml).toContain('<testcase classname="scenarios/counter.ts" name="default: counter: read-await-write loses updates"');
    expect(xml).toMatch(/<failure message="check: expected 10, got \d+" type="check">check: expected 10, got \d+\n/);
    expect(xml).toContain('reproduce: racecheck scenarios/counter.ts --replay 1.');
    expect(xml).toContain('<testcase classname="test/fixtures/core/counter-locked.ts" name="exclusive"');
  });

  it('refuses two document reporters on stdout', async () => {
    const { code, stderr } = await runMain(['scenarios/counter.ts', '--json', '--reporter', 'junit']);
    expect(code).toBe(2);
    expect(stderr).toBe('racecheck: junit and json cannot both write to stdout; give one a file with --reporter name:file or --output\n');
  });
});

describe('reproduction', () => {
  it('reruns the printed command and gets the same violation and trace', async () => {
    const first = parseReport((await runMain(['test/fixtures/core/imported.ts', '--seed', '11', '--json'])).stdout).scenarios[0]!;
    const again = await runMain([...argsOf(first.violation!.command), '--json']);
    expect(again.code).toBe(1);
    const replayed = parseReport(again.stdout).scenarios[0]!;
    expect(replayed.violation).toMatchObject({ kind: first.violation!.kind, message: first.violation!.message, trace: first.violation!.trace });

    // Without naming the file: the token names it.
    const bare = await runMain(['--replay', first.violation!.replay]);
    expect(bare.code).toBe(1);
    expect(bare.stdout).toContain('✗ test/fixtures/core/imported.ts#overdraft');

    const stale = await runMain(['test/fixtures/core/counter.ts', '--replay', first.violation!.replay]);
    expect(stale).toMatchObject({ code: 2, stderr: 'racecheck: the replay token is for test/fixtures/core/imported.ts#overdraft, which is not among the scenarios loaded\n' });

    const damaged = await runMain(['--replay', `${first.violation!.replay.slice(0, -6)}AAAAAA`]);
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toMatch(/^racecheck: the replay token is damaged/);
  });

  it('replays a failure after a fix that changed the interleaving: says where it diverged, then searches on', async () => {
    // Three orders for two units; the fix puts each under one lock, whose acquire is a scheduling point of its own.
    const checkout = (fixed: boolean) => `import { defineScenario } from 'racecheck';
import { Lock } from 'racecheck/sync';

const lock = new Lock();
const order = async (s: { stock: number; sold: number }) => {
  const left = s.stock;
  await Promise.resolve();
  if (left > 0) {
    s.stock = left - 1;
    s.sold++;
  }
};

export const checkout = defineScenario({
  setup: () => ({ stock: 2, sold: 0 }),
  tasks: [1, 2, 3].map(() => ${fixed ? '(s: { stock: number; sold: number }) => lock.runExclusive(() => order(s))' : 'order'}),
  check: (s) => s.sold <= 2 || \`\${s.sold} orders sold 2 units\`,
});
`;
    // Inside the working directory, where a replay token may name a file, and where 'racecheck' resolves.
    const dir = await mkdtemp(path.join(ROOT, 'test', '.replay-'));
    const file = path.join(dir, 'checkout.ts');
    try {
      await writeFile(file, checkout(false));
      const failed = parseReport((await runMain([path.relative(ROOT, file), '--seed', '3', '--json'])).stdout).scenarios[0]!;
      expect(failed.violation?.message).toBe('3 orders sold 2 units');
      await writeFile(file, checkout(true));

      const replayed = await runMain(['--replay', failed.violation!.replay]);
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stdout).toMatch(/\n {3}the recorded schedule diverges at step \d+ \(checkout\.ts:\d+\): your change altered the interleaving; \d+ further schedules passed\n/);
      const json = parseReport((await runMain(['--replay', failed.violation!.replay, '--json'])).stdout).scenarios[0]!;
      expect(json).toMatchObject({ status: 'pass', search: { strategy: 'replay', complete: false, divergedAt: { run: 1, site: { file: path.relative(ROOT, file) } } } });
      expect(json.runs).toBeGreaterThan(1);

      // --replay-strict keeps a recording that no longer fits an error.
      const strict = await runMain(['--replay', failed.violation!.replay, '--replay-strict']);
      expect(strict.code).toBe(2);
      expect(strict.stdout).toMatch(/the recorded schedule no longer fits this program: at step \d+/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reruns a failing run from its own seed with --runs 1', async () => {
    const random = ['--strategy', 'random', '--no-shrink', '--json'];
    const first = parseReport((await runMain(['scenarios/counter.ts', '--seed', '1000', ...random])).stdout).scenarios[0]!.violation!;
    const again = parseReport((await runMain(['scenarios/counter.ts', '--filter', 'counter.ts#default', '--seed', String(first.seed), '--runs', '1', ...random])).stdout)
      .scenarios[0]!.violation!;
    expect(again).toMatchObject({ message: first.message, trace: first.trace, run: 1 });
  });
});

describe('exit codes and bad input', () => {
  it('exits 0 when nothing is found, 1 on a violation', async () => {
    expect((await runMain(['test/fixtures/core/counter-locked.ts', '--runs', '20'])).code).toBe(0);
    expect((await runMain(['test/fixtures/core/counter.ts', '--filter', 'racy', '--seed', '1'])).code).toBe(1);
  });

  it('takes globs and directories', async () => {
    const glob = parseReport((await runMain(['test/fixtures/core/counter*.ts', '--runs', '5', '--seed', '1', '--json'])).stdout);
    expect(glob.scenarios.map((s) => s.id)).toEqual([
      'test/fixtures/core/counter-locked.ts#exclusive',
      'test/fixtures/core/counter-locked.ts#locked',
      'test/fixtures/core/counter.ts#atomic',
      'test/fixtures/core/counter.ts#racy',
    ]);
    const directory = parseReport((await runMain(['test/fixtures/packages', '--runs', '5', '--seed', '1', '--json'])).stdout);
    expect(directory.scenarios.map((s) => s.id)).toEqual(['test/fixtures/packages/uses-package.ts#viaPackage']);
  });

  it('leaves the test files in a directory to their test runner, and names a vitest file given by name', async () => {
    const directory = await runMain(['test/fixtures/cli/with-tests', '--runs', '5', '--seed', '1', '--json']);
    expect(directory.code).toBe(0);
    expect(parseReport(directory.stdout).scenarios.map((s) => s.id)).toEqual(['test/fixtures/cli/with-tests/counter.ts#atomic']);
    const named = await runMain(['test/fixtures/cli/with-tests/counter.spec.mjs', '--runs', '5', '--json']);
    expect(named.code).toBe(2);
    expect(parseReport(named.stdout).scenarios[0]).toMatchObject({
      status: 'error',
      error: { message: expect.stringMatching(/^test\/fixtures\/cli\/with-tests\/counter\.spec\.mjs: a vitest test file, not a scenario module \(vitest's test\(\) runs only under vitest: run this file with vitest\)$/) },
    });
  });

  it('prints help, with every option, and the version', async () => {
    const help = await runMain(['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--runs', '--seed', '--strategy', '--max-steps', '--timeout', '--max-blocking', '--filter', '--reporter', '--output', '--json', '--replay', '--workers', '--shard', '--config', '--no-shrink']) {
      expect(help.stdout).toContain(flag);
    }
    expect(await runMain(['--version'])).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  const usage: [string, string[], RegExp][] = [
    ['a path that does not exist', ['nope/missing.ts'], /^racecheck: nope\/missing\.ts: no such file or directory\n$/],
    ['a directory with no scenario modules', ['test/fixtures/cli/empty-dir'], /^racecheck: test\/fixtures\/cli\/empty-dir: no scenario modules in this directory/],
    ['a directory of test files only', ['test/fixtures/cli/tests-only'], /^racecheck: test\/fixtures\/cli\/tests-only: no scenario modules in this directory \(\.ts, \.mts, \.js, \.mjs files; its 1 file is a test file \(\*\.test\.\*, \*\.spec\.\*\), left to their test runner\)\n$/],
    ['a directory whose modules export no scenario', ['test/fixtures/cli/helpers-only'], /^racecheck: test\/fixtures\/cli\/helpers-only: no scenario modules \(no file there exports/],
    ['a file that exports no scenario', ['test/fixtures/cli/helpers-only/helper.ts'], /^racecheck: test\/fixtures\/cli\/helpers-only\/helper\.ts: exports no scenario/],
    ['--runs abc', ['scenarios/counter.ts', '--runs', 'abc'], /^racecheck: option '--runs <n>' argument 'abc' is invalid\. expected an integer from 1 to 1000000000\.\n$/],
    ['--seed -x', ['scenarios/counter.ts', '--seed', '-x'], /^racecheck: option '--seed <n>' argument '-x' is invalid\. expected an integer from 0 to 4294967295\.\n$/],
    ['an unknown strategy', ['scenarios/counter.ts', '--strategy', 'chaos'], /^racecheck: option '--strategy <name>' argument 'chaos' is invalid\. expected one of portfolio, random, pct, exhaustive\.\n$/],
    ['an unknown reporter', ['scenarios/counter.ts', '--reporter', 'xml'], /^racecheck: --reporter xml: unknown reporter "xml" \(expected pretty, json, junit, html, or the path of a reporter module/],
    ['an unknown option', ['scenarios/counter.ts', '--frobnicate'], /^racecheck: unknown option '--frobnicate' \(see racecheck --help\)\n$/],
    ['a filter that matches nothing', ['scenarios/counter.ts', '--filter', 'zzz'], /^racecheck: --filter zzz: no scenario's id or name contains it\n$/],
  ];
  it.each(usage)('exits 2 with one line on stderr for %s', async (_name, args, message) => {
    const { code, stdout, stderr } = await runMain(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
  });
});

describe('strategies on the command line', () => {
  it('proves a small scenario with --strategy exhaustive --max-preemptions, and says so', async () => {
    const pretty = await runMain(['test/fixtures/core/strategies.ts', '--filter', 'fourLocked', '--strategy', 'exhaustive', '--max-preemptions', '2']);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/✓ test\/fixtures\/core\/strategies\.ts#fourLocked +[\d,]+ runs · [\d,]+ steps · (?:[\d,]+ runs\/s · )?all [\d,]+ schedules with ≤ 2 preemptions/);
    const json = parseReport((await runMain(['test/fixtures/core/strategies.ts', '--filter', 'fourLocked', '--strategy', 'exhaustive', '--max-preemptions', '2', '--json'])).stdout);
    expect(json.scenarios[0]).toMatchObject({ status: 'pass', search: { strategy: 'exhaustive', complete: true, maxPreemptions: 2 } });
  });

  it('runs pct with a depth, shrinks by default, and reports unshrunk schedules with --no-shrink', async () => {
    const shrunk = parseReport((await runMain(['scenarios/counter.ts', '--strategy', 'pct', '--depth', '2', '--seed', '5', '--json'])).stdout);
    expect(shrunk.scenarios[0]!.violation).toMatchObject({ kind: 'check', strategy: 'pct', shrunk: true, preemptions: 1 });
    const raw = parseReport((await runMain(['scenarios/counter.ts', '--strategy', 'pct', '--depth', '2', '--seed', '5', '--no-shrink', '--json'])).stdout);
    expect(raw.scenarios[0]!.violation).toMatchObject({ kind: 'check', strategy: 'pct', shrunk: false });
  });
});

describe('what is instrumented', () => {
  it('leaves a dependency native, and instruments it with --include <package>', async () => {
    const native = await runMain(['test/fixtures/packages/uses-package.ts', '--seed', '1', '--json']);
    expect(native.code, `${native.stderr}${native.stdout}`).toBe(0);
    const included = await runMain(['test/fixtures/packages/uses-package.ts', '--include', 'slow-counter', '--seed', '1', '--json']);
    expect(included.code, `${included.stderr}${included.stdout}`).toBe(1);
    const violation = parseReport(included.stdout).scenarios[0]!.violation!;
    expect(violation.trace.find((step) => step.site)!.site).toMatchObject({ file: 'test/fixtures/packages/node_modules/slow-counter/index.js', line: 7 });
    // The explanation names the included package's lines for its reads too, not the scenario line that called it.
    const { explanation } = violation as typeof violation & { explanation: { accesses: { op: string; site: { file: string; line: number } | null }[] } };
    const accesses = explanation.accesses.map((access) => `${access.op} ${access.site?.file}:${access.site?.line}`);
    expect(accesses).toEqual(['read test/fixtures/packages/node_modules/slow-counter/index.js:6', 'write test/fixtures/packages/node_modules/slow-counter/index.js:8', 'write test/fixtures/packages/node_modules/slow-counter/index.js:8']);
    expect(included.stderr).toBe('');
  });

  it('warns, naming it, about an --include that instrumented no scheduling point, and goes on', async () => {
    const run = await runMain(['test/fixtures/packages/uses-package.ts', '--include', 'slow-counter', '--include', 'no-such-package', '--include', 'lib/**/*.ts', '--seed', '1', '--json']);
    expect(run.code, `${run.stderr}${run.stdout}`).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'racecheck: warning: --include no-such-package instrumented no scheduling point: it matched no loaded file, or only files without an await racecheck recognises',
      'racecheck: warning: --include lib/**/*.ts instrumented no scheduling point: it matched no loaded file, or only files without an await racecheck recognises',
    ]);
  });

  // Was native on Node 20 (a lost update in it passed): tsx compiles a .cts that an ES module imports by itself,
  // and Node runs it without Module#_compile (instrument/compiled-hooks.ts).
  it('instruments a .cts module of the project that an ES module imports', async () => {
    const run = await runMain(['test/fixtures/core/imports-cts.ts', '--seed', '1', '--json']);
    expect(run.code, `${run.stderr}${run.stdout}`).toBe(1);
    const violation = parseReport(run.stdout).scenarios[0]!.violation!;
    expect(violation.message).toBe('expected 2, got 1');
    expect(violation.trace.find((step) => step.site)!.site).toMatchObject({ file: 'test/fixtures/core/cts/bump.cts', line: 5 });
  });

  it('leaves project files native with --exclude <glob>', async () => {
    expect((await runMain(['test/fixtures/core/imported.ts', '--seed', '1'])).code).toBe(1);
    expect((await runMain(['test/fixtures/core/imported.ts', '--exclude', 'test/fixtures/core/lib/**', '--seed', '1'])).code).toBe(0);
  });
});

describe('real sockets', () => {
  it('finds a lost update in a handler served over loopback, the same way every time', async () => {
    const runs = await Promise.all([1, 2].map(() => runMain(['test/fixtures/cli/loopback.ts', '--seed', '1', '--runs', '30', '--max-blocking', '60000', '--json'])));
    const [first, second] = runs.map((run) => parseReport(run.stdout).scenarios[0]!.violation!);
    expect(first).toMatchObject({ kind: 'check', message: 'expected 2 hits, got 1' });
    // The handlers run in lanes of their own (one per request), each created by the task that sent it.
    const handlers = first!.trace.filter((step) => step.task.startsWith('GET /'));
    expect(handlers.length).toBeGreaterThan(0);
    expect(handlers.every((step) => (step as { origin?: string }).origin === 't0' || (step as { origin?: string }).origin === 't1')).toBe(true);
    expect(second!.trace).toEqual(first!.trace);
  });
});
