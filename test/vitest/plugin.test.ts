import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeReplayToken } from '../../src/report/replay-token.js';
import { FIXTURES, replayCommand, ROOT, runVitest, watchVitest, type VitestRun } from './run-vitest.js';

const fixture = (name: string) => path.join(FIXTURES, name);

/** One run of the features fixture, every spec file in it, shared by the tests that read its results. */
let features: Promise<VitestRun> | undefined;
const featuresRun = (): Promise<VitestRun> => (features ??= runVitest(fixture('features')));

describe('racecheck/vitest in a real vitest', () => {
  it('keeps vitest\'s own timers real during a run, and stops a search whose test timed out', async () => {
    const run = await featuresRun();
    expect(run.tests, run.output).toMatchObject({
      'virtual hours inside a run': { status: 'passed' },
      'logging from tasks': { status: 'passed' },
      'a search that outlasts its test': { status: 'failed' },
      'the next race test': { status: 'passed' },
      'time is real after the race tests': { status: 'passed' },
    });
    expect(run.output).toContain('FAIL  timers.spec.ts > a search that outlasts its test\nError: Test timed out in 400ms.');
    // What tasks log during a run reaches vitest's output.
    expect(run.output).toContain('hello from t0');
    expect(run.output).toContain('bye from t0');
    expect(run.output).toContain('hello from t1');
  });

  it('runs race tests one at a time in a concurrent suite, and refuses vitest\'s fake timers in one line', async () => {
    const run = await featuresRun();
    expect(run.tests, run.output).toMatchObject({
      'concurrent suite first': { status: 'passed' },
      'concurrent suite second': { status: 'passed' },
      'fake timers left on': { status: 'failed' },
    });
    expect(run.tests['fake timers left on']!.failure).toMatch(/^RaceTestError: racecheck\/vitest: vitest's fake timers are on \(vi\.useFakeTimers\(\)\); racecheck runs every race check on a virtual clock of its own: call vi\.useRealTimers\(\) before it\n/);
  });

  it('reports a race as an assertion error with the timeline and a vitest replay command, and replays it', async () => {
    const run = await featuresRun();
    const failure = run.tests['counter loses an update']!;
    expect(failure.status).toBe('failed');
    expect(failure.failure).toMatch(/^AssertionError: check: expected 2, got 1 \(found by racecheck in run \d+\)\n/);
    expect(failure.failure).toContain('─── mocked.spec.ts#counter > loses an update ───');
    expect(failure.failure).toMatch(/│ resume counter\.ts:9:5/);
    expect(failure.failure).toMatch(/│ +await Promise\.resolve\(\);/);
    // The accesses at the lines of counter.ts as written: their frames come through vitest's own source maps
    // (were counter.ts:37 and :39 of Vite's compiled module, without their text).
    expect(failure.failure).toMatch(/\[1\] +step \d+ +t\d +read +c\.value \(0\) +counter\.ts:8 +const value = this\.value;/);
    expect(failure.failure).toMatch(/\[2\] +step \d+ +t\d +write +c\.value \(1\) +counter\.ts:10 +this\.value = value \+ 1;/);
    const command = replayCommand(failure.failure);
    expect(command).toMatch(/^RACECHECK_REPLAY=1\.[\w-]+ npx vitest run mocked\.spec\.ts$/);

    // The second race check in one test has an id (and so a token) of its own.
    const second = run.tests['counter two checks in one test']!;
    expect(second.failure).toContain('─── mocked.spec.ts#counter > two checks in one test (2) ───');

    // An unhandled rejection is a violation like the others.
    expect(run.tests['fire and forget']!.failure).toMatch(/^AssertionError: unhandled-rejection: unhandled rejection: Error: nobody handles this/);
    // So is one handled only after a sleep: vitest's own listener would report it, as Node would end the process.
    expect(run.tests['a lookup awaited after a sleep']!.failure).toMatch(/^AssertionError: unhandled-rejection: unhandled rejection: Error: lookup failed \(nothing handled it by the time every task waited/);

    // Stack traces of instrumented code keep their original columns (the rewrite's source map is composed).
    expect(run.tests['a throw after an await on the same line']!.failure).toContain('maps.spec.ts:4:60');

    const token = /RACECHECK_REPLAY=(\S+)/.exec(command)![1]!;
    const replayed = await runVitest(fixture('features'), ['mocked.spec.ts'], { env: { RACECHECK_REPLAY: token } });
    const again = replayed.tests['counter loses an update']!;
    expect(again.failure).toContain('strategy replay');
    expect(timeline(again.failure)).toEqual(timeline(failure.failure));
    // The token names one test; the others in the file search as usual.
    expect(replayed.tests['counter two checks in one test']!.failure).not.toContain('strategy replay');
  });

  it('fails a race test with a one-line reason when the replay token is damaged', async () => {
    const run = await runVitest(fixture('features'), ['mocked.spec.ts'], { env: { RACECHECK_REPLAY: '1.not-a-token' } });
    expect(run.tests['counter loses an update']!.failure).toMatch(/^RaceTestError: RACECHECK_REPLAY: the replay token is damaged/);
  });

  it('fails the file when the replay token names a race test of it that did not run', async () => {
    const token = encodeReplayToken({ id: 'mocked.spec.ts#counter > a renamed test', strategy: 'random', seed: 1, choices: [0], counts: [1] });
    const run = await runVitest(fixture('features'), ['mocked.spec.ts'], { env: { RACECHECK_REPLAY: token } });
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      'RaceTestError: RACECHECK_REPLAY: the token replays mocked.spec.ts#counter > a renamed test, but no race test of that name ran in mocked.spec.ts',
    );
  });

  it('puts sites and stack frames where they were written when a plugin before it moved the code', async () => {
    // The fixture's own plugin prepends two lines, with a source map, before racecheck's runs.
    const run = await runVitest(fixture('prior-transform'));
    expect(run.tests['loses an update']!.failure).toMatch(/│ resume counter\.ts:9:5/);
    expect(run.tests['a throw after an await on the same line']!.failure).toContain('maps.spec.ts:4:60');
  });

  it('leaves the global setup, which runs in vitest\'s main process, uninstrumented', async () => {
    const run = await featuresRun();
    expect(run.tests['the global setup ran']).toMatchObject({ status: 'passed' });
    expect(run.tests['its awaits are scheduling points in a race test']!.failure).toContain('check: b finished first: ba');
  });

  it('says how to fix a config without the plugin', async () => {
    const run = await runVitest(fixture('no-plugin'));
    expect(run.code).toBe(1);
    expect(run.output).toContain('RaceTestError: racecheck/vitest: the racecheck() plugin is not in this project\'s vitest config');
  });

  it('instruments a package under node_modules, ESM or CommonJS, only when include names it', async () => {
    const included = await runVitest(fixture('include'));
    for (const name of ['EsmCounter counts every increment', 'CjsCounter counts every increment']) {
      expect(included.tests[name]!.failure).toContain('check: expected 2, got 1');
    }
    expect(included.tests['EsmCounter counts every increment']!.failure).toMatch(/resume index\.js:7:5/);
    const native = await runVitest(fixture('include'), ['--config', 'vitest.native.config.ts']);
    expect(Object.values(native.tests).map((test) => test.status)).toEqual(['passed', 'passed']);
  });

  describe('in a project whose code changes', () => {
    const projects: string[] = [];
    afterAll(() => {
      for (const project of projects) rmSync(project, { recursive: true, force: true });
    });
    /** A copy of the watch fixture, with racecheck and vitest linked from this checkout. */
    const counterProject = () => {
      const project = mkdtempSync(path.join(tmpdir(), 'racecheck-watch-'));
      projects.push(project);
      cpSync(fixture('watch'), project, { recursive: true });
      writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'counter', private: true, type: 'module' }));
      mkdirSync(path.join(project, 'node_modules'));
      symlinkSync(ROOT, path.join(project, 'node_modules/racecheck'));
      symlinkSync(path.join(ROOT, 'node_modules/vitest'), path.join(project, 'node_modules/vitest'));
      return project;
    };

    it('replays a failure after a fix that changed the interleaving, and says where it diverged', async () => {
      const project = counterProject();
      const failed = await runVitest(project);
      const token = /RACECHECK_REPLAY=(\S+)/.exec(failed.tests['two increments count twice']!.failure)![1]!;
      const source = path.join(project, 'counter.ts');
      writeFileSync(
        source,
        `import { Lock } from 'racecheck/sync';

export class Counter {
  value = 0;
  readonly #lock = new Lock();

  increment(): Promise<void> {
    return this.#lock.runExclusive(async () => {
      const value = this.value;
      await Promise.resolve();
      this.value = value + 1;
    });
  }
}
`,
      );
      const replayed = await runVitest(project, [], { env: { RACECHECK_REPLAY: token } });
      expect(replayed.tests['two increments count twice']).toMatchObject({ status: 'passed' });
      expect(replayed.output).toMatch(
        /racecheck: counter\.spec\.ts#two increments count twice: the recorded schedule diverges at step \d+( \([\w.]+:\d+\))?: your change altered the interleaving; \d+ further schedules? passed/,
      );
    });

    it('instruments the changed module again on every rerun of watch mode', async () => {
      const project = counterProject();
      const source = path.join(project, 'counter.ts');
      const buggy = readFileSync(source, 'utf8');
      const vitest = watchVitest(project);
      try {
        const first = await vitest.next(/Watching for file changes|Waiting for file changes/);
        expect(first, first).toContain('check: expected 2, got 1');
        writeFileSync(source, buggy.replace('this.value = value + 1;', 'this.value += 1;'));
        const fixed = await vitest.next(/Watching for file changes|Waiting for file changes/);
        expect(fixed).toMatch(/✓ counter\.spec\.ts \(1 test\)/);
        writeFileSync(source, buggy);
        const broken = await vitest.next(/Watching for file changes|Waiting for file changes/);
        expect(broken, broken).toContain('check: expected 2, got 1');
        expect(broken).toContain('resume counter.ts:6:5');
      } finally {
        await vitest.stop();
      }
    });
  });
});

/** The timeline rows of a report: the lines with a step number or its source text. */
function timeline(report: string): string[] {
  return report.split('\n').filter((line) => /^\s+\d+(–\d+)? │|^\s+│/.test(line));
}
