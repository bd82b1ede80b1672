/**
 * What a scenario child (child.ts) loads once it has started its watchdog, as one module graph: a single
 * import() of this file, where five import()s side by side could fail in Node 20's loader with "request for
 * '…' is not in cache" (concurrent linking of modules that share dependencies, nodejs/node#52187).
 */
export { loadScenarioModule, LoadError } from '../core/load.js';
export { runScenario } from '../core/search.js';
export { installRuntime, onSitesRegistered } from '../scheduler/runtime.js';
export { installInstrumentation } from '../instrument/register.js';
export { resolveRuns, resolveLimits, strategyNameOf } from '../scheduler/settings.js';
