import { describe, expect, it } from 'vitest';
import { formatJunit } from '../../src/report/junit.js';
import type { Report } from '../../src/report/types.js';

const report: Report = {
  schemaVersion: 1,
  tool: { name: 'racecheck', version: '0.1.0' },
  seed: 7,
  interrupted: false,
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
        explanation: null,
      },
    },
    { id: 'scenarios/a.ts#y', file: 'scenarios/a.ts', name: 'y', status: 'error', runs: 1, steps: 0, durationMs: 1, search: { strategy: 'random', schedules: 1, complete: false }, violation: null, error: { message: 'setup failed' } },
    {
      id: 'scenarios/b.ts',
      file: 'scenarios/b.ts',
      name: 'scenarios/b.ts',
      status: 'error',
      runs: 0,
      steps: 0,
      durationMs: 0,
      search: { strategy: 'random', schedules: 0, complete: false },
      violation: null,
      error: { message: 'scenarios/b.ts:2:3: syntax error: Unexpected token', file: 'scenarios/b.ts', line: 2, column: 3, frame: '> 2 | a b\n    |   ^' },
    },
  ],
  summary: { scenarios: 3, passed: 0, failed: 1, errors: 2, durationMs: 4 },
};

describe('formatJunit', () => {
  it('writes a suite per file and a case per scenario, escaped, with the failure body', () => {
    const xml = formatJunit(report);
    expect(xml).toContain('<testsuites name="racecheck" tests="3" failures="1" errors="2" time="0.004">');
    expect(xml).toContain('<testsuite name="scenarios/a.ts" tests="2" failures="1" errors="1" skipped="0" time="0.004">');
    expect(xml).toContain('<failure message="check: expected &lt;10&gt; &amp; got &quot;2&quot;" type="check">');
    expect(xml).not.toContain('\u0001');
    expect(xml).toContain('reproduce: racecheck scenarios/a.ts --replay 1.abc');
    expect(xml).toContain('<error message="setup failed" type="error">setup failed</error>');
    // A file that did not load: its id is its path, and the body shows where.
    expect(xml).toContain('<testcase classname="scenarios/b.ts" name="scenarios/b.ts" time="0.000">');
    expect(xml).toContain('type="error">scenarios/b.ts:2:3: syntax error: Unexpected token\n\n&gt; 2 | a b\n    |   ^</error>');
    expect(xml).not.toContain('<!-- interrupted');
    expect(formatJunit({ ...report, interrupted: true })).toContain('<!-- interrupted: the run was stopped by a signal');
  });
});
