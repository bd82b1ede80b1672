/**
 * Every option racecheck takes, declared once: its flag (the key in kebab case), its config-file key (the
 * key itself), how a value is parsed and range-checked, its help text and what its default is. The
 * commander program (options.ts), the config file's validation (config.ts) and the types below are all
 * derived from this table. Defaults of the core (runs, max steps, ...) are the core's: they are shown in
 * the help text but never applied here.
 */
import { DEFAULTS } from '../scheduler/settings.js';
import { MAX_SEED } from '../scheduler/rng.js';
import { DEFAULT_STRATEGY, STRATEGY_NAMES, strategyDescriptor, type StrategyName } from '../scheduler/strategies/index.js';
import { DEFAULT_PCT_DEPTH } from '../scheduler/strategies/pct.js';
import { BUILTIN_REPORTER_NAMES, builtinReporters } from '../report/registry.js';
import { MAX_SCHEDULE_STEPS } from '../report/replay-token.js';

/** A value that does not fit its option; the message says what was expected ("an integer from 1 to 10"). */
export class OptionValueError extends Error {
  readonly code = 'RACECHECK_OPTION_VALUE';
}

/** How one option's value is read, from the command line (text) and from a config file (any JS value). */
export interface OptionKind<Value, ConfigValue = Value> {
  /** The argument as help shows it (`<n>`); undefined for a flag that takes none. */
  readonly argument: string | undefined;
  /** Parses one occurrence on the command line; `previous` is the value so far (for repeatable options). */
  readonly fromText: (text: string, previous: Value | undefined) => Value;
  /** Checks a config file's value. */
  readonly fromConfig: (value: unknown) => Value;
  /** Phantom: the type a config file may give (`string | string[]` for a list). */
  readonly configType?: ConfigValue;
}

export interface OptionSpec<Value, ConfigValue = Value> {
  readonly kind: OptionKind<Value, ConfigValue>;
  readonly description: string;
  /** Where it may be given: a config file cannot replay a token or pick a shard (those are per invocation). */
  readonly where: 'both' | 'cli' | 'config';
  /** `--no-<flag>` rather than `--<flag>` (a boolean that is on unless turned off). */
  readonly negated?: boolean;
  readonly short?: string;
}

const option = <Value, ConfigValue = Value>(spec: OptionSpec<Value, ConfigValue>): OptionSpec<Value, ConfigValue> => spec;

function integer(min: number, max: number, argument = '<n>'): OptionKind<number> {
  const expected = `an integer from ${min} to ${max}`;
  const check = (n: number): number => {
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new OptionValueError(`expected ${expected}`);
    return n;
  };
  return {
    argument,
    fromText: (text) => {
      if (!/^\s*\d{1,16}\s*$/.test(text)) throw new OptionValueError(`expected ${expected}`);
      return check(Number(text));
    },
    fromConfig: (value) => {
      if (typeof value !== 'number') throw new OptionValueError(`expected ${expected}, got ${describe(value)}`);
      try {
        return check(value);
      } catch {
        throw new OptionValueError(`expected ${expected}, got ${describe(value)}`);
      }
    },
  };
}

function text(argument: string): OptionKind<string> {
  return {
    argument,
    fromText: (value) => value,
    fromConfig: (value) => {
      if (typeof value !== 'string' || value === '') throw new OptionValueError(`expected a non-empty string, got ${describe(value)}`);
      return value;
    },
  };
}

function choice<T extends string>(values: readonly T[], argument = '<name>'): OptionKind<T> {
  const expected = `one of ${values.join(', ')}`;
  const isChoice = (value: unknown): value is T => typeof value === 'string' && (values as readonly string[]).includes(value);
  return {
    argument,
    fromText: (value) => {
      if (!isChoice(value)) throw new OptionValueError(`expected ${expected}`);
      return value;
    },
    fromConfig: (value) => {
      if (!isChoice(value)) throw new OptionValueError(`expected ${expected}, got ${describe(value)}`);
      return value;
    },
  };
}

