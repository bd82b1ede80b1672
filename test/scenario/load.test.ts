import { describe, expect, it } from 'vitest';
import { parseReport, runMain, type JsonScenario } from '../cli/helpers.js';

/**
 * A file that fails to load is an `error` scenario (its id and file are the file's path) and the other
 * files still run; an export that cannot be read or is not a valid scenario is an error of its own.
 * Every such error says where, 1-based, with a code frame and the stack.
 */
describe('files that do not load', () => {
  it('reports each as an error scenario with its position, frame and stack, runs the rest, and exits 1 when a violation was found elsewhere', async () => {
    const { code, stdout, stderr } = await runMain([
      'test/fixtures/core/syntax-error.ts',
      'test/fixtures/cli/cjs-errors/syntax-error.ts',
      'test/fixtures/cli/cjs-errors/throws-deep.ts',
      'test/fixtures/cli/cjs-errors/getter-throws.ts',
      'test/fixtures/core/malformed.ts',
      'scenarios/counter.ts',
      '--seed',
      '1',
      '--json',
    ]);
    expect(code).toBe(1);
    const report = parseReport(stdout);
    const byId = new Map(report.scenarios.map((s) => [s.id, s]));
    expect([...byId.keys()]).toEqual([
      'test/fixtures/core/syntax-error.ts',
      'test/fixtures/cli/cjs-errors/syntax-error.ts',
      'test/fixtures/cli/cjs-errors/throws-deep.ts',
      'test/fixtures/cli/cjs-errors/getter-throws.ts#broken',
      'test/fixtures/cli/cjs-errors/getter-throws.ts#fine',
      'test/fixtures/core/malformed.ts#notRight',
      'scenarios/counter.ts#default',
    ]);
    expect(report.summary).toMatchObject({ scenarios: 7, passed: 1, failed: 1, errors: 5 });

    const esm = byId.get('test/fixtures/core/syntax-error.ts')!;
    expect(esm).toMatchObject({ file: 'test/fixtures/core/syntax-error.ts', status: 'error', runs: 0, violation: null });
    expect(esm.error).toMatchObject({ message: 'test/fixtures/core/syntax-error.ts:4:35: syntax error: Unexpected token', file: 'test/fixtures/core/syntax-error.ts', line: 4, column: 35 });
    expect(esm.error!.frame).toBe(
      [
        '  2 |',
        '  3 | export const broken = defineScenario({',
        '> 4 |   tasks: [async () => { const x = ; }],',
        '    |                                   ^',
        '  5 | });',
        '  6 |',
      ].join('\n'),
    );

    // TypeScript compiled as CommonJS (no "type": "module"): one clear line, a 1-based column, no TransformError.
    const cjs = byId.get('test/fixtures/cli/cjs-errors/syntax-error.ts')!;
    expect(cjs.error).toMatchObject({ message: 'test/fixtures/cli/cjs-errors/syntax-error.ts:4:35: syntax error: Unexpected ";"', line: 4, column: 35 });
    expect(JSON.stringify(cjs.error)).not.toContain('TransformError');

    const thrown = byId.get('test/fixtures/cli/cjs-errors/throws-deep.ts')!;
    expect(thrown.error).toMatchObject({
      message: 'test/fixtures/cli/cjs-errors/throws-deep.ts: threw while being imported: Error: cannot connect to an unset DATABASE_URL',
      file: 'test/fixtures/cli/cjs-errors/throws-deep.ts',
      line: 2,
      column: 9,
    });
    expect(thrown.error!.stack).toMatch(/^Error: cannot connect to an unset DATABASE_URL\n    at connect \(test\/fixtures\/cli\/cjs-errors\/throws-deep\.ts:2:9\)\n    at .*throws-deep\.ts:5:\d+\)/);
    expect(thrown.error!.stack).not.toMatch(/node:internal|dist\/|node_modules\/tsx/);
    expect(thrown.error!.frame).toContain("> 2 |   throw new Error(`cannot connect to ${url ?? 'an unset DATABASE_URL'}`);");

    const getter = byId.get('test/fixtures/cli/cjs-errors/getter-throws.ts#broken') as JsonScenario;
    expect(getter.error).toMatchObject({
      message: 'test/fixtures/cli/cjs-errors/getter-throws.ts#broken: reading the export "broken" threw: Error: the getter of "broken" failed',
      line: 4,
    });
    expect(byId.get('test/fixtures/cli/cjs-errors/getter-throws.ts#fine')!.status).toBe('pass');
    expect(byId.get('test/fixtures/core/malformed.ts#notRight')!.error!.message).toMatch(/"tasks\[1\]" must be a function, got the string "not a function"$/);

    // No pretty report on the terminal: the reasons go to stderr, one line each.
    expect(stderr.trimEnd().split('\n')).toHaveLength(5);
    expect(stderr).toContain('racecheck: test/fixtures/core/syntax-error.ts:4:35: syntax error: Unexpected token\n');
  });

  it('maps a frame of a rewritten module back to the column as written', async () => {
    const { stdout } = await runMain(['test/fixtures/cli/throws-after-await.ts', '--json']);
    const error = parseReport(stdout).scenarios[0]!.error!;
    // The await earlier on the line made the rewritten line longer; the column is the one in the file.
    expect(error).toMatchObject({ line: 2, column: 61 });
    expect(error.stack).toContain('at <anonymous> (test/fixtures/cli/throws-after-await.ts:2:61)');
  });

  it('exits 2 when nothing failed but a file did not load, and prints the frame and the stack', async () => {
    const { code, stdout } = await runMain(['test/fixtures/core/throws-on-import.ts', 'test/fixtures/core/counter-locked.ts', '--runs', '5']);
    expect(code).toBe(2);
    expect(stdout).toContain(' ! test/fixtures/core/throws-on-import.ts  test/fixtures/core/throws-on-import.ts: threw while being imported: Error: cannot connect to the configuration service\n');
    expect(stdout).toContain("  > 1 | throw new Error('cannot connect to the configuration service');\n      |       ^\n");
    expect(stdout).toContain('    at <anonymous> (test/fixtures/core/throws-on-import.ts:1:7)');
    expect(stdout).toMatch(/ ✓ test\/fixtures\/core\/counter-locked\.ts#exclusive/);
    expect(stdout).toMatch(/1 error, 2 passed \(3 scenarios\)/);
  });
});
