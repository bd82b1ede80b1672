import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/cli/config.js';
import { UsageError } from '../../src/cli/errors.js';
import { flagOf, OPTIONS, type OptionName } from '../../src/cli/option-table.js';
import { parseArguments } from '../../src/cli/options.js';

/** The option table is the one place an option is declared: the command line and the config file both come from it. */
const parse = (...argv: string[]) => parseArguments(argv, '0.0.0', () => undefined);
const usage = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`${argv.join(' ')} parsed`);
};

describe('the command line', () => {
  it('has a flag for every option of the table but the config-only ones, and nothing else', () => {
    let help = '';
    parseArguments(['--help'], '0.0.0', (text) => (help += text));
    for (const name of Object.keys(OPTIONS) as OptionName[]) {
      const flag = OPTIONS[name].negated ? `--no-${flagOf(name)}` : `--${flagOf(name)}`;
      if (OPTIONS[name].where === 'config') expect(help).not.toContain(`${flag} `);
      else expect(help).toContain(flag);
    }
  });

  it('gives only what was given, typed', () => {
    const outcome = parse('a.ts', '--runs', '12', '--seed', '0', '--no-shrink', '--include', 'x', '--include', 'y', '--reporter', 'json:r.json', '--shard', '2/3', '--workers', '4');
    expect(outcome).toEqual({
      kind: 'run',
      paths: ['a.ts'],
      values: { runs: 12, seed: 0, shrink: false, include: ['x', 'y'], reporter: ['json:r.json'], shard: { index: 2, count: 3 }, workers: 4 },
    });
    expect(parse()).toEqual({ kind: 'run', paths: [], values: {} });
  });

  it.each([
    [['--seed', 'NaN'], "option '--seed <n>' argument 'NaN' is invalid. expected an integer from 0 to 4294967295."],
    [['--seed', 'Infinity'], "option '--seed <n>' argument 'Infinity' is invalid. expected an integer from 0 to 4294967295."],
    [['--seed', String(2 ** 52)], "option '--seed <n>' argument '4503599627370496' is invalid. expected an integer from 0 to 4294967295."],
    [['--seed', '1.5'], "option '--seed <n>' argument '1.5' is invalid. expected an integer from 0 to 4294967295."],
    [['--runs', '0'], "option '--runs <n>' argument '0' is invalid. expected an integer from 1 to 1000000000."],
    [['--runs', '1e9'], "option '--runs <n>' argument '1e9' is invalid. expected an integer from 1 to 1000000000."],
    // PCT places depth-1 change points among a run's steps: no more than a run can have.
    [['--depth', '9007199254740991'], "option '--depth <d>' argument '9007199254740991' is invalid. expected an integer from 1 to 1000000."],
    [['--depth', '100000000'], "option '--depth <d>' argument '100000000' is invalid. expected an integer from 1 to 1000000."],
    [['--max-steps', '1000001'], "option '--max-steps <n>' argument '1000001' is invalid. expected an integer from 1 to 1000000."],
    [['--max-preemptions', '-1'], "option '--max-preemptions <k>' argument '-1' is invalid. expected an integer from 0 to 1000000."],
    [['--timeout', '0'], "option '--timeout <ms>' argument '0' is invalid. expected an integer from 1 to 86400000."],
    [['--max-blocking', '99999999999'], "option '--max-blocking <ms>' argument '99999999999' is invalid. expected an integer from 1 to 86400000."],
    [['--workers', '0'], "option '--workers <n>' argument '0' is invalid. expected an integer from 1 to 256."],
    [['--shard', '3/2'], "option '--shard <i>/<n>' argument '3/2' is invalid. expected <i>/<n> with 1 ≤ i ≤ n, such as 2/3."],
    [['--shard', '0/2'], "option '--shard <i>/<n>' argument '0/2' is invalid. expected <i>/<n> with 1 ≤ i ≤ n, such as 2/3."],
    [['--shard', 'half'], "option '--shard <i>/<n>' argument 'half' is invalid. expected <i>/<n> with 1 ≤ i ≤ n, such as 2/3."],
    [['--reporter', 'junit:'], "option '--reporter <name>' argument 'junit:' is invalid. expected a file after \"junit:\"."],
  ])('refuses %j with one line', (argv, message) => {
    expect(usage(...argv)).toBe(message);
  });
});

describe('a config file', () => {
  it('takes the long options in camelCase, checked as the flags are', () => {
    expect(checkConfig({ paths: 'checks', runs: 5, strategy: 'pct', include: ['lib/**'], reporter: 'json', shrink: false, maxBlocking: 50 }, 'c.mjs')).toEqual({
      paths: ['checks'],
      runs: 5,
      strategy: 'pct',
      include: ['lib/**'],
      reporter: ['json'],
      shrink: false,
      maxBlocking: 50,
    });
  });

  it.each([
    [{ runz: 5 }, 'c.mjs: unknown key "runz" (did you mean "runs"?)'],
    [{ 'max-steps': 5 }, 'c.mjs: unknown key "max-steps" (did you mean "maxSteps"?)'],
    [{ colour: true }, 'c.mjs: unknown key "colour" (the keys are the long options in camelCase: paths, runs, seed, strategy, depth, maxPreemptions, shrink, maxSteps, timeout, maxBlocking, filter, reporter, output, json, include, exclude, advise, showOutput, workers)'],
    [{ runs: 'ten' }, 'c.mjs: "runs": expected an integer from 1 to 1000000000, got "ten"'],
    [{ seed: Number.NaN }, 'c.mjs: "seed": expected an integer from 0 to 4294967295, got number NaN'],
    [{ seed: 2 ** 52 }, 'c.mjs: "seed": expected an integer from 0 to 4294967295, got number 4503599627370496'],
    [{ strategy: 'chaos' }, 'c.mjs: "strategy": expected one of portfolio, random, pct, exhaustive, got "chaos"'],
    [{ include: [1] }, 'c.mjs: "include": expected a string or an array of strings, got an array'],
    [{ showOutput: 'yes' }, 'c.mjs: "showOutput": expected true or false, got "yes"'],
    [{ replay: '1.abc' }, 'c.mjs: "replay" cannot be set in a config file; give it on the command line'],
    [{ shard: '1/2' }, 'c.mjs: "shard" cannot be set in a config file; give it on the command line'],
  ])('refuses %j with one line naming the key', (config, message) => {
    expect(() => checkConfig(config, 'c.mjs')).toThrow(new UsageError(message));
  });

  it('must default-export an object', () => {
    expect(() => checkConfig(undefined, 'c.mjs')).toThrow('c.mjs: has no default export (export default defineConfig({ ... }))');
    expect(() => checkConfig([1], 'c.mjs')).toThrow('c.mjs: its default export must be an object of options');
  });
});
