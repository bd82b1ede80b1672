import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepared } from '../support/prepared.js';
import { replayCommand, ROOT, runVitest } from './run-vitest.js';

const EXAMPLE = path.join(ROOT, 'examples/vitest');
const BUGGY = 'two reservations of the last unit';
const FIXED = 'two reservations of the last unit, locked';

/**
 * A copy of examples/vitest whose node_modules holds what its package.json asks for: @racecheck/sync, and
 * racecheck and vitest for development. They come from the project test/support/global-setup.ts installed
 * from the packed tarballs (linked entry by entry, so vitest's cache stays in this copy's node_modules).
 */
function exampleProject(installed: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'racecheck-example-'));
  cpSync(EXAMPLE, dir, { recursive: true, filter: (source) => !['node_modules', 'package-lock.json'].includes(path.relative(EXAMPLE, source)) });
  mkdirSync(path.join(dir, 'node_modules'));
  for (const entry of readdirSync(path.join(installed, 'node_modules'))) {
    if (entry.startsWith('.vite') || entry === '.package-lock.json') continue;
    symlinkSync(path.join(installed, 'node_modules', entry), path.join(dir, 'node_modules', entry));
  }
  return dir;
}

describe('examples/vitest, in a project that installed racecheck and vitest from the packed tarballs', () => {
  let project = '';
  beforeAll(async () => {
    project = exampleProject((await prepared('project')).dir);
  }, 300_000);
  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('depends on this checkout\'s @racecheck/sync, and on its racecheck and a vitest of the installed major for development', () => {
    const manifest = JSON.parse(readFileSync(path.join(EXAMPLE, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(manifest.dependencies).toEqual({ '@racecheck/sync': 'file:../../packages/sync' });
    expect(manifest.devDependencies).toEqual({ racecheck: 'file:../..', vitest: expect.any(String) });
    expect(path.resolve(EXAMPLE, '../..')).toBe(path.resolve(ROOT));
    const installed = JSON.parse(readFileSync(path.join(project, 'node_modules/vitest/package.json'), 'utf8')) as { version: string };
    expect(manifest.devDependencies!.vitest).toMatch(new RegExp(`^\\^${installed.version.split('.')[0]}\\.`));
  });

  it('fails the buggy race test with the report, passes the fixed one, and replays the failure', async () => {
    const run = await runVitest(project, [], { command: 'npx vitest run' });
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

    const replayed = await runVitest(project, [], { command });
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
