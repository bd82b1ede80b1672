/**
 * racecheck's programmatic API: define scenarios, load them with instrumentation, run them.
 * Nothing here prints or exits; results are data.
 */
import { installInstrumentation as installHooks, type InstrumentOptions } from './instrument/register.js';
import { installRuntime } from './scheduler/runtime.js';

export { defineScenario, ScenarioError } from './scenario/normalize.js';
export { loadScenarios, loadScenarioModule, LoadError, type ScenarioModule } from './core/load.js';
export type { CheckResult, CheckValue, LoadedScenario, Scenario, TaskContext, TaskFn, TaskResult, TaskResults } from './scenario/types.js';
export { runScenario, type RunScenarioOptions, type SearchHooks } from './core/search.js';
export { DEFAULTS, type SearchSettings } from './scheduler/settings.js';
export type { ScenarioResult, SearchSummary, TraceStep, Violation } from './scheduler/result.js';
export { ReplayMismatchError, type Schedule } from './scheduler/strategies/replay.js';
export { STRATEGY_NAMES, type StrategyName } from './scheduler/strategies/index.js';
export type { Candidate, RunInfo, Strategy } from './scheduler/types.js';
export { VIOLATION_KIND_NAMES, type ViolationKind } from './scheduler/violation-kinds.js';
export type { SiteRef } from './site.js';
export { ADVICE_CODES, type Advice, type AdviceCode, type ReportAdvice } from './scheduler/advice.js';
export { InstrumentationError, type InstrumentOptions } from './instrument/register.js';
export { defineConfig, type RacecheckConfig } from './cli/define-config.js';

/**
 * Installs racecheck in this thread: the runtime that rewritten awaits call (with virtual time), then the
 * module hooks, so modules imported afterwards get their awaits rewritten. `loadScenarios` does this itself.
 */
export function installInstrumentation(options: InstrumentOptions = {}): void {
  installRuntime();
  installHooks(options);
}
