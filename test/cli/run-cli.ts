// Tests outside test/cli import these from here; the helpers live in helpers.ts.
export { normalizeTimings, ROOT, runCli, runMain, type CliRun } from './helpers.js';
