import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepared, registryEnv } from '../support/prepared.js';

function exec(command: string, args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: registryEnv() }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('@racecheck/sync, packed and installed into an empty project with --omit=dev', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'racecheck-sync-pack-'));
  const app = path.join(base, 'app');
  let files: string[] = [];

  beforeAll(async () => {
    // The tarball test/support/global-setup.ts packed from this checkout's build.
    const packs = await prepared('packs');
    files = packs.syncFiles;
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    const installed = await exec('npm', ['install', '--omit=dev', packs.sync], app);
    expect(installed.code, installed.stderr).toBe(0);
  }, 300_000);
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('ships its ESM and CommonJS builds with their types, and its README, nothing else', () => {
    for (const file of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json']) {
      expect(files).toContain(file);
    }
    expect(files.filter((file) => !/^(package\.json|README\.md|dist\/(cjs\/)?[\w-]+\.(js|d\.ts)|dist\/cjs\/package\.json)$/.test(file))).toEqual([]);
  });

  it('brings nothing else into node_modules: it has no dependencies', () => {
    const modules = path.join(app, 'node_modules');
    expect(readdirSync(modules).filter((name) => name !== '.package-lock.json')).toEqual(['@racecheck']);
    expect(readdirSync(path.join(modules, '@racecheck'))).toEqual(['sync']);
    const lock = JSON.parse(readFileSync(path.join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    expect(Object.keys(lock.packages)).toEqual(['', 'node_modules/@racecheck/sync']);
  });

  it('works in production code, without racecheck: imported and required', async () => {
    writeFileSync(
      path.join(app, 'main.js'),
      `import { Lock, Semaphore, Event, LockTimeoutError } from '@racecheck/sync';
const lock = new Lock();
let balance = 0;
const deposit = (n) => lock.runExclusive(async () => { const before = balance; await new Promise((r) => setTimeout(r, 1)); balance = before + n; return balance; });
const results = await Promise.all([deposit(1), deposit(2), deposit(3)]);
const pool = new Semaphore(1);
await pool.acquire();
const timedOut = await pool.acquire({ timeoutMs: 5 }).then(() => false, (error) => error instanceof LockTimeoutError);
const event = new Event();
setTimeout(() => event.set(), 1);
await event.wait();
console.log(JSON.stringify({ balance, results, timedOut, set: event.isSet() }));
`,
    );
    // CommonJS gets the CommonJS build: tools with a require() of their own (Jest) cannot load ESM.
    writeFileSync(
      path.join(app, 'main.cjs'),
      `const { Lock } = require('@racecheck/sync');
const lock = new Lock();
lock.runExclusive(() => lock.locked()).then((held) => console.log(held, lock.locked(), require.resolve('@racecheck/sync').includes('/dist/cjs/')));
`,
    );
    const esm = await exec(process.execPath, ['main.js'], app);
    expect(esm.stderr).toBe('');
    expect(JSON.parse(esm.stdout)).toEqual({ balance: 6, results: [1, 3, 6], timedOut: true, set: true });
    const cjs = await exec(process.execPath, ['main.cjs'], app);
    expect(cjs).toEqual({ code: 0, stdout: 'true false true\n', stderr: '' });
  });
});
