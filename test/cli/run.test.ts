import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseReport, processesWith, startCli } from './helpers.js';

const FILES = ['scenarios/counter.ts', 'test/fixtures/cli/long-search.ts'];

/** Within the test's own timeout (vitest's 60 s here): a failure says what racecheck had printed by then. */
const WAIT_MS = 45_000;

/** The CLIs a test started: one a failing test left running (a long search) is ended after it. */
const started = new Set<ReturnType<typeof startCli>>();
afterEach(() => {
  for (const cli of started) if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
  started.clear();
});

function start(...args: Parameters<typeof startCli>): ReturnType<typeof startCli> {
  const cli = startCli(...args);
  started.add(cli);
  return cli;
}

/** Waits until `ready` holds; fails at once if racecheck exits first, and after WAIT_MS if it never does. */
async function until(cli: ReturnType<typeof startCli>, ready: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + WAIT_MS; !ready(); await new Promise((resolve) => setTimeout(resolve, 25))) {
    const { stdout, stderr } = cli.output();
    if (cli.exitCode !== null || cli.signalCode !== null) throw new Error(`racecheck exited (${cli.exitCode ?? cli.signalCode}) before ${what}:\n${stdout}${stderr}`);
    if (Date.now() > deadline) throw new Error(`racecheck had not ${what} after ${WAIT_MS / 1000} s:\n${stdout}${stderr}`);
  }
}

function exited(child: ReturnType<typeof startCli>): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Signals go to racecheck itself: its children lead process groups of their own, as under a terminal's Ctrl-C. */
describe('SIGINT and SIGTERM', () => {
  it('SIGINT stops the runs, reports what was found, says interrupted, writes JUnit, exits 130 and leaves nothing', async () => {
    const mark = randomUUID();
    const xml = path.join(await mkdtemp(path.join(tmpdir(), 'racecheck-signal-')), 'report.xml');
    const cli = start([...FILES, '--seed', '1', '--workers', '2', '--show-output', '--reporter', 'pretty', '--reporter', `junit:${xml}`], { RACECHECK_TEST_MARK: mark });
    const exit = exited(cli);
    await until(cli, () => cli.output().stderr.includes('long search started') && cli.output().stdout.includes('✗ scenarios/counter.ts#default'), 'started the long search and reported the counter');
    cli.kill('SIGINT');
    expect(await exit).toBe(130);
    const { stdout } = cli.output();
    expect(stdout).toMatch(/✓ test\/fixtures\/cli\/long-search\.ts#long  [\d,]+ runs? · [\d,]+ steps · [\d,]+ runs\/s · interrupted\n/);
    expect(stdout).toMatch(/1 failed, 1 passed \(2 scenarios\) in \d+\.\d+ s · seed 1 · interrupted\n$/);
    const junit = await readFile(xml, 'utf8');
    expect(junit).toContain('<!-- interrupted:');
    expect(junit).toContain('name="long"');
    expect(processesWith('RACECHECK_TEST_MARK', mark)).toEqual([]);
  });

  it('SIGTERM gives a JSON report with interrupted: true, the cut scenario marked with the runs it finished, and exits 143', async () => {
    const mark = randomUUID();
    const cli = start(['test/fixtures/cli/long-search.ts', '--seed', '1', '--show-output', '--json'], { RACECHECK_TEST_MARK: mark });
    const exit = exited(cli);
    await until(cli, () => cli.output().stderr.includes('long search started'), 'started the long search');
    cli.kill('SIGTERM');
    expect(await exit).toBe(143);
    const report = parseReport(cli.output().stdout);
    expect(report.interrupted).toBe(true);
    expect(report.scenarios).toHaveLength(1);
    expect(report.scenarios[0]).toMatchObject({ id: 'test/fixtures/cli/long-search.ts#long', status: 'pass', interrupted: true, search: { complete: false } });
    expect(report.scenarios[0]!.runs).toBeGreaterThan(0);
    expect(processesWith('RACECHECK_TEST_MARK', mark)).toEqual([]);
  });

  it('a second SIGINT ends the run at once, children included', async () => {
    const mark = randomUUID();
    const cli = start(['test/fixtures/cli/long-search.ts', '--seed', '1', '--show-output'], { RACECHECK_TEST_MARK: mark });
    const exit = exited(cli);
    await until(cli, () => cli.output().stderr.includes('long search started'), 'started the long search');
    cli.kill('SIGINT');
    cli.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(cli.output().stdout).toMatch(/· interrupted\n$/);
    expect(processesWith('RACECHECK_TEST_MARK', mark)).toEqual([]);
  });
});
