import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UsageError } from './errors.js';
import { flagOf, OptionValueError, OPTIONS, type OptionName, type OptionSpec, type OptionValues } from './option-table.js';

/** What parsing decided: run with these values and paths, or stop (help and version were printed). */
export type ParseOutcome =
  | { readonly kind: 'run'; readonly values: OptionValues; readonly paths: readonly string[] }
  | { readonly kind: 'exit'; readonly code: 0 };

export const DEFAULT_PATH = 'scenarios/';

/** Parses the command line against the option table. A mistake is a UsageError with commander's one line. */
export function parseArguments(argv: readonly string[], version: string, stdout: (text: string) => void): ParseOutcome {
  let usage = '';
  const program = new Command('racecheck')
    .description('Find races in async TypeScript and JavaScript: every await becomes a scheduling point, explored under a seeded scheduler on virtual time.')
    .argument('[paths...]', `scenario files, directories or globs (default: ${DEFAULT_PATH})`)
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
  const names = (Object.keys(OPTIONS) as OptionName[]).filter((name) => OPTIONS[name].where !== 'config');
  for (const name of names) program.addOption(toCommanderOption(name, OPTIONS[name] as OptionSpec<unknown>));

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

  const parsed = program.opts<Record<string, unknown>>();
  const values: Record<string, unknown> = {};
  for (const name of names) {
    if (program.getOptionValueSource(name) === 'cli') values[name] = parsed[name];
  }
  return { kind: 'run', values: values as OptionValues, paths: program.args };
}

function toCommanderOption(name: OptionName, spec: OptionSpec<unknown>): Option {
  const argument = spec.kind.argument;
  const flags = spec.negated ? `--no-${flagOf(name)}` : `--${flagOf(name)}${argument ? ` ${argument}` : ''}`;
  const option = new Option(flags, spec.description);
  if (argument && !spec.negated) {
    option.argParser((value: string, previous: unknown) => {
      try {
        return spec.kind.fromText(value, previous);
      } catch (error) {
        if (error instanceof OptionValueError) throw new InvalidArgumentError(`${error.message}.`);
        throw error;
      }
    });
  }
  return option;
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? text;
}

function hint(code: string): string {
  return code === 'commander.unknownOption' || code === 'commander.excessArguments' ? ' (see racecheck --help)' : '';
}
