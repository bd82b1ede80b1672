/**
 * racecheck's programmatic API: define scenarios, load them with instrumentation, run them.
 * Nothing here prints or exits; results are data.
 */
export { defineScenario, ScenarioError } from './scenario/normalize.js';
export { loadScenarios, LoadError } from './scenario/load.js';
export type { CheckResult, CheckValue, Scenario, TaskContext, TaskFn, TaskResult, TaskResults } from './scenario/types.js';
export { runScenario, DEFAULTS } from './scheduler/engine.js';
export type {
  LoadedScenario,
  RunScenarioOptions,
  ScenarioResult,
  SearchSummary,
  SiteRef,
  TraceStep,
  Violation,
} from './scheduler/engine.js';
export { ReplayMismatchError, type Schedule } from './scheduler/strategies/replay.js';
export { STRATEGY_NAMES, type StrategyName } from './scheduler/strategies/index.js';
export type { Candidate, RunInfo, Strategy, ViolationKind } from './scheduler/types.js';
export { installInstrumentation, InstrumentationError, type InstrumentOptions } from './instrument/register.js';
