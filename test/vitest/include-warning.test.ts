import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, runVitest } from './run-vitest.js';

describe('racecheck() include', () => {
  it('warns on stderr, naming each entry, when it instrumented no scheduling point in the workers or the transforms', async () => {
    // The packages are loaded by Node in the workers: what instrumented them is known only there.
    const run = await runVitest(path.join(FIXTURES, 'include'), ['--config', 'vitest.unused.config.ts']);
    expect(Object.keys(run.tests)).toHaveLength(2);
    const warnings = run.output.split('\n').filter((line) => line.startsWith('racecheck: warning:'));
    expect(warnings).toEqual([
      'racecheck: warning: racecheck() include no-such-package instrumented no scheduling point: it matched no module of the run, or only files without an await racecheck recognises',
      'racecheck: warning: racecheck() include lib/**/*.ts instrumented no scheduling point: it matched no module of the run, or only files without an await racecheck recognises',
    ]);
  });
});
