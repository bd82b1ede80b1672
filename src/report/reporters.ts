/**
 * `racecheck/reporters`: what writing a reporter of your own takes (defineReporter and the report's types),
 * and the built-in reporters, for reuse. A reporter module's default export is `defineReporter({ output,
 * create })`; pass its path to --reporter.
 */
export { BUILTIN_REPORTER_NAMES, builtinReporters, defineReporter, type BuiltinReporterName, type ReporterContext, type ReporterDefinition } from './registry.js';
export { createHtmlReporter, formatHtml } from './html.js';
export { createJsonReporter } from './json.js';
export { createJunitReporter, formatJunit } from './junit.js';
export { createPrettyReporter, type PrettyOptions } from './pretty.js';
export type { FileStart, LeftProcess, Progress, Report, ReportError, Reporter, ReportViolation, RunStart, ScenarioReport, ScenarioStart, Shard } from './types.js';
