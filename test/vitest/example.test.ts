import { execFile } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { childEnv, replayCommand, ROOT, runVitest } from './run-vitest.js';

const EXAMPLE = path.join(ROOT, 'examples/vitest');
const BUGGY = 'two reservations of the last unit';
const FIXED = 'two reservations of the last unit, locked';

describe('examples/vitest, with its own install of racecheck and vitest', () => {
  beforeAll(async () => {
    // What a user of the example does first; racecheck comes from this checkout (file:../..).
    await new Promise<void>((resolve, reject) => {
      execFile('npm', ['install', '--no-package-lock', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: EXAMPLE, env: childEnv() }, (error, _stdout, stderr) =>
        error ? reject(new Error(`npm install in examples/vitest failed:\n${stderr}`)) : resolve(),
      );
    });
  }, 300_000);

  it('fails the buggy race test with the report, passes the fixed one, and replays the failure', async () => {
    const run = await runVitest(EXAMPLE, [], { command: 'npx vitest run' });
    expect(run.code).toBe(1);
    expect(run.tests).toMatchObject({
      'a single reservation takes the unit': { status: 'passed' },
      [BUGGY]: { status: 'failed' },
      [FIXED]: { status: 'passed' },
    });
    const report = run.tests[BUGGY]!.failure;
    expect(report).toMatch(/^AssertionError: check: 2 reservations of 1 unit \(found by racecheck in run \d+\)/);
    expect(report).toContain(`─── test/inventory.test.ts#${BUGGY} ───`);
    expect(report).toMatch(/step │ (alice +│ bob|bob +│ alice)$/m);
    expect(report).toMatch(/resume inventory\.ts:22:5/);
    expect(report).toContain('await this.store.save(item, available -');
    const command = replayCommand(report);
    expect(command).toMatch(/^RACECHECK_REPLAY=1\.[\w-]+ npx vitest run test\/inventory\.test\.ts$/);

    const replayed = await runVitest(EXAMPLE, [], { command });
    expect(replayed.code).toBe(1);
    const again = replayed.tests[BUGGY]!.failure;
    expect(again).toContain('check: 2 reservations of 1 unit');
    expect(again).toMatch(/run 1 · run seed \d+ · \d+ steps · 1 preemption · strategy replay/);
    expect(steps(again)).toEqual(steps(report));
    expect(replayed.tests[FIXED]).toMatchObject({ status: 'passed' });
  });
});

/** The timeline of a report, from its header to the last step. */
function steps(report: string): string[] {
  const lines = report.split('\n');
  const start = lines.findIndex((line) => /step │/.test(line));
  const end = lines.findIndex((line) => line.includes('reproduce:'));
  return lines.slice(start, end).filter((line) => line.trim() !== '');
}