const flag: OptionKind<boolean> = {
  argument: undefined,
  fromText: () => true,
  fromConfig: (value) => {
    if (typeof value !== 'boolean') throw new OptionValueError(`expected true or false, got ${describe(value)}`);
    return value;
  },
};

/** Repeatable on the command line; a string or an array of strings in a config file. */
function list(argument: string, item: (value: string) => string = (value) => value): OptionKind<readonly string[], string | readonly string[]> {
  return {
    argument,
    fromText: (value, previous) => [...(previous ?? []), item(value)],
    fromConfig: (value) => {
      const items = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(items) || items.some((entry) => typeof entry !== 'string' || entry === '')) {
        throw new OptionValueError(`expected a string or an array of strings, got ${describe(value)}`);
      }
      return (items as string[]).map(item);
    },
  };
}

/** `<i>/<n>`: the i-th of n parts. */
const shard: OptionKind<{ readonly index: number; readonly count: number }> = {
  argument: '<i>/<n>',
  fromText: (value) => {
    const match = /^\s*(\d{1,7})\s*\/\s*(\d{1,7})\s*$/.exec(value);
    const index = Number(match?.[1]);
    const count = Number(match?.[2]);
    if (!match || count < 1 || index < 1 || index > count) throw new OptionValueError('expected <i>/<n> with 1 ≤ i ≤ n, such as 2/3');
    return { index, count };
  },
  fromConfig: () => {
    throw new OptionValueError('a shard is given on the command line');
  },
};

/** A reporter and where it writes: `name`, or `name:file`. The name is checked against the registry later. */
function reporterItem(value: string): string {
  const separator = value.indexOf(':');
  if (separator === 0) throw new OptionValueError('expected a reporter name before ":"');
  if (separator === value.length - 1) throw new OptionValueError(`expected a file after "${value}"`);
  return value;
}

/** The largest --timeout and --max-blocking: a day is far beyond any run, and within what a timer can wait. */
const MAX_MS = 86_400_000;
const MAX_RUNS = 1_000_000_000;
export const MAX_WORKERS = 256;

