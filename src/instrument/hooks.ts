/**
 * Module customization hooks (module.register). They run on Node's hooks thread, so they share nothing
 * with the scheduler but the rewritten source: sites are registered by the module's own preamble.
 * Registered before tsx, so tsx's load calls this one through nextLoad: the rewrite sees the user's
 * TypeScript as written, and tsx compiles the rewritten text.
 */
import { createRequire, type InitializeHook, type LoadHook, type ResolveHook } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadsAsCommonJs } from '../module-format.js';
import { createInstrumentMatcher, type InstrumentConfig } from './match.js';
import { rewriteAwaits, sourceText } from './rewrite.js';

let instrumented: (url: string) => boolean = () => false;

export const initialize: InitializeHook<InstrumentConfig> = (config) => {
  instrumented = createInstrumentMatcher(config);
};

/**
 * tsx's own ES modules import esbuild, a CommonJS package: Node's ES loader would read the names it exports by
 * parsing its 100 KB of source (cjs-module-lexer), about 60 ms of CPU in each thread that imports it, in each
 * child process. Those imports get a facade instead: an ES module that `require`s the package and exports
 * what it exports. Only tsx's imports: a scenario's import of the same package loads it as Node does.
 */
const FACADE = 'racecheck-commonjs:';
const TSX_DIST = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist') + path.sep).href;

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const resolved = await nextResolve(specifier, context);
  if (!context.parentURL?.startsWith(TSX_DIST) || !isCommonJs(resolved.url, resolved.format)) return resolved;
  return { url: `${FACADE}${resolved.url}`, format: 'module', shortCircuit: true };
};

/** Whether Node will load the file as CommonJS JavaScript (Node 20's resolve often leaves the format for load to tell). */
function isCommonJs(url: string, format: string | null | undefined): boolean {
  if (format) return format === 'commonjs';
  return url.startsWith('file:') && /\.c?js$/.test(url) && loadsAsCommonJs(fileURLToPath(url));
}

function commonJsFacade(url: string): string {
  const file = fileURLToPath(url);
  const names = Object.keys(createRequire(url)(file) as object).filter((name) => name !== 'default');
  return [
    `import { createRequire } from 'node:module';`,
    `const exports = createRequire(${JSON.stringify(url)})(${JSON.stringify(file)});`,
    'export default exports;',
    ...names.map((name, index) => `const e${index} = exports[${JSON.stringify(name)}];\nexport { e${index} as ${JSON.stringify(name)} };`),
  ].join('\n');
}

export const load: LoadHook = async (url, context, nextLoad) => {
  if (url.startsWith(FACADE)) return { format: 'module', source: commonJsFacade(url.slice(FACADE.length)), shortCircuit: true };
  const result = await nextLoad(url, context);
  const format = result.format ?? '';
  if (result.source == null || !(format === 'module' || format === 'module-typescript') || !instrumented(url)) {
    return result;
  }
  const source = sourceText(result.source);
  const { code } = rewriteAwaits(source, fileURLToPath(url), { url, sourceType: 'module' });
  return { ...result, source: code };
};
