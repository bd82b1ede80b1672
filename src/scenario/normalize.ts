import type { NormalizedScenario, Scenario, TaskFn } from './types.js';

/** A scenario export that is not well formed: names the field and what was expected. */
export class ScenarioError extends Error {
  readonly code = 'RACECHECK_SCENARIO';
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** Identity helper: gives a scenario object its types. A plain object works the same. */
export function defineScenario<S = Record<string, unknown>>(scenario: Scenario<S>): Scenario<S> {
  return scenario;
}

/** Whether an export is meant as a scenario: an object with a `tasks` property. */
export function looksLikeScenario(value: unknown): value is { tasks: unknown } {
  return value !== null && typeof value === 'object' && 'tasks' in value;
}

/**
 * Checks every field and returns the scheduler's view; `label` names the export in messages and
 * `defaultName` is the name when the scenario has none (the export's name).
 */
export function normalizeScenario(value: unknown, label: string, defaultName = label): NormalizedScenario {
  if (!looksLikeScenario(value)) throw new ScenarioError(`${label}: not a scenario: expected an object with a "tasks" property`);
  const scenario = value as Scenario & Record<string, unknown>;
  const fail = (field: string, expected: string, actual: unknown): never => {
    throw new ScenarioError(`${label}: "${field}" must be ${expected}, got ${describe(actual)}`);
  };
  const optionalFunction = (field: 'setup' | 'check' | 'invariant' | 'teardown') => {
    const fn = scenario[field];
    if (fn !== undefined && typeof fn !== 'function') fail(field, 'a function', fn);
    return fn as ((...args: never[]) => unknown) | undefined;
  };
  const optionalCount = (field: 'runs' | 'maxSteps' | 'timeoutMs' | 'maxBlockingMs') => {
    const n = scenario[field];
    if (n !== undefined && !(typeof n === 'number' && Number.isInteger(n) && n > 0)) fail(field, 'a positive integer', n);
    return n as number | undefined;
  };

  if (scenario.name !== undefined && typeof scenario.name !== 'string') fail('name', 'a string', scenario.name);
  if (scenario.allowRejections !== undefined && typeof scenario.allowRejections !== 'boolean') {
    fail('allowRejections', 'a boolean', scenario.allowRejections);
  }
  const tasks = normalizeTasks(scenario.tasks, fail);
  return {
    name: scenario.name ?? defaultName,
    setup: optionalFunction('setup') as NormalizedScenario['setup'],
    tasks,
    check: optionalFunction('check') as NormalizedScenario['check'],
    invariant: optionalFunction('invariant') as NormalizedScenario['invariant'],
    teardown: optionalFunction('teardown') as NormalizedScenario['teardown'],
    allowRejections: scenario.allowRejections ?? false,
    runs: optionalCount('runs'),
    maxSteps: optionalCount('maxSteps'),
    timeoutMs: optionalCount('timeoutMs'),
    maxBlockingMs: optionalCount('maxBlockingMs'),
  };
}

function normalizeTasks(
  tasks: unknown,
  fail: (field: string, expected: string, actual: unknown) => never,
): { name: string; fn: TaskFn<unknown> }[] {
  const expected = 'a non-empty array or record of functions';
  let entries: [string, unknown][];
  if (Array.isArray(tasks)) entries = tasks.map((fn, index) => [`t${index}`, fn]);
  else if (tasks !== null && typeof tasks === 'object') entries = Object.entries(tasks);
  else return fail('tasks', expected, tasks);
  if (entries.length === 0) fail('tasks', expected, tasks);
  return entries.map(([name, fn]) => {
    if (typeof fn !== 'function') fail(Array.isArray(tasks) ? `tasks[${name.slice(1)}]` : `tasks.${name}`, 'a function', fn);
    return { name, fn: fn as TaskFn<unknown> };
  });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (typeof value === 'object') return Object.keys(value as object).length === 0 ? 'an empty object' : 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}
