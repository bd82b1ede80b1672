import { describe, expect, it } from 'vitest';
import { runMain } from '../cli/run-cli.js';

/**
 * The size of the report is what this is about, not real time: no step may turn into a blocked-loop verdict
 * on a busy machine (the fixture sets a run timeout that the explanation's replay cannot reach).
 */
const PINNED = ['--max-blocking', '60000'];

describe('a failure among 10,000 tasks', () => {
  it('found with --no-shrink, prints a readable report of bounded size', async () => {
    const run = await runMain(['test/fixtures/explain/many-tasks.ts', '--no-shrink', '--seed', '1', '--runs', '1', '--strategy', 'random', ...PINNED], { env: { COLUMNS: '100' } });
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    // Everything but the replay command (which carries the 20,000 choices) is a few kilobytes.
    const report = lines.filter((line) => !line.includes('--replay'));
    expect(report.join('\n').length).toBeLessThan(12_000);
    expect(lines.length).toBeLessThan(120);
    expect(run.stdout).toMatch(/20,000 steps/);
    expect(run.stdout).toMatch(/t\d+ read s\.value \(\d+\) at many-tasks\.ts:7, t\d+ wrote s\.value/);
    expect(run.stdout).toMatch(/[\d,]+ steps of t\d+, t\d+, …, t\d+ \([\d,]+ lanes\)/);
    for (const line of report) expect(line.length, line).toBeLessThanOrEqual(100);
  });
});
