/**
 * A module hook registered after tsx's, so that it runs before tsx's and sees what tsx returns. On Node 20, tsx
 * reads a `.cts` file that an ES module imports from disk itself (not through hooks.ts, which it bypasses),
 * compiles it, and Node runs the result without Module#_compile, where register.ts rewrites other CommonJS:
 * the compiled code is rewritten here instead, its sites mapped back through tsx's inline source map. Where it
 * passes another hook too (Node 22's in-thread hooks), rewriteAwaits rewrites it once.
 */
import type { InitializeHook, LoadHook } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createInstrumentMatcher, type InstrumentConfig } from './match.js';
import { rewriteAwaits, sourceText } from './rewrite.js';

const CTS = /\.cts$/;
let instrumented: (url: string) => boolean = () => false;

export const initialize: InitializeHook<InstrumentConfig> = (config) => {
  instrumented = createInstrumentMatcher(config);
};

export const load: LoadHook = async (url, context, nextLoad) => {
  const result = await nextLoad(url, context);
  if (result.format !== 'commonjs' || result.source == null || !url.startsWith('file:')) return result;
  const filename = fileURLToPath(url);
  if (!CTS.test(filename) || !instrumented(url)) return result;
  const source = sourceText(result.source);
  return { ...result, source: rewriteAwaits(source, filename, { url, sourceType: 'commonjs', lang: 'js' }).code };
};
