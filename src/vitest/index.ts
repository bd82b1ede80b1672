/**
 * racecheck inside vitest: `racecheck()` is the plugin for vitest.config.ts, and `raceTest` and
 * `expectNoRace` run a scenario under racecheck's scheduler from a test file.
 */
export { racecheck, type RacecheckPluginOptions } from './plugin.js';
export { raceTest, expectNoRace, RaceConditionError, RaceTestError, REPLAY_ENV, type RaceOptions, type RaceTestOptions } from './race-test.js';
export { defineScenario } from '../scenario/normalize.js';
export type { CheckResult, Scenario, TaskContext, TaskResults } from '../scenario/types.js';
export type { ScenarioResult } from '../scheduler/result.js';
