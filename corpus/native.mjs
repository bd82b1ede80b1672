// node corpus/native.mjs [<bug id>...] [--runs <n>]
//
// The baseline racecheck is measured against: runs each corpus scenario natively, without racecheck (real
// time, Node's own scheduling, the package's awaits left alone), the way a test suite would exercise the same
// code: setup, every task started at once, check when all settled, teardown. Prints how many of `--runs` runs
// (default 100) showed the bug, for the buggy and the fixed version.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CorpusError, ensureInstalled, loadBugs, ROOT } from './lib.mjs';

async function runNatively(scenario) {
  const state = scenario.setup ? await scenario.setup() : {};
  try {
    const entries = Array.isArray(scenario.tasks) ? scenario.tasks.map((task, i) => [`t${i}`, task]) : Object.entries(scenario.tasks);
    const settled = await Promise.allSettled(entries.map(([name, task], index) => task(state, { name, index })));
    const results = Object.fromEntries(entries.map(([name], i) => [name, settled[i]]));
    const rejected = settled.find((result) => result.status === 'rejected');
    if (rejected && !scenario.allowRejections) return `exception: ${rejected.reason?.message ?? rejected.reason}`;
    try {
      const verdict = await scenario.check?.(state, results);
      return verdict === true || verdict === undefined ? null : String(verdict);
    } catch (error) {
      return error.message;
    }
  } finally {
    await scenario.teardown?.(state);
  }
}

async function main() {
  const argv = process.argv.slice(2);
  let runs = 100;
  const ids = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else ids.push(argv[i]);
  }
  if (!Number.isSafeInteger(runs) || runs < 1) throw new CorpusError('native: --runs needs an integer from 1');
  const bugs = loadBugs().filter((bug) => ids.length === 0 || ids.includes(bug.id));
  if (bugs.length === 0) throw new CorpusError(`native: no bug named ${ids.join(', ')}`);
  ensureInstalled();
  console.log(`Native runs (no racecheck), ${runs} per version · Node ${process.version}\n`);
  for (const bug of bugs) {
    const module = await import(pathToFileURL(path.join(ROOT, bug.file)).href);
    const counts = {};
    for (const variant of ['buggy', 'fixed']) {
      let failures = 0;
      let first;
      for (let run = 0; run < runs; run++) {
        const failure = await runNatively(module[variant]);
        if (failure !== null) {
          failures += 1;
          first ??= failure;
        }
      }
      counts[variant] = `${failures}/${runs}${first ? ` (${first.slice(0, 60)})` : ''}`;
    }
    console.log(`${bug.id.padEnd(22)} buggy ${bug.package}@${bug.buggy}: ${counts.buggy} failed · fixed ${bug.fixed}: ${counts.fixed} failed`);
  }
}

try {
  await main();
} catch (error) {
  if (!(error instanceof CorpusError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
}
