import { describe, expect, it } from 'vitest';
import { unusedIncludes } from '../../src/instrument/include-report.js';

describe('unusedIncludes', () => {
  const sites = [
    'file:///project/node_modules/p-limit/index.js',
    'file:///project/node_modules/@scope/queue/dist/index.js',
    'file:///project/vendor/lib/a.js',
    'racecheck:sync',
  ];

  it('names the package names and globs no site came from', () => {
    const include = ['p-limit', '@scope/queue', 'p-queue', 'vendor/**', 'generated/**/*.js', 'limit'];
    expect(unusedIncludes(include, '/project', sites)).toEqual(['p-queue', 'generated/**/*.js', 'limit']);
  });

  it('names every entry when nothing was instrumented', () => {
    expect(unusedIncludes(['p-limit', 'vendor/**'], '/project', [])).toEqual(['p-limit', 'vendor/**']);
  });
});
