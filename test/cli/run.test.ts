import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReport, processesWith, startCli } from './helpers.js';

const FILES = ['scenarios/counter.ts', 'test/fixtures/cli/long-search.ts'];

/** Waits, without a deadline of its own (the test's timeout is the bound), until `ready` holds. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 25));
}

function exited(child: ReturnType<typeof startCli>): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Signals go to racecheck itself: its children lead process groups of their own, as under a terminal's Ctrl-C. */
describe('SIGINT and SIGTERM', () => {
  it('SIGINT stops the runs, reports what was found, says interrupted, writes JUnit, exits 130 and leaves nothing', async () => {
    const mark = randomUUID();
    const xml = path.join(await mkdtemp(path.join(tmpdir(), 'racecheck-signal-')), 'report.xml');
    const cli = startCli([...FILES, '--seed', '1', '--workers', '2', '--show-output', '--reporter', 'pretty', '--reporter', `junit:${xml}`], { RACECHECK_TEST_MARK: mark });
    const exit = exited(cli);
    await until(() => cli.output().stderr.includes('long search started') && cli.output().stdout.includes('✗ scenarios/counter.ts#default'));
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
    const cli = startCli(['test/fixtures/cli/long-search.ts', '--seed', '1', '--show-output', '--json'], { RACECHECK_TEST_MARK: mark });
    const exit = exited(cli);
    await until(() => cli.output().stderr.includes('long search started'));
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
    const cli = startCli(['test/fixtures/cli/long-search.ts', '--seed', '1', '--show-output'], { RACECHECK_TEST_MARK: mark });
    const exit = exited(cli);
    await until(() => cli.output().stderr.includes('long search started'));
    cli.kill('SIGINT');
    cli.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(cli.output().stdout).toMatch(/· interrupted\n$/);
    expect(processesWith('RACECHECK_TEST_MARK', mark)).toEqual([]);
  });
});
