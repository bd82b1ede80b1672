import { describe, expect, it } from 'vitest';
import { formatJunit } from '../../src/report/junit.js';
import type { Report } from '../../src/report/types.js';

const report: Report = {
  schemaVersion: 1,
  tool: { name: 'racecheck', version: '0.1.0' },
  seed: 7,
  scenarios: [
    {
      id: 'scenarios/a.ts#x',
      file: 'scenarios/a.ts',
      name: 'x',
      status: 'fail',
      runs: 2,
      steps: 9,
      durationMs: 3,
      search: { strategy: 'random', schedules: 2, complete: false },
      violation: {
        kind: 'check',
        message: 'expected <10> & got "2"\u0001',
        run: 2,
        seed: 11,
        step: 9,
        strategy: 'random',
        preemptions: 1,
        shrunk: true,
        replay: '1.abc',
        command: 'racecheck scenarios/a.ts --replay 1.abc',
        trace: [{ step: 1, task: 't0', kind: 'start', site: null }],
      },
    },
    { id: 'scenarios/a.ts#y', file: 'scenarios/a.ts', name: 'y', status: 'error', runs: 1, steps: 0, durationMs: 1, search: { strategy: 'random', schedules: 1, complete: false }, violation: null, error: { message: 'setup failed' } },
  ],
  summary: { scenarios: 2, passed: 0, failed: 1, errors: 1, durationMs: 4 },
};

describe('formatJunit', () => {
  it('writes a suite per file and a case per scenario, escaped, with the failure body', () => {
    const xml = formatJunit(report);
    expect(xml).toContain('<testsuites name="racecheck" tests="2" failures="1" errors="1" time="0.004">');
    expect(xml).toContain('<testsuite name="scenarios/a.ts" tests="2" failures="1" errors="1" skipped="0" time="0.004">');
    expect(xml).toContain('<failure message="check: expected &lt;10&gt; &amp; got &quot;2&quot;" type="check">');
    expect(xml).not.toContain('\u0001');
    expect(xml).toContain('reproduce: racecheck scenarios/a.ts --replay 1.abc');
    expect(xml).toContain('<error message="setup failed" type="error">setup failed</error>');
  });
});
