/**
 * The reporters, by name: what `--reporter <name>` picks from. A built-in reporter's module is imported only
 * when it is picked. Write your own as a module whose default export is `defineReporter({ output, create })`
 * (or a bare `create` function, taken as a document reporter) and pass its path: `--reporter
 * ./my-reporter.mjs`, or `--reporter ./my-reporter.mjs:out.txt` to write to a file.
 */
import type { Reporter } from './types.js';

/** What the CLI hands a reporter to write with. */
export interface ReporterContext {
  /**
   * Writes the reporter's document: to its file (`--reporter name:file`, `--output`), or to stdout. Call it
   * once, with the whole text; it rejects when the text cannot be written, and the run then exits 2.
   */
  readonly write: (text: string) => Promise<void>;
  /** The terminal stream: stdout, or stderr when a document reporter writes to stdout. */
  readonly out: NodeJS.WritableStream;
  /** Colour level for `out`: 0 (none: NO_COLOR, not a terminal) to 3. */
  readonly color: 0 | 1 | 2 | 3;
  /** Whether `out` is a terminal (progress lines are drawn only there). */
  readonly interactive: boolean;
  /** Columns available on `out`. */
  readonly width: number;
  /** The file the document goes to, or undefined for stdout. */
  readonly file: string | undefined;
  /** The working directory: report paths are relative to it. */
  readonly cwd: string;
}

export interface ReporterDefinition {
  /**
   * `stream`: writes to the terminal as results come (pretty). `document`: writes one document, once the
   * run is over, to a file or to stdout (json, junit). At most one document may go to stdout, and then
   * stream reporters move to stderr so that stdout stays parseable.
   */
  readonly output: 'stream' | 'document';
  /** One line, for `racecheck --help`. */
  readonly description: string;
  /** Makes the reporter for one run; may be async (a built-in one imports its module first). */
  readonly create: (context: ReporterContext) => Reporter | Promise<Reporter>;
}

/** Identity helper that types a reporter module's default export. */
export function defineReporter(definition: ReporterDefinition): ReporterDefinition {
  return definition;
}

/** The built-in reporters. A new one is an entry here (name → definition); nothing else needs to change. */
export const builtinReporters = {
  pretty: defineReporter({
    output: 'stream',
    description: 'the report a person reads: a line per scenario, each violation with its timeline',
    create: async (context) =>
      (await import('./pretty.js')).createPrettyReporter({ out: context.out, color: context.color, interactive: context.interactive, width: context.width }),
  }),
  json: defineReporter({
    output: 'document',
    description: 'one JSON document (docs/report.schema.json)',
    create: async (context) => (await import('./json.js')).createJsonReporter(context.write),
  }),
  junit: defineReporter({
    output: 'document',
    description: 'JUnit XML for CI systems',
    create: async (context) => (await import('./junit.js')).createJunitReporter(context.write),
  }),
  html: defineReporter({
    output: 'document',
    description: 'one self-contained HTML page with a timeline per failing scenario (--reporter html:report.html)',
    create: async (context) => (await import('./html.js')).createHtmlReporter(context.write),
  }),
} as const satisfies Record<string, ReporterDefinition>;

export type BuiltinReporterName = keyof typeof builtinReporters;

export const BUILTIN_REPORTER_NAMES = Object.keys(builtinReporters) as BuiltinReporterName[];

export function isBuiltinReporter(name: string): name is BuiltinReporterName {
  return Object.hasOwn(builtinReporters, name);
}

/** A reporter module's default export, checked: a definition, or a bare create function (a document reporter). */
export function toReporterDefinition(value: unknown): ReporterDefinition | undefined {
  if (typeof value === 'function') return { output: 'document', description: '', create: value as ReporterDefinition['create'] };
  if (value === null || typeof value !== 'object') return undefined;
  const candidate = value as Partial<ReporterDefinition>;
  if (typeof candidate.create !== 'function' || (candidate.output !== 'stream' && candidate.output !== 'document')) return undefined;
  return { output: candidate.output, description: typeof candidate.description === 'string' ? candidate.description : '', create: candidate.create };
}

