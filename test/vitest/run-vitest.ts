import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmEnv } from '../support/prepared.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = path.join(ROOT, 'test/fixtures/vitest');
const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs');

export interface VitestRun {
  readonly code: number;
  /** Everything vitest printed, stdout then stderr. */
  readonly output: string;
  /** vitest's JSON report: one entry per test, by full name. */
  readonly tests: Record<string, { readonly status: string; readonly failure: string }>;
}

/** The environment of a vitest started from inside this test run, without this run's own vitest variables. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return npmEnv({ NO_COLOR: '1', FORCE_COLOR: undefined, RACECHECK_REPLAY: undefined, ...extra });
}

/** Runs a real vitest (`vitest run`, or `command` through the shell, e.g. `npx vitest run`) in `cwd`, with a JSON report beside the default one. */
export function runVitest(cwd: string, args: readonly string[] = [], options: { env?: Record<string, string | undefined>; command?: string } = {}): Promise<VitestRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'racecheck-vitest-'));
  const json = path.join(dir, 'report.json');
  const reporters = ['--reporter=default', '--reporter=json', `--outputFile.json=${json}`];
  return new Promise((resolve) => {
    const done = (error: Error | null, stdout: string, stderr: string) => {
      const code = error && typeof (error as { code?: unknown }).code === 'number' ? ((error as unknown as { code: number }).code) : error ? -1 : 0;
      let tests: VitestRun['tests'] = {};
      try {
        tests = parseReport(readFileSync(json, 'utf8'));
      } catch {
        // No report: vitest failed before running tests; the output says why.
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, output: `${stdout}${stderr}`, tests });
    };
    const options_ = { cwd, env: childEnv(options.env), maxBuffer: 64 * 1024 * 1024 };
    if (options.command) execFile('/bin/sh', ['-c', `${options.command} ${reporters.join(' ')}`], options_, done);
    else execFile(process.execPath, [VITEST, 'run', ...args, ...reporters], options_, done);
  });
}

function parseReport(text: string): VitestRun['tests'] {
  const report = JSON.parse(text) as { testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[] };
  const tests: Record<string, { status: string; failure: string }> = {};
  for (const file of report.testResults) {
    for (const test of file.assertionResults) tests[test.fullName] = { status: test.status, failure: test.failureMessages.join('\n') };
  }
  return tests;
}

/** A vitest in watch mode whose output can be waited on; `stop()` ends it. */
export interface WatchedVitest {
  /** Resolves with the output printed after `from` once it matches `pattern`. */
  next(pattern: RegExp): Promise<string>;
  stop(): Promise<void>;
}

export function watchVitest(cwd: string): WatchedVitest {
  // stderr into the same pipe as stdout, so that what vitest writes arrives in the order it wrote it: a
  // rerun's errors (stderr) before its "Watching for file changes" (stdout). Two pipes may deliver them
  // the other way round on a busy machine. `exec` leaves vitest itself as the child that stop() ends.
  const child: ChildProcess = spawn('/bin/sh', ['-c', 'exec "$0" "$1" --watch 2>&1', process.execPath, VITEST], { cwd, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let consumed = 0;
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const waiter of waiters) waiter();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    next(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const rest = output.slice(consumed);
          const match = pattern.exec(rest);
          if (match) {
            waiters.delete(check);
            consumed += match.index + match[0].length;
            resolve(rest.slice(0, match.index + match[0].length));
          } else if (child.exitCode !== null) {
            waiters.delete(check);
            reject(new Error(`vitest exited (${child.exitCode}) before printing ${pattern}:\n${rest}`));
          }
        };
        waiters.add(check);
        child.once('exit', check);
        check();
      });
    },
    stop() {
      if (child.exitCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/** The replay command a race test's failure printed. */
export function replayCommand(output: string): string {
  const match = /RACECHECK_REPLAY=\S+ npx vitest run \S+/.exec(output);
  if (!match) throw new Error(`no replay command in:\n${output}`);
  return match[0];
}
