/**
 * Module customization hooks (module.register). They run on Node's hooks thread, so they share nothing
 * with the scheduler but the rewritten source: sites are registered by the module's own preamble.
 * Registered before tsx, so tsx's load calls this one through nextLoad: the rewrite sees the user's
 * TypeScript as written, and tsx compiles the rewritten text.
 */
import type { InitializeHook, LoadHook } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createInstrumentMatcher, type InstrumentConfig } from './match.js';
import { rewriteAwaits, sourceText } from './rewrite.js';

let instrumented: (url: string) => boolean = () => false;

export const initialize: InitializeHook<InstrumentConfig> = (config) => {
  instrumented = createInstrumentMatcher(config);
};

export const load: LoadHook = async (url, context, nextLoad) => {
  const result = await nextLoad(url, context);
  const format = result.format ?? '';
  if (result.source == null || !(format === 'module' || format === 'module-typescript') || !instrumented(url)) {
    return result;
  }
  const source = sourceText(result.source);
  const { code } = rewriteAwaits(source, fileURLToPath(url), { url, sourceType: 'module' });
  return { ...result, source: code };
};
