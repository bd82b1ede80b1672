import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { LIBRARY_COMMAND, npmEnv, registryEnv, type Prepared, type PreparedStep, stepFile } from './prepared.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST_VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules/vitest/package.json'), 'utf8')) as { version: string }).version;

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function npm(args: readonly string[], cwd: string): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('npm', args, { cwd, env: registryEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

async function npmOrThrow(args: readonly string[], cwd: string): Promise<string> {
  const ran = await npm(args, cwd);
  if (ran.code !== 0) throw new Error(`npm ${args.join(' ')} (in ${cwd}) exited ${ran.code}:\n${ran.stdout}${ran.stderr}`);
  return ran.stdout;
}

/** The test files that wait for each kind of prepared step: a run of other files only does not do that work. */
const CONSUMERS = {
  install: ['test/docs/readme.test.ts', 'test/vitest/example.test.ts', 'test/sync/package.test.ts'],
  library: ['test/docs/readme.test.ts', 'test/scenarios/library.test.ts'],
};

async function needed(project: TestProject): Promise<{ install: boolean; library: boolean }> {
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const specifications = await project.vitest.getRelevantTestSpecifications(filters);
  const wanted = (files: readonly string[]) => specifications.some((specification) => files.some((file) => specification.moduleId === path.join(ROOT, file)));
  return { install: wanted(CONSUMERS.install), library: wanted(CONSUMERS.library) };
}

/**
 * README.md's command for the whole library, as a user types it in this checkout, with a JSON report to a
 * file added: the pretty report on stdout is the one the README shows (a second reporter writing to a file
 * changes nothing on stdout).
 */
function runLibrary(base: string): Promise<Prepared['library']> {
  const json = path.join(base, 'library-report.json');
  const env = npmEnv({ NO_COLOR: '1', FORCE_COLOR: undefined, RACECHECK_REPLAY: undefined });
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', `${LIBRARY_COMMAND} --reporter pretty --reporter json:${json}`], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}`, json });
    });
  });
}

const published = new Set<keyof Prepared>();

/** Writes a step's outcome where the test files wait for it; the rename makes it appear whole. */
function publish<S extends keyof Prepared>(base: string, step: S, outcome: PreparedStep<Prepared[S]>): void {
  published.add(step);
  const file = stepFile(base, step);
  writeFileSync(`${file}.tmp`, JSON.stringify(outcome));
  renameSync(`${file}.tmp`, file);
}

async function pack(destination: string, workspace: string[]): Promise<{ tarball: string; files: string[] }> {
  const [info] = JSON.parse(await npmOrThrow(['pack', '--ignore-scripts', '--json', ...workspace, '--pack-destination', destination], ROOT)) as [
    { filename: string; files: { path: string }[] },
  ];
  return { tarball: path.join(destination, info.filename), files: info.files.map((file) => file.path) };
}

/**
 * Once per `vitest run`, in the background while the first test files run: packs racecheck and
 * @racecheck/sync (npm test built them) and installs them, with vitest, into one project of its own, the
 * way README.md's "Installing racecheck in your project" says; and runs README.md's command for the whole
 * scenario library. A test that needs a step waits for it with `prepared(step)` (test/support/prepared.ts).
 * Installs come from npm's cache when it has the packages.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = mkdtempSync(path.join(tmpdir(), 'racecheck-suite-'));
  project.provide('preparedBase', base);
  const need = await needed(project);
  // The tarballs sit beside the project, as the README's `npm pack` leaves them beside a checkout.
  const projectDir = path.join(base, 'your-project');

  const library = need.library ? runLibrary(base).then((ran) => publish(base, 'library', { ok: true, value: ran })) : Promise.resolve();
  const install = (async () => {
    if (!need.install) return;
    try {
      const [racecheck, sync] = await Promise.all([pack(base, []), pack(base, ['--workspace', '@racecheck/sync'])]);
      publish(base, 'packs', { ok: true, value: { racecheck: racecheck.tarball, sync: sync.tarball, racecheckFiles: racecheck.files, syncFiles: sync.files } });
      mkdirSync(projectDir);
      writeFileSync(path.join(projectDir, 'package.json'), `${JSON.stringify({ name: 'your-project', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
      // The README's two installs (the primitives for production code, then the race detector as a
      // development dependency), the second with vitest for the README's vitest section.
      await npmOrThrow(['install', path.relative(projectDir, sync.tarball)], projectDir);
      await npmOrThrow(['install', '--save-dev', path.relative(projectDir, racecheck.tarball), `vitest@${VITEST_VERSION}`], projectDir);
      publish(base, 'project', { ok: true, value: { dir: projectDir } });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      for (const step of ['packs', 'project'] as const) {
        if (published.has(step)) continue;
        try {
          publish(base, step, { ok: false, message });
        } catch {
          // the directory is gone: the run is over
        }
      }
    }
  })();

  return async () => {
    await Promise.all([install, library]);
    rmSync(base, { recursive: true, force: true });
  };
}
