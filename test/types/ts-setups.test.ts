import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const FIXTURE = path.join(ROOT, 'test/fixtures/ts-setups/uses-racecheck.ts');

interface Setup {
  readonly module: string;
  readonly moduleResolution: string;
  /** The project's package.json "type": whether its .ts files are CommonJS or ES modules. */
  readonly type: 'commonjs' | 'module';
  /**
   * Also check the declaration files themselves (skipLibCheck off), as a project that sets it does. That
   * costs seconds (vitest's types are large), so it is done where it tells something: for the CommonJS
   * declarations (.d.cts), which scripts/cjs-types.mjs writes; tsc wrote the ESM ones itself.
   */
  readonly checkLibs: boolean;
}

const SETUPS: readonly Setup[] = [
  { module: 'commonjs', moduleResolution: 'node10', type: 'commonjs', checkLibs: false },
  { module: 'node16', moduleResolution: 'node16', type: 'commonjs', checkLibs: true },
  { module: 'node16', moduleResolution: 'node16', type: 'module', checkLibs: false },
  { module: 'nodenext', moduleResolution: 'nodenext', type: 'commonjs', checkLibs: false },
  { module: 'nodenext', moduleResolution: 'nodenext', type: 'module', checkLibs: false },
  { module: 'esnext', moduleResolution: 'bundler', type: 'module', checkLibs: false },
];

const base = mkdtempSync(path.join(tmpdir(), 'racecheck-ts-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A project that depends on racecheck, @racecheck/sync and vitest (this checkout's, linked) and imports all four entry points. */
function project(setup: Setup, skipLibCheck: boolean): string {
  const dir = mkdtempSync(path.join(base, `${setup.module}-${setup.type}-`));
  mkdirSync(path.join(dir, 'node_modules/@racecheck'), { recursive: true });
  mkdirSync(path.join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(ROOT, path.join(dir, 'node_modules/racecheck'));
  symlinkSync(path.join(ROOT, 'packages/sync'), path.join(dir, 'node_modules/@racecheck/sync'));
  symlinkSync(path.join(ROOT, 'node_modules/vitest'), path.join(dir, 'node_modules/vitest'));
  symlinkSync(path.join(ROOT, 'node_modules/@types/node'), path.join(dir, 'node_modules/@types/node'));
  cpSync(FIXTURE, path.join(dir, 'index.ts'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'ts-setup', private: true, type: setup.type }));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: setup.module,
        moduleResolution: setup.moduleResolution,
        target: 'es2022',
        strict: true,
        esModuleInterop: true,
        skipLibCheck,
        types: ['node'],
        outDir: 'out',
      },
      files: ['index.ts'],
    }),
  );
  return dir;
}

function run(file: string, args: readonly string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('racecheck, racecheck/sync, racecheck/vitest and @racecheck/sync in every TypeScript setup', () => {
  for (const setup of SETUPS) {
    const name = `module ${setup.module}, moduleResolution ${setup.moduleResolution}, "type": "${setup.type}"`;

    // With node10, skipLibCheck must stay on: node10 cannot read vitest's own types (they need exports
    // maps), so a project that imports only `vitest` gets errors in vitest's declaration files too.
    it(`type-checks with ${name}${setup.checkLibs ? ', declaration files included' : ''}`, { timeout: 180_000 }, async () => {
      const checked = await run(TSC, ['-p', '.'], project(setup, !setup.checkLibs));
      expect(checked.output).toBe('');
      expect(checked.code).toBe(0);
    });
  }

  it('runs what tsc compiled for CommonJS: require() of racecheck and @racecheck/sync works on this Node', { timeout: 120_000 }, async () => {
    const dir = project(SETUPS[0]!, true);
    expect((await run(TSC, ['-p', '.'], dir)).code).toBe(0);
    writeFileSync(
      path.join(dir, 'main.js'),
      `const app = require('./out/index.js');
app.search().then((result) => console.log(result.status, app.pool.value, typeof app.plugin.transform, app.timedOut(new Error())));`,
    );
    const ran = await run('main.js', [], dir);
    expect(ran).toEqual({ code: 0, output: 'pass 2 function false\n' });
  });
});
