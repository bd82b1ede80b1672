import { describe, expect, it } from 'vitest';
import { runMain } from '../cli/run-cli.js';

/**
 * The size of the report is what this is about, not real time: the run and the replay that explains it
 * (20,000 steps of 10,000 tasks, seconds of CPU) get limits far above what they take, or on a busy machine
 * the explanation's replay hits the default 5 s timeout, and the report comes without its explanation.
 */
const PINNED = ['--timeout', '120000', '--max-blocking', '60000'];

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
