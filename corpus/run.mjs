// npm run corpus [-- <bug id>... <racecheck option>...]
//
// Runs racecheck, with its default options plus `--include` for the package, on every scenario of the corpus of
// real npm race bugs (corpus/bugs.json), and prints one row per bug: whether the buggy version was caught, whether
// the fixed version passed, how many runs the buggy one took to fail, and how long it took. Exits 1 when a buggy
// version was missed or a fixed version failed, 2 on bad arguments or a broken setup.
import { CorpusError, ensureBuilt, ensureInstalled, formatTable, forwardSignals, loadBugs, runRacecheck } from './lib.mjs';

const VALUE_OPTIONS = new Set(['--seed', '--runs', '--strategy', '--depth', '--max-preemptions', '--max-steps', '--timeout', '--max-blocking', '--workers']);
const REPORT_OPTIONS = new Set(['--json', '--reporter', '--output', '--replay', '--filter']);

function parseArgs(argv, bugs) {
  const ids = [];
  const options = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.split('=')[0];
    if (REPORT_OPTIONS.has(name)) throw new CorpusError(`corpus: ${name} is not supported here (the corpus reads racecheck's JSON report itself)`);
    if (arg.startsWith('-')) {
      options.push(arg);
      if (VALUE_OPTIONS.has(arg) && i + 1 < argv.length) options.push(argv[++i]);
    } else if (bugs.some((bug) => bug.id === arg)) {
      ids.push(arg);
    } else {
      throw new CorpusError(`corpus: no bug named "${arg}" (known: ${bugs.map((bug) => bug.id).join(', ')})`);
    }
  }
  return { selected: ids.length > 0 ? bugs.filter((bug) => ids.includes(bug.id)) : bugs, options };
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const CELL = 64;
const cut = (text) => (text.length > CELL ? `${text.slice(0, CELL - 1)}…` : text);

function describeBuggy(scenario, expected) {
  if (!scenario) return { ok: false, text: 'MISSING from report' };
  if (scenario.status === 'fail' && expected.includes(scenario.violation.kind)) return { ok: true, text: `caught: ${scenario.violation.kind}` };
  // A violation of another kind is not this bug: a timing verdict, say, that happened to hit the buggy version.
  if (scenario.status === 'fail') return { ok: false, text: `WRONG KIND: ${scenario.violation.kind}: ${scenario.violation.message} (expected ${expected.join(' or ')})` };
  if (scenario.status === 'pass') return { ok: false, text: `MISSED (${scenario.runs} runs passed)` };
  return { ok: false, text: `ERROR: ${scenario.error?.message ?? 'unknown'}` };
}

function describeFixed(scenario) {
  if (!scenario) return { ok: false, text: 'MISSING from report' };
  if (scenario.status === 'pass') {
    const proof = scenario.search?.complete ? `all ${scenario.search.schedules} schedules` : `${scenario.runs} runs`;
    return { ok: true, text: `pass (${proof})` };
  }
  if (scenario.status === 'fail') return { ok: false, text: `FALSE ALARM: ${scenario.violation.kind}: ${scenario.violation.message}` };
  return { ok: false, text: `ERROR: ${scenario.error?.message ?? 'unknown'}` };
}

async function main() {
  const bugs = loadBugs();
  const { selected, options } = parseArgs(process.argv.slice(2), bugs);
  ensureBuilt();
  ensureInstalled();
  forwardSignals();

  const rows = [];
  const problems = [];
  const started = performance.now();
  for (const bug of selected) {
    const args = [bug.file, ...bug.include.flatMap((name) => ['--include', name]), ...options];
    process.stderr.write(`corpus: ${bug.id} (${bug.package} ${bug.buggy} → ${bug.fixed})…\n`);
    let result;
    try {
      result = await runRacecheck(args);
    } catch (error) {
      rows.push([bug.id, 'ERROR', '', '', error.message, '', '']);
      problems.push(`${bug.id}: ${error.message}`);
      continue;
    }
    const byExport = (name) => result.report.scenarios.find((s) => s.id === `${bug.file}#${name}`);
    const buggy = byExport('buggy');
    const fixed = byExport('fixed');
    const buggyVerdict = describeBuggy(buggy, bug.expect);
    const fixedVerdict = describeFixed(fixed);
    if (!buggyVerdict.ok) problems.push(`${bug.id}: buggy ${bug.package}@${bug.buggy}: ${buggyVerdict.text}`);
    if (!fixedVerdict.ok) problems.push(`${bug.id}: fixed ${bug.package}@${bug.fixed}: ${fixedVerdict.text}`);
    rows.push([
      `${bug.id}${bug.transpiled ? ' (T)' : ''}`,
      `${bug.buggy} → ${bug.fixed}`,
      cut(buggyVerdict.text),
      buggy?.violation ? String(buggy.violation.run) : '-',
      buggy ? seconds(buggy.durationMs) : '-',
      cut(fixedVerdict.text),
      fixed ? seconds(fixed.durationMs) : '-',
    ]);
  }

  console.log(`\nracecheck corpus: ${plural(selected.length, 'real npm race bug')} · Node ${process.version}${options.length ? ` · racecheck options: ${options.join(' ')}` : ' · racecheck default options'}\n`);
  console.log(formatTable(['bug', 'versions', 'buggy version', 'runs to find', 'time (buggy)', 'fixed version', 'time (fixed)'], rows));
  console.log(`\n(T) transpiled package (__awaiter/__generator): --include makes the yields that stand for its awaits scheduling points (see corpus/README.md).`);
  console.log(`"runs to find" is the run that failed; "time" is racecheck's time on the scenario, shrinking included.`);
  console.log(`Total wall time ${seconds(performance.now() - started)}.`);
  if (problems.length > 0) {
    console.log(`\n${problems.length} problem(s):`);
    for (const problem of problems) console.log(`  - ${problem}`);
    return 1;
  }
  console.log(`\n${selected.length === 1 ? 'The buggy version was caught and the fixed version passed.' : `All ${selected.length} buggy versions caught, all ${selected.length} fixed versions passed.`}`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof CorpusError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
}
