import { createRequire } from 'node:module';
import { isKnownError } from '../errors.js';
import type { ChildSettings } from './child-session.js';
import { EXIT, type ExitCode } from './errors.js';
import type { CliEnvironment } from './environment.js';
import { WorkerPool } from './worker-pool.js';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/**
 * parse -> config -> files (prepare.ts) -> run each file in a child process -> report (run.ts) -> exit
 * code. Returns the exit code; never exits. A user's mistake is one line on stderr and exit 2.
 *
 * The first child process starts before anything else, even before the options are read: a child's
 * start-up (Node, tsx, the rewriter, the module hooks' thread) is most of what a small run costs, and it
 * overlaps with loading the rest of the CLI. It is told what to instrument once that is known.
 */
export async function main(argv: readonly string[], environment: CliEnvironment): Promise<ExitCode | 130 | 143> {
  const { cwd } = environment;
  const childSettings: ChildSettings = { cwd, env: environment.env, output: undefined, instrument: undefined };
  const pool = new WorkerPool(childSettings, 1);
  if (!argv.some((arg) => /^(-h|--help|-v|--version)$/.test(arg))) pool.plan(1, 1);
  try {
    const { prepare } = await import('./prepare.js');
    const prepared = await prepare(argv, cwd, VERSION, (text) => environment.stdout.write(text));
    if (prepared.kind === 'exit') return EXIT.ok;
    const { values, files, recipe, workers } = prepared;
    childSettings.output = values.showOutput ? environment.stderr : undefined;
    pool.configure({ cwd, include: values.include ?? [], exclude: values.exclude ?? [] });
    pool.plan(workers, files.length);
    const { run } = await import('./run.js');
    return await run({ values, files, recipe, workers, version: VERSION, pool }, environment);
  } catch (error) {
    if (isKnownError(error)) {
      environment.stderr.write(`racecheck: ${error.message.split('\n').join('\nracecheck: ')}\n`);
      return EXIT.usage;
    }
    environment.stderr.write(`racecheck: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.internal;
  } finally {
    await pool.close();
  }
}
