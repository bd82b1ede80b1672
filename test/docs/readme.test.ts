import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIBRARY_COMMAND, npmEnv, prepared } from '../support/prepared.js';
import { missingLine, readmeSteps, type Step } from './readme-blocks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface Ran {
  readonly code: number;
  readonly output: string;
}

function sh(command: string, cwd: string, env: Readonly<Record<string, string>> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { cwd, env: npmEnv({ NO_COLOR: '1', FORCE_COLOR: undefined, RACECHECK_REPLAY: undefined, ...env }), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

function title(step: Step): string {
  if (step.kind === 'write') return `writes ${step.path}`;
  const claims = [`exits ${step.exit}`, ...step.prints.map((text) => `prints "${text}"`), ...(step.output ? ['prints the block below it'] : [])];
  return `\`${step.command}\`${step.in === 'repo' ? ' (in this repository)' : ''} ${claims.join(', ')}`;
}

describe('the README, followed in a project of its own that installs racecheck from packed tarballs', () => {
  // As "Installing racecheck in your project" says, from this checkout's build (npm test built it):
  // test/support/global-setup.ts packs both packages and installs them once for every test that needs them.
  let project = '';
  beforeAll(async () => {
    project = (await prepared('project')).dir;
  }, 300_000);

  it('installs racecheck as a dev dependency that uses the @racecheck/sync the project depends on', () => {
    const manifest = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(manifest.dependencies).toEqual({ '@racecheck/sync': 'file:../racecheck-sync-0.1.0.tgz' });
    expect(manifest.devDependencies).toMatchObject({ racecheck: 'file:../racecheck-0.1.0.tgz', vitest: expect.any(String) });
    expect(existsSync(path.join(project, 'node_modules/@racecheck/sync/dist/index.js'))).toBe(true);
    // One copy: racecheck/sync is the project's own @racecheck/sync.
    expect(existsSync(path.join(project, 'node_modules/racecheck/node_modules/@racecheck'))).toBe(false);
  });

  const steps = readmeSteps(README);
  it('marks the blocks that claim something', () => {
    expect(steps.filter((step) => step.kind === 'run').length).toBeGreaterThanOrEqual(7);
  });

  for (const step of steps) {
    it(`README.md:${step.line} ${title(step)}`, { timeout: 120_000 }, async () => {
      if (step.kind === 'write') {
        mkdirSync(path.dirname(path.join(project, step.path)), { recursive: true });
        writeFileSync(path.join(project, step.path), step.content);
        return;
      }
      // The whole library's run is shared with test/scenarios/library.test.ts: test/support/global-setup.ts
      // ran this very command once, with a JSON report to a file added (stdout is the same).
      const shared = step.in === 'repo' && step.command === LIBRARY_COMMAND && Object.keys(step.env).length === 0;
      const ran = shared ? await prepared('library') : await sh(step.command, step.in === 'repo' ? ROOT : project, step.env);
      expect(ran.code, ran.output).toBe(step.exit);
      expect(missingLine(ran.output, step.prints, false), ran.output).toBeUndefined();
      if (step.output) expect(missingLine(ran.output, step.output), ran.output).toBeUndefined();
      // The installed package has dist/ and not src/: vite warns of any source map of it that needs src/.
      expect(ran.output).not.toContain('points to missing source files');
    });
  }

  it('would catch the fix snippet\'s old mistake: a reserve() that drops runExclusive\'s result fails the check', async () => {
    const fixed = steps.filter((step) => step.kind === 'write' && step.path === 'src/inventory.ts').at(-1);
    if (fixed?.kind !== 'write') throw new Error('no fixed src/inventory.ts in the README');
    expect(fixed.content).toContain('return this.lock.runExclusive(');
    writeFileSync(path.join(project, 'src/inventory.ts'), fixed.content.replace('return this.lock.runExclusive(', 'this.lock.runExclusive('));
    const ran = await sh('npx racecheck scenarios/inventory.ts', project);
    expect(ran.code, ran.output).toBe(1);
    expect(ran.output).toContain('check: 0 reservations of 1 unit');
    writeFileSync(path.join(project, 'src/inventory.ts'), fixed.content);
  });
});
