import { describe, expect, it } from 'vitest';
import { createInstrumentMatcher, isPackageName } from '../../src/instrument/match.js';

const base = { cwd: '/project', selfRoot: '/tools/racecheck', include: [], exclude: [] };

describe('createInstrumentMatcher', () => {
  it('instruments project sources and leaves node_modules and racecheck itself native', () => {
    const matches = createInstrumentMatcher(base);
    expect(matches('/project/src/counter.ts')).toBe(true);
    expect(matches('file:///project/scenarios/counter.mjs')).toBe(true);
    expect(matches('/project/node_modules/p-limit/index.js')).toBe(false);
    expect(matches('/tools/racecheck/dist/sync/lock.js')).toBe(false);
    expect(matches('/tools/racecheck/src/index.ts')).toBe(false);
    expect(matches('/project/types/global.d.ts')).toBe(false);
    expect(matches('/project/data.json')).toBe(false);
  });

  it('narrows with exclude globs and widens with include globs and package names', () => {
    const matches = createInstrumentMatcher({
      ...base,
      include: ['p-limit', '@scope/queue', 'vendor/**/*.js'],
      exclude: ['src/generated/**'],
    });
    expect(matches('/project/src/generated/client.ts')).toBe(false);
    expect(matches('/project/node_modules/p-limit/index.js')).toBe(true);
    expect(matches('/project/node_modules/@scope/queue/lib/q.js')).toBe(true);
    expect(matches('/project/node_modules/other/index.js')).toBe(false);
    expect(matches('/project/vendor/lib/a.js')).toBe(true);
  });

  it('tells package names from globs', () => {
    expect(isPackageName('p-limit')).toBe(true);
    expect(isPackageName('@scope/pkg')).toBe(true);
    expect(isPackageName('src/**/*.ts')).toBe(false);
    expect(isPackageName('*.ts')).toBe(false);
  });
});
