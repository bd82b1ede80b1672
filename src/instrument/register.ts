import { createRequire, register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register as registerTsxCjs } from 'tsx/cjs/api';
import { register as registerTsxEsm } from 'tsx/esm/api';
import { createInstrumentMatcher, type InstrumentConfig } from './match.js';
import { rewriteAwaits, sourceText } from './rewrite.js';

export interface InstrumentOptions {
  /** Globs (relative to cwd), or package names whose files under node_modules are instrumented too. */
  include?: readonly string[];
  /** Globs of files to leave native. */
  exclude?: readonly string[];
  /** Base directory for the globs; default process.cwd(). */
  cwd?: string;
}

export class InstrumentationError extends Error {
  readonly code = 'RACECHECK_INSTRUMENTATION';
  constructor(message: string) {
    super(message);
    this.name = 'InstrumentationError';
  }
}

const SELF_ROOT = fileURLToPath(new URL('../..', import.meta.url));
let installed: string | undefined;
/** Why the installation failed part-way, if it did: every later call says so rather than load without it. */
let failed: InstrumentationError | undefined;

/**
 * Installs, once per thread: racecheck's module hook, tsx to load TypeScript, and a CommonJS compile hook.
 * Modules imported afterwards that match the include/exclude rules get their awaits rewritten; they call
 * the runtime named in abi.ts, which whoever loads them must install first (see core/load.ts).
 * The rules cannot change once installed.
 */
export function installInstrumentation(options: InstrumentOptions = {}): void {
  const config: InstrumentConfig = {
    cwd: path.resolve(options.cwd ?? process.cwd()),
    selfRoot: SELF_ROOT,
    include: [...(options.include ?? [])],
    exclude: [...(options.exclude ?? [])],
  };
  const key = JSON.stringify(config);
  if (failed) throw failed;
  if (installed !== undefined) {
    if (installed !== key) throw new InstrumentationError('instrumentation is already installed in this thread with other include/exclude rules');
    return;
  }
  installed = key;
  try {
    // Hooks chain last-in first-out: registered before tsx, this hook runs after tsx's load asked for the
    // source, so it rewrites the TypeScript as written and tsx compiles the result.
    register(new URL('./hooks.js', import.meta.url), { data: config });
    registerTsxEsm();
    // After tsx's, so before it: what tsx compiles from a .cts by itself (compiled-hooks.ts).
    register(new URL('./compiled-hooks.js', import.meta.url), { data: config });
    registerTsxCjs();
    const instrumented = createInstrumentMatcher(config);
    hookCommonJs(instrumented);
    hookCommonJsInThread(instrumented);
  } catch (error) {
    // Some hooks may be in and others not (TypeScript would then load as an unknown extension): that
    // is no state to load a scenario in, and the cause is what the user needs to see.
    failed = new InstrumentationError(`installing the module hooks failed: ${error instanceof Error ? error.message : String(error)}`);
    throw failed;
  }
}

type Compile = (this: unknown, content: string, filename: string) => unknown;

/**
 * Rewrites CommonJS code about to be compiled. It is JavaScript whatever the file's extension (tsx has
 * compiled TypeScript by then); sites map back through its source map when it has one (tsx's inline map).
 */
function rewriteCommonJs(content: string, filename: string): string {
  const url = pathToFileURL(filename).href;
  return rewriteAwaits(content, filename, { url, sourceType: 'commonjs', lang: 'js' }).code;
}

interface SyncLoadResult {
  format?: string | null | undefined;
  source?: string | ArrayBuffer | NodeJS.TypedArray | null | undefined;
}

/**
 * Where Node has in-thread module hooks (22.15+, 23.5+), tsx loads CommonJS through them and Node compiles
 * the result without calling Module#_compile, so the rewrite hooks in there too. Registered after tsx's, it
 * runs first and rewrites what tsx compiled.
 */
function hookCommonJsInThread(instrumented: (file: string) => boolean): void {
  const registerHooks = (createRequire(import.meta.url)('node:module') as { registerHooks?: (hooks: object) => void }).registerHooks;
  if (!registerHooks) return;
  registerHooks({
    load(url: string, context: object, nextLoad: (url: string, context: object) => SyncLoadResult): SyncLoadResult {
      const result = nextLoad(url, context);
      const format = result.format ?? '';
      if (!(format === 'commonjs' || format === 'commonjs-typescript') || result.source == null || !url.startsWith('file:')) return result;
      const filename = fileURLToPath(url);
      if (!instrumented(filename)) return result;
      const source = sourceText(result.source);
      return { ...result, source: rewriteCommonJs(source, filename) };
    },
  });
}

/**
 * CommonJS modules never reach the ESM load hook; tsx compiles them (TypeScript in a package that is not
 * "type": "module") right before `_compile`. Rewriting there and mapping sites back through tsx's inline
 * source map keeps the lines exact; columns are as precise as that map.
 */
function hookCommonJs(instrumented: (file: string) => boolean): void {
  const Module = createRequire(import.meta.url)('node:module') as { prototype: { _compile: Compile } };
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (this: unknown, content: string, filename: string) {
    return compile.call(this, instrumented(filename) ? rewriteCommonJs(content, filename) : content, filename);
  };
}
