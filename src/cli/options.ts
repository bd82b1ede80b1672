import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULTS } from '../scheduler/settings.js';
import { MAX_SEED } from '../scheduler/rng.js';
import { DEFAULT_STRATEGY, STRATEGY_NAMES, type StrategyName } from '../scheduler/strategies/index.js';
import { DEFAULT_PCT_DEPTH } from '../scheduler/strategies/pct.js';
import { UsageError } from './errors.js';

export const REPORTER_NAMES = ['pretty', 'json', 'junit'] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

/** A reporter and where it writes: a file, or undefined for the default stream. */
export interface ReporterChoice {
  readonly name: ReporterName;
  readonly file: string | undefined;
}

export interface CliOptions {
  readonly paths: readonly string[];
  /** Whether the user named paths (a replay without paths loads the token's own file). */
  readonly pathsGiven: boolean;
  readonly runs: number | undefined;
  readonly seed: number | undefined;
  readonly strategy: StrategyName | undefined;
  readonly depth: number | undefined;
  readonly maxPreemptions: number | undefined;
  readonly shrink: boolean;
  readonly maxSteps: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly maxBlockingMs: number | undefined;
  readonly filter: string | undefined;
  readonly reporters: readonly ReporterChoice[];
  readonly output: string | undefined;
  readonly replay: string | undefined;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly showOutput: boolean;
}

/** What parsing decided: run with these options, or stop (help and version were printed). */
export type ParseOutcome = { readonly kind: 'run'; readonly options: CliOptions } | { readonly kind: 'exit'; readonly code: 0 };

const DEFAULT_PATH = 'scenarios/';

export function parseArguments(argv: readonly string[], version: string, stdout: (text: string) => void): ParseOutcome {
  let usage = '';
  const program = new Command('racecheck')
    .description('Find races in async TypeScript and JavaScript: every await becomes a scheduling point, explored under a seeded scheduler on virtual time.')
    .argument('[paths...]', `scenario files, directories or globs (default: ${DEFAULT_PATH})`)
    .option('--runs <n>', `schedules to try per scenario (default: the scenario's runs, else ${DEFAULTS.runs})`, positiveInteger)
    .option('--seed <n>', "master seed; a run's own seed derives from it and the run's index (default: random)", seed)
    .addOption(new Option('--strategy <name>', `how to choose the next task at each step (default: ${DEFAULT_STRATEGY})`).choices(STRATEGY_NAMES))
    .option('--depth <d>', `PCT's bug depth: d-1 priority change points per run (default ${DEFAULT_PCT_DEPTH})`, positiveInteger)
    .option('--max-preemptions <k>', 'exhaustive search: only schedules with at most k preemptions (the verdict is complete within k)', nonNegativeInteger)
    .option('--no-shrink', 'report a failing schedule as found, without minimising it')
    .option('--max-steps <n>', `steps allowed in one run before a max-steps violation (default ${DEFAULTS.maxSteps})`, positiveInteger)
    .option('--timeout <ms>', `real time allowed for one run before a timeout violation (default ${DEFAULTS.timeoutMs})`, positiveInteger)
    .option('--max-blocking <ms>', `longest synchronous step, in real ms, before a blocked-loop violation (default ${DEFAULTS.maxBlockingMs})`, positiveInteger)
    .option('--filter <text>', 'only scenarios whose id or name contains this text')
    .option('--reporter <name>', `${REPORTER_NAMES.join(', ')}; repeatable; name:file writes that reporter to a file`, reporter, [])
    .option('--output <file>', 'where the machine reporter (json or junit) writes (default: stdout)')
    .option('--json', 'same as --reporter json')
    .option('--replay <token>', 'rerun exactly one recorded schedule, from the token a report printed')
    .option('--include <glob|package>', 'also instrument these files, or this package under node_modules; repeatable', collect, [])
    .option('--exclude <glob>', 'leave these files uninstrumented (native awaits); repeatable', collect, [])
    .option('--show-output', "show what scenarios print (on stderr); it is discarded by default")
    .version(version, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: stdout,
      writeErr: (text) => {
        usage += text;
      },
      outputError: (text) => {
        usage += text;
      },
    });

  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return { kind: 'exit', code: 0 };
      }
      throw new UsageError(firstLine(error.message.replace(/^error: /, '')) + hint(error.code));
    }
    throw error;
  }

  const raw = program.opts<{
    runs?: number;
    seed?: number;
    strategy?: StrategyName;
    depth?: number;
    maxPreemptions?: number;
    shrink: boolean;
    maxSteps?: number;
    timeout?: number;
    maxBlocking?: number;
    filter?: string;
    reporter: ReporterChoice[];
    output?: string;
    json?: boolean;
    replay?: string;
    include: string[];
    exclude: string[];
    showOutput?: boolean;
  }>();
  const reporters = [...raw.reporter];
  if (raw.json && !reporters.some((r) => r.name === 'json')) reporters.push({ name: 'json', file: undefined });
  if (reporters.length === 0) reporters.push({ name: 'pretty', file: undefined });
  const paths = program.args;
  return {
    kind: 'run',
    options: {
      paths: paths.length > 0 ? paths : [DEFAULT_PATH],
      pathsGiven: paths.length > 0,
      runs: raw.runs,
      seed: raw.seed,
      strategy: raw.strategy,
      depth: raw.depth,
      maxPreemptions: raw.maxPreemptions,
      shrink: raw.shrink,
      maxSteps: raw.maxSteps,
      timeoutMs: raw.timeout,
      maxBlockingMs: raw.maxBlocking,
      filter: raw.filter,
      reporters,
      output: raw.output,
      replay: raw.replay,
      include: raw.include,
      exclude: raw.exclude,
      showOutput: raw.showOutput ?? false,
    },
  };
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a non-negative integer.');
  return n;
}

function seed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > MAX_SEED) throw new InvalidArgumentError(`expected an integer from 0 to ${MAX_SEED}.`);
  return n;
}

function reporter(value: string, previous: ReporterChoice[]): ReporterChoice[] {
  const separator = value.indexOf(':');
  const name = separator === -1 ? value : value.slice(0, separator);
  const file = separator === -1 ? undefined : value.slice(separator + 1);
  if (!(REPORTER_NAMES as readonly string[]).includes(name)) throw new InvalidArgumentError(`expected one of ${REPORTER_NAMES.join(', ')}.`);
  if (file === '') throw new InvalidArgumentError(`expected a file after "${name}:".`);
  return [...previous, { name: name as ReporterName, file }];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? text;
}

function hint(code: string): string {
  return code === 'commander.unknownOption' || code === 'commander.excessArguments' ? ' (see racecheck --help)' : '';
}
