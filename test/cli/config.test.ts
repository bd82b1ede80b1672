import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReport, ROOT, runMain } from './helpers.js';

const PROJECT = path.join(ROOT, 'test/fixtures/cli/config-project');

describe('racecheck.config.ts', () => {
  it('is read from the working directory; its keys are the long options, and flags override them', async () => {
    const configured = await runMain([], { cwd: PROJECT });
    expect(configured.code).toBe(1);
    const report = parseReport(configured.stdout);
    expect(report.seed).toBe(99);
    expect(report.scenarios.map((s) => [s.id, s.status, s.search.strategy])).toEqual([
      ['checks/atomic.ts#atomic', 'pass', 'random'],
      ['checks/racy.ts#racy', 'fail', 'random'],
    ]);
    expect(report.scenarios[0]!.runs).toBe(7);

    const overridden = await runMain(['checks/atomic.ts', '--runs', '2', '--seed', '4'], { cwd: PROJECT });
    expect(overridden.code).toBe(0);
    expect(parseReport(overridden.stdout)).toMatchObject({ seed: 4, scenarios: [{ id: 'checks/atomic.ts#atomic', runs: 2 }] });
  });

  it('or from --config', async () => {
    const { code, stdout } = await runMain(['--config', 'other.config.mjs'], { cwd: PROJECT });
    expect(code).toBe(1);
    expect(parseReport(stdout)).toMatchObject({ seed: 5, scenarios: [{ id: 'checks/racy.ts#racy' }] });
  });

  it('refuses a bad value with one line naming the key, before running anything', async () => {
    const { code, stdout, stderr } = await runMain([], { cwd: path.join(ROOT, 'test/fixtures/cli/config-broken') });
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: 'racecheck: racecheck.config.mjs: "maxSteps": expected an integer from 1 to 1000000, got number -1\n' });
    expect(await runMain(['--config', 'missing.ts'], { cwd: PROJECT })).toMatchObject({ code: 2, stderr: 'racecheck: --config missing.ts: no such file\n' });
  });
});
