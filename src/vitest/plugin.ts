import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'vitest/config';
import { formatUnusedInclude, unusedIncludes } from '../instrument/include-report.js';
import { createInstrumentMatcher } from '../instrument/match.js';
import { rewriteSourceMap } from './source-map.js';
import { PROVIDE_KEY, type WorkerSettings } from './settings.js';

export interface RacecheckPluginOptions {
  /**
   * Also instrument these files (globs relative to the project root), or these packages under
   * node_modules (`p-limit`, `@scope/pkg`), as the CLI's `--include` does.
   */
  include?: readonly string[];
  /** Leave these files native (globs relative to the project root), as the CLI's `--exclude` does. */
  exclude?: readonly string[];
}

/** racecheck's own package root: its src/, dist/ and bin/ are never instrumented (the CLI's rule). */
const SELF_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SETUP_FILE = fileURLToPath(new URL('./setup.js', import.meta.url));

/**
 * The Vite plugin for vitest.config.ts: every `await` (and `for await`) in the modules vitest transforms
 * becomes a scheduling point of racecheck's scheduler, with the CLI's rules for which modules those are
 * (test files and project sources; node_modules only when `include` names them). It also installs
 * racecheck's runtime in every test worker, before the first test file is imported.
 */
export function racecheck(options: RacecheckPluginOptions = {}): Plugin {
  const include = [...(options.include ?? [])];
  const exclude = [...(options.exclude ?? [])];
  let instrumented: (file: string) => boolean = () => false;
  let root = process.cwd();
  /** Modules whose rewrite made at least one scheduling point (file URLs), for the unused-include warning. */
  const rewritten = new Set<string>();
  /** Where the workers list the modules their hooks instrumented (see WorkerSettings.sitesDir). */
  let sitesDir: string | undefined;

  return {
    name: 'racecheck',
    // Before Vite compiles TypeScript: the rewrite sees the code as written, so sites are the user's own.
    enforce: 'pre',
    config(config) {
      // The setup file imports vitest through Vite: this makes it the project's own copy.
      config.resolve = { ...config.resolve, dedupe: [...(config.resolve?.dedupe ?? []), 'vitest'] };
      const test = (config.test ??= {});
      // First, so the runtime is there before any other setup file or test module runs (vi.mock's
      // hoisting can run a module's code before its imports).
      test.setupFiles = [SETUP_FILE, ...toArray(test.setupFiles)];
      const deps = ((test.server ??= {}).deps ??= {});
      // racecheck runs natively, as a package from node_modules does, even when it is linked (`file:`,
      // a workspace) and so lies outside node_modules: one copy of it, beside the test's own vitest.
      if (deps.inline !== true) deps.external = [...(deps.external ?? []), ...[path.join(SELF_ROOT, 'dist'), ...syncPackage()].map(directoryPattern)];
      sitesDir ??= include.length > 0 ? mkdtempSync(path.join(tmpdir(), 'racecheck-vitest-sites-')) : undefined;
      const settings: WorkerSettings = { root: path.resolve(config.root ?? process.cwd()), include, exclude, ...(sitesDir ? { sitesDir } : {}) };
      // Through vitest's provide/inject, the setup file gets them in every worker.
      test.provide = { ...test.provide, [PROVIDE_KEY]: settings } as typeof test.provide;
    },
    configResolved(resolved) {
      root = resolved.root;
      const matches = createInstrumentMatcher({ cwd: resolved.root, selfRoot: SELF_ROOT, include, exclude });
      // @racecheck/sync declares its own scheduling points; a linked copy lies outside node_modules.
      const own = syncPackage();
      instrumented = (file) => matches(file) && !own.some((dir) => file.startsWith(dir));
    },
    // The main process loads globalSetup files through the `__vitest__` environment: no test runs there.
    applyToEnvironment: (environment) => environment.name !== '__vitest__',
    async transform(code, id) {
      const file = id.split('?', 1)[0]!;
      if (id.startsWith('\0') || !path.isAbsolute(file) || !instrumented(file)) return null;
      const { rewriteAwaits } = await import('../instrument/rewrite.js');
      const url = pathToFileURL(file).href;
      const original = (this as { originalCode?: string }).originalCode;
      if (original === undefined || original === code) {
        const { code: output, sites, shifts } = rewriteAwaits(code, file, { url, sourceType: 'module', sourceMaps: false });
        if (sites.length === 0) return null;
        rewritten.add(url);
        return { code: output, map: rewriteSourceMap(code, output, shifts, file) };
      }
      // A plugin before this one changed the code. Given the map of those changes as an inline comment on
      // a line of its own, the rewrite puts every site where it was written; what it leaves on that line
      // goes, as Vite composes the maps itself, so what is returned is the input plus the insertions.
      const map = Buffer.from(JSON.stringify(this.getCombinedSourcemap())).toString('base64');
      const { code: output, sites, shifts } = rewriteAwaits(`${code}\n//# sourceMappingURL=data:application/json;base64,${map}`, file, { url, sourceType: 'module' });
      if (sites.length === 0) return null;
      rewritten.add(url);
      const withoutMap = output.slice(0, output.lastIndexOf('\n'));
      return { code: withoutMap, map: rewriteSourceMap(code, withoutMap, shifts, file) };
    },
    // Vitest closes its Vite server when the run (or watch mode) ends: what was transformed by then is known.
    buildEnd() {
      if (!sitesDir) return;
      const instrumented = new Set([...rewritten, ...workerModules(sitesDir)]);
      rmSync(sitesDir, { recursive: true, force: true });
      sitesDir = undefined;
      // Nothing instrumented at all (no test ran): nothing to say, as the CLI says nothing then.
      if (instrumented.size === 0) return;
      for (const entry of unusedIncludes(include, root, instrumented)) process.stderr.write(`${formatUnusedInclude(entry, 'racecheck() include', 'module of the run')}\n`);
    },
  };
}

/** The module URLs the workers wrote to `dir`, one a line. */
function workerModules(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((name) => readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean));
  } catch {
    return [];
  }
}

function toArray<T>(value: T | readonly T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

/** The real directory of the @racecheck/sync that racecheck/sync re-exports, with a trailing separator. */
function syncPackage(): string[] {
  const manifest = createRequire(import.meta.url).resolve('@racecheck/sync/package.json');
  return [path.join(realpathSync(path.dirname(manifest)), path.sep)];
}

function directoryPattern(dir: string): RegExp {
  const posix = path.join(dir, path.sep).split(path.sep).join('/');
  return new RegExp(`^${posix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
}

