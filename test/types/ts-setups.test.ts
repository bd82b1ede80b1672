import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = path.join(ROOT, 'test/fixtures/ts-setups/uses-racecheck.ts');

interface Setup {
  readonly module: string;
  readonly moduleResolution: string;
  /** The project's package.json "type": whether its .ts files are CommonJS or ES modules. */
  readonly type: 'commonjs' | 'module';
  /**
   * Also check the declaration files (skipLibCheck off), as a project that sets it does. It is done where
   * it tells something: for the CommonJS declarations (.d.cts), which scripts/cjs-types.mjs writes; tsc
   * wrote the ESM ones itself.
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

/**
 * Declaration files, parsed once for all the programs below, as TypeScript's language service shares them
 * between projects. A declaration file parses and binds the same under every setup here: of the options
 * TypeScript lists as affecting a source file, these setups differ only in `module` and
 * `moduleResolution`, and those reach a declaration file only through its implied module format (ESM or
 * CommonJS, from the nearest package.json), which is part of the key.
 */
const declarations = new Map<string, ts.SourceFile | undefined>();

function createHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreate) => {
    if (!/\.d\.[cm]?ts$/.test(fileName)) return getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreate);
    const settings = typeof languageVersionOrOptions === 'object' ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions };
    const key = `${fileName}\0${settings.languageVersion}\0${settings.impliedNodeFormat}`;
    if (!declarations.has(key)) declarations.set(key, getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreate));
    return declarations.get(key);
  };
  return host;
}

/** Whether a declaration file's check is the same whatever racecheck ships: TypeScript's own lib, and @types/node. */
function independentOfRacecheck(program: ts.Program, file: ts.SourceFile): boolean {
  return program.isSourceFileDefaultLibrary(file) || /[/\\]node_modules[/\\]@types[/\\]node[/\\]/.test(file.fileName);
}

/**
 * What `tsc -p .` does in the project, in this process: reads its tsconfig.json, checks, and emits to out/.
 * Returns tsc's report, empty when there is nothing to say. With skipLibCheck off, the declaration files of
 * TypeScript's lib and @types/node are left out: racecheck's cannot change their result, and they are most
 * of the cost; racecheck's and @racecheck/sync's, and those of vitest and the packages they import, are
 * checked.
 */
function compile(dir: string): string {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(dir, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  })!;
  const host = createHost(config.options);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host, configFileParsingDiagnostics: config.errors });
  const diagnostics = [...program.getConfigFileParsingDiagnostics(), ...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics(), ...program.getGlobalDiagnostics()];
  if (config.options.skipLibCheck) diagnostics.push(...program.getSemanticDiagnostics());
  else for (const file of program.getSourceFiles()) if (!independentOfRacecheck(program, file)) diagnostics.push(...program.getSemanticDiagnostics(file));
  // Emitted file by file: emit() for the whole program would first check every declaration file.
  for (const file of program.getSourceFiles()) if (!file.isDeclarationFile) diagnostics.push(...program.emit(file).diagnostics);
  return ts.formatDiagnostics(ts.sortAndDeduplicateDiagnostics(diagnostics), { getCanonicalFileName: (name) => name, getCurrentDirectory: () => dir, getNewLine: () => '\n' });
}

function run(file: string, cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('racecheck, racecheck/sync, racecheck/vitest and @racecheck/sync in every TypeScript setup', () => {
  for (const setup of SETUPS) {
    const name = `module ${setup.module}, moduleResolution ${setup.moduleResolution}, "type": "${setup.type}"`;

    // With node10, skipLibCheck must stay on: node10 cannot read vitest's own types (they need exports
    // maps), so a project that imports only `vitest` gets errors in vitest's declaration files too.
    it(`type-checks with ${name}${setup.checkLibs ? ', declaration files included' : ''}`, { timeout: 120_000 }, () => {
      expect(compile(project(setup, !setup.checkLibs))).toBe('');
    });
  }

  it('checks a declaration file under skipLibCheck off: a type error in racecheck\'s .d.cts would be reported', () => {
    // The same program as the setup above, with one of racecheck's declaration files broken on purpose.
    const dir = project(SETUPS[1]!, false);
    const broken = path.join(dir, 'node_modules/racecheck-broken');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'package.json'), JSON.stringify({ name: 'racecheck-broken', types: 'index.d.cts' }));
    writeFileSync(path.join(broken, 'index.d.cts'), 'export declare const wrong: number;\nexport declare const value: typeof wrong & UnknownName;\n');
    writeFileSync(path.join(dir, 'index.ts'), `import { value } from 'racecheck-broken';\nexport const n: number = value;\n`);
    expect(compile(dir)).toMatch(/node_modules\/racecheck-broken\/index\.d\.cts\(2,\d+\): error TS2304: Cannot find name 'UnknownName'/);
  });

  it('runs what tsc compiled for CommonJS: require() of racecheck and @racecheck/sync works on this Node', { timeout: 120_000 }, async () => {
    const dir = project(SETUPS[0]!, true);
    expect(compile(dir)).toBe('');
    writeFileSync(
      path.join(dir, 'main.js'),
      `const app = require('./out/index.js');
app.search().then((result) => console.log(result.status, app.pool.value, typeof app.plugin.transform, app.timedOut(new Error())));`,
    );
    const ran = await run('main.js', dir);
    expect(ran).toEqual({ code: 0, output: 'pass 2 function false\n' });
  });
});
