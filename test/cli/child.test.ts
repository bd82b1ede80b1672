import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReport, processesWith, runCli, runMain, type JsonReport, type JsonScenario } from './helpers.js';

/**
 * Every scenario file runs in a child process of its own: whatever a scenario does to its process is
 * reported for that scenario, and the other files run as if nothing happened. These spawn the real CLI.
 */
const HOSTILE = [
  'test/fixtures/cli/hostile/exits-on-import.ts',
  'test/fixtures/cli/exits.ts',
  'test/fixtures/cli/hostile/kill-self.ts',
  'test/fixtures/cli/hostile/term-self.ts',
  'test/fixtures/cli/hostile/replaces-globals.ts',
  'test/fixtures/cli/hostile/globals-intact.ts',
  'test/fixtures/cli/hostile/writes-fd.ts',
  'test/fixtures/cli/hostile/leaves-children.ts',
  'test/fixtures/cli/hang.ts',
  'scenarios/counter.ts',
];

function scenario(report: JsonReport, id: string): JsonScenario {
  const found = report.scenarios.find((s) => s.id === id);
  if (!found) throw new Error(`no ${id} in ${report.scenarios.map((s) => s.id).join(', ')}`);
  return found;
}

describe('isolation', () => {
  it('reports what each scenario did to its process, runs the other files, and leaves no process behind', async () => {
    const mark = randomUUID();
    const { code, stdout, stderr } = await runCli([...HOSTILE, '--seed', '1', '--json'], { RACECHECK_TEST_MARK: mark });
    expect(code, stderr).toBe(1);
    // fs.writeSync(1, ...) in a task went to the child's stdout, not into this document.
    const report = parseReport(stdout);
    expect(report.scenarios.map((s) => s.id)).toEqual([
      'test/fixtures/cli/hostile/exits-on-import.ts',
      'test/fixtures/cli/exits.ts#exits',
      'test/fixtures/cli/hostile/kill-self.ts#sigkill',
      'test/fixtures/cli/hostile/term-self.ts#sigint',
      'test/fixtures/cli/hostile/term-self.ts#sigterm',
      'test/fixtures/cli/hostile/replaces-globals.ts#replaced',
      'test/fixtures/cli/hostile/globals-intact.ts#intact',
      'test/fixtures/cli/hostile/writes-fd.ts#writesFd',
      'test/fixtures/cli/hostile/leaves-children.ts#clean',
      'test/fixtures/cli/hostile/leaves-children.ts#leaves',
      'test/fixtures/cli/hang.ts#afterHang',
      'test/fixtures/cli/hang.ts#spin',
      'scenarios/counter.ts#default',
    ]);

    expect(scenario(report, 'test/fixtures/cli/hostile/exits-on-import.ts')).toMatchObject({
      status: 'error',
      error: { message: 'test/fixtures/cli/hostile/exits-on-import.ts: the module ended its process with process.exit(3) while it was being imported' },
    });
    const site = (file: string, line: number) => ` It was at step 2: t0 resumed at ${file}:${line}:7.`;
    expect(scenario(report, 'test/fixtures/cli/exits.ts#exits').violation).toMatchObject({
      kind: 'exception',
      message: `the scenario ended its process with process.exit(7) during run 1.${site('test/fixtures/cli/exits.ts', 6)}`,
      run: 1,
      step: 2,
    });
    expect(scenario(report, 'test/fixtures/cli/hostile/kill-self.ts#sigkill').violation!.message).toBe(
      `the scenario killed its own process with SIGKILL during run 1.${site('test/fixtures/cli/hostile/kill-self.ts', 7)}`,
    );
    expect(scenario(report, 'test/fixtures/cli/hostile/term-self.ts#sigterm').violation!.message).toMatch(/^the scenario killed its own process with SIGTERM during run 1\./);
    expect(scenario(report, 'test/fixtures/cli/hostile/term-self.ts#sigint').violation!.message).toMatch(/^the scenario killed its own process with SIGINT during run 1\./);
    // The exit's schedule was recorded: its token replays up to where the process ended.
    expect(scenario(report, 'test/fixtures/cli/exits.ts#exits').violation!.command).toMatch(/ --replay 1\./);

    // Globals a file replaced are its own: the next file starts from Node's.
    expect(scenario(report, 'test/fixtures/cli/hostile/replaces-globals.ts#replaced')).toMatchObject({ status: 'error', error: { message: expect.stringContaining('then was replaced') } });
    expect(scenario(report, 'test/fixtures/cli/hostile/globals-intact.ts#intact').status).toBe('pass');
    expect(scenario(report, 'test/fixtures/cli/hostile/writes-fd.ts#writesFd').violation).toMatchObject({ kind: 'check' });

    const leaves = scenario(report, 'test/fixtures/cli/hostile/leaves-children.ts#leaves');
    expect(leaves).toMatchObject({ status: 'error', error: { message: expect.stringMatching(/^left 3 processes running after its runs \(sleep 300; sleep 301; (sh -c )?sleep 302( & exit 0)?\); racecheck ended them/) } });
    // The third is the daemon the shell forked (or, on a machine too busy for the shell to have exited yet, the shell).
    expect(leaves.processesLeft!.map((p) => p.command)).toEqual(['sleep 300', 'sleep 301', expect.stringMatching(/^(sleep 302|sh -c sleep 302 & exit 0)$/)]);
    expect(scenario(report, 'test/fixtures/cli/hostile/leaves-children.ts#clean').status).toBe('pass');

    const spin = scenario(report, 'test/fixtures/cli/hang.ts#spin');
    expect(spin.violation).toMatchObject({ kind: 'timeout', run: 1, step: 2, reproduced: { tries: 1, failed: 1 } });
    expect(spin.violation!.message).toBe(
      'run 1 did not finish within 300 ms of real time: it was busy, in a synchronous loop or a blocking call that never gave the event loop back. It was at step 2: spinner resumed at test/fixtures/cli/hang.ts:9:7. It hung again when its schedule was replayed.',
    );
    expect(scenario(report, 'test/fixtures/cli/hang.ts#afterHang').status).toBe('pass');
    expect(scenario(report, 'scenarios/counter.ts#default').violation).toMatchObject({ kind: 'check' });

    expect(processesWith('RACECHECK_TEST_MARK', mark)).toEqual([]);
  });

  it('honours --timeout for a synchronous hang, and replays it from its token: the same step, site and verdict', async () => {
    const first = parseReport((await runMain(['test/fixtures/cli/hang.ts', '--filter', 'spin', '--seed', '3', '--timeout', '150', '--json'])).stdout).scenarios[0]!.violation!;
    expect(first.message).toMatch(/^run 1 did not finish within 150 ms of real time/);
    const again = parseReport((await runMain(['--replay', first.replay, '--timeout', '150', '--json'])).stdout).scenarios[0]!.violation!;
    expect(again).toMatchObject({ kind: 'timeout', message: first.message, step: first.step, trace: first.trace, reproduced: { tries: 1, failed: 1 } });
  });

  it('does not report a hang its replay does not show: the scenario runs again in a fresh process', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racecheck-hangs-once-'));
    const { code, stdout } = await runMain(['test/fixtures/cli/hangs-once.ts', '--seed', '1', '--json'], { env: { HANGS_ONCE_DIR: dir } });
    expect(code).toBe(0);
    expect(parseReport(stdout).scenarios[0]).toMatchObject({ id: 'test/fixtures/cli/hangs-once.ts#hangsOnce', status: 'pass', violation: null });
  });

  it('never reports a hang that no replay shows: after three, the scenario is an error, not a verdict', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racecheck-hangs-odd-'));
    const { code, stdout } = await runMain(['test/fixtures/cli/hangs-in-odd-processes.ts', '--seed', '1', '--json'], { env: { HANGS_DIR: dir } });
    expect(code).toBe(2);
    expect(parseReport(stdout).scenarios[0]).toMatchObject({
      id: 'test/fixtures/cli/hangs-in-odd-processes.ts#hangsInOddProcesses',
      status: 'error',
      violation: null,
      error: { message: expect.stringContaining('a run went past its 200 ms timeout 3 times and each time the replay of its schedule finished') },
    });
  });

  // Node 20's loader has now and then failed a fresh child's import of racecheck's own modules (stops 19 and
  // 21 of the suite: a named export "missing" from dist/advise/order-graph.js, "request for 'node:module' is
  // not in cache"), which made the file an error. The file now goes to a fresh child, up to 3 in all.
  it('gives a file a fresh child when racecheck\'s own start fails in one, and says so after the third', async () => {
    const once = await mkdtemp(path.join(tmpdir(), 'rc-start-'));
    const retried = await runMain(['scenarios/counter.ts', '--seed', '42', '--json'], { env: { RACECHECK_TEST_FAIL_START: `${once},1` } });
    expect(retried.code, retried.stderr).toBe(1);
    expect(scenario(parseReport(retried.stdout), 'scenarios/counter.ts#default').violation).toMatchObject({ kind: 'check', message: 'expected 10, got 9' });
    // One child failed its start, and the file ran in the next.
    expect(readdirSync(once)).toEqual(['start-0']);

    const always = await mkdtemp(path.join(tmpdir(), 'rc-start-'));
    const failed = await runMain(['scenarios/counter.ts', '--seed', '42', '--json'], { env: { RACECHECK_TEST_FAIL_START: `${always},3` } });
    expect(failed.code, failed.stderr).toBe(2);
    expect(scenario(parseReport(failed.stdout), 'scenarios/counter.ts')).toMatchObject({
      status: 'error',
      error: { message: expect.stringContaining("scenarios/counter.ts: racecheck's child process could not load its own modules, 3 times: racecheck failed: Error: a start failure the tests asked for") },
    });
  });

  it('reports a scenario that exhausts its heap, and goes on', async () => {
    const { code, stdout } = await runCli(['test/fixtures/cli/hostile/out-of-memory.ts', 'test/fixtures/cli/hostile/globals-intact.ts', '--seed', '1', '--json'], { NODE_OPTIONS: '--max-old-space-size=64' });
    expect(code).toBe(1);
    const report = parseReport(stdout);
    expect(scenario(report, 'test/fixtures/cli/hostile/out-of-memory.ts#hoard').violation).toMatchObject({
      kind: 'exception',
      message: expect.stringMatching(/^its process ran out of memory \(JavaScript heap\) during run 1 /),
    });
    expect(scenario(report, 'test/fixtures/cli/hostile/globals-intact.ts#intact').status).toBe('pass');
  });

  it('shows what scenarios print with --show-output, all of it, and none of it otherwise', async () => {
    const shown = await runMain(['test/fixtures/cli/prints.ts', '--seed', '2', '--runs', '20', '--strategy', 'random', '--show-output', '--json']);
    const lines = shown.stderr.split('\n').filter((line) => /^task \d counted to \d$/.test(line));
    expect(parseReport(shown.stdout).scenarios[0]).toMatchObject({ status: 'pass', runs: 20 });
    // Two tasks print once a run, and every run's lines arrive before the child is ended.
    expect(lines).toHaveLength(40);
    const quiet = await runMain(['test/fixtures/cli/prints.ts', '--seed', '2', '--runs', '20', '--json']);
    expect(quiet.stderr).toBe('');
  });
});