export const OPTIONS = {
  paths: option({
    kind: list('<path>'),
    where: 'config',
    description: 'scenario files, directories or globs (default: scenarios/)',
  }),
  runs: option({
    kind: integer(1, MAX_RUNS),
    where: 'both',
    description: `schedules to try per scenario (default: the scenario's runs, else ${DEFAULTS.runs}; exhaustive: up to ${thousands(strategyDescriptor('exhaustive').defaultRuns)})`,
  }),
  seed: option({
    kind: integer(0, MAX_SEED),
    where: 'both',
    description: "master seed; a run's own seed derives from it and the run's index (default: random)",
  }),
  strategy: option({
    kind: choice<StrategyName>(STRATEGY_NAMES),
    where: 'both',
    description: `how to choose the next task at each step: ${STRATEGY_NAMES.join(', ')} (default: ${DEFAULT_STRATEGY})`,
  }),
  depth: option({
    // PCT places depth-1 change points among a run's steps: more than a run can have would only cost memory.
    kind: integer(1, MAX_SCHEDULE_STEPS, '<d>'),
    where: 'both',
    description: `PCT's bug depth: d-1 priority change points per run (default ${DEFAULT_PCT_DEPTH})`,
  }),
  maxPreemptions: option({
    kind: integer(0, MAX_SCHEDULE_STEPS, '<k>'),
    where: 'both',
    description: 'exhaustive search: only schedules with at most k preemptions (the verdict is complete within k)',
  }),
  shrink: option({
    kind: flag,
    where: 'both',
    negated: true,
    description: 'report a failing schedule as found, without minimising it',
  }),
  maxSteps: option({
    kind: integer(1, MAX_SCHEDULE_STEPS),
    where: 'both',
    description: `steps allowed in one run before a max-steps violation (default ${thousands(DEFAULTS.maxSteps)})`,
  }),
  timeout: option({
    kind: integer(1, MAX_MS, '<ms>'),
    where: 'both',
    description: `real time allowed for one run before a timeout violation (default ${DEFAULTS.timeoutMs})`,
  }),
  maxBlocking: option({
    kind: integer(1, MAX_MS, '<ms>'),
    where: 'both',
    description: `longest synchronous step, in real ms, before a blocked-loop violation (default ${DEFAULTS.maxBlockingMs})`,
  }),
  filter: option({
    kind: text('<text>'),
    where: 'both',
    description: 'only scenarios whose id or name contains this text',
  }),
  reporter: option({
    kind: list('<name>', reporterItem),
    where: 'both',
    description: `${BUILTIN_REPORTER_NAMES.join(', ')}, or a reporter module (./my-reporter.mjs); repeatable; name:file writes that reporter to a file`,
  }),
  output: option({
    kind: text('<file>'),
    where: 'both',
    description: `where the document reporter (${BUILTIN_REPORTER_NAMES.filter((name) => builtinReporters[name].output === 'document').join(', ')}) writes (default: stdout)`,
  }),
  json: option({
    kind: flag,
    where: 'both',
    description: 'same as --reporter json',
  }),
  replay: option({
    kind: text('<token>'),
    where: 'cli',
    description: 'rerun the recorded schedule a report printed; if the program changed so it no longer fits, follow it as far as it fits, then search on',
  }),
  replayStrict: option({
    kind: flag,
    where: 'cli',
    description: 'with --replay: a recorded schedule that no longer fits this program is an error',
  }),
  include: option({
    kind: list('<glob|package>'),
    where: 'both',
    description: 'also instrument these files, or this package under node_modules; repeatable',
  }),
  exclude: option({
    kind: list('<glob>'),
    where: 'both',
    description: 'leave these files uninstrumented (native awaits); repeatable',
  }),
  advise: option({
    kind: flag,
    where: 'both',
    description: 'also test whether each lock is needed: rerun each passing scenario with each lock made a no-op (SPEC §6)',
  }),
  showOutput: option({
    kind: flag,
    where: 'both',
    description: 'show what scenarios print (on stderr); it is discarded by default',
  }),
  workers: option({
    kind: integer(1, MAX_WORKERS),
    where: 'both',
    description: 'scenario files run in parallel in n child processes (default: the number of cores, at most the number of files)',
  }),
  shard: option({
    kind: shard,
    where: 'cli',
    description: 'run only the i-th of n parts of the scenario files (stable and disjoint: for CI matrices)',
  }),
  config: option({
    kind: text('<file>'),
    where: 'cli',
    description: 'configuration file (default: racecheck.config.{ts,mts,js,mjs} in the working directory)',
  }),
} as const;

export type OptionName = keyof typeof OPTIONS;

type ValueOf<S> = S extends { readonly kind: { readonly fromConfig: (value: unknown) => infer Value } } ? Value : never;
type ConfigValueOf<S> = S extends { readonly kind: { readonly configType?: infer ConfigValue } } ? ConfigValue : never;

/** What the command line or a config file gave; an option that was not given is absent. */
export type OptionValues = { -readonly [K in OptionName]?: ValueOf<(typeof OPTIONS)[K]> };

type ConfigKey = { [K in OptionName]: (typeof OPTIONS)[K]['where'] extends 'cli' ? never : K }[OptionName];

/** A config file's default export: the long options in camelCase. */
export type RacecheckConfig = { readonly [K in ConfigKey]?: ConfigValueOf<(typeof OPTIONS)[K]> };

/** `maxSteps` → `max-steps`. */
export function flagOf(name: OptionName): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** 100000 → 100,000, without Intl (whose start-up would cost every process that loads this table). */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
