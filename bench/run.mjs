// npm run bench: the bug-finding benchmark. Runs racecheck's strategies and fast-check's scheduler on the
// same programs (bench/programs.ts), each engine in a process of its own, and prints what they found.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const launch = fileURLToPath(new URL('./launch.mjs', import.meta.url));
const run = (engine, ...args) => {
  process.stderr.write(`running ${engine} ${args.join(' ')}…\n`);
  return JSON.parse(execFileSync(process.execPath, [launch, engine, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 }));
};

const found = [...run('racecheck'), ...run('fast-check')];
const verdicts = run('racecheck', '--verdicts');

const median = (values) => {
  const sorted = values.map((v) => v ?? Infinity).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const show = (n, cap) => (n === Infinity ? `>${cap}` : String(n));
const columns = ['random', 'pct', 'exhaustive', 'portfolio', 'scheduler'];
const label = { random: 'random', pct: 'pct', exhaustive: 'exhaustive', portfolio: 'portfolio (default)', scheduler: 'fast-check' };
const programs = [...new Set(found.map((r) => r.program))];
const row = (program, strategy) => found.find((r) => r.program === program && r.strategy === strategy);

const table = (title, cell) => {
  const header = ['program', ...columns.map((c) => label[c])];
  const body = programs.map((program) => [`${program} (${row(program, 'random').difficulty})`, ...columns.map((c) => cell(row(program, c)))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((cells) => cells[i].length)));
  const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const cells of body) console.log(line(cells));
};

console.log(`racecheck bug-finding benchmark · ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length} · Node ${process.version} · ${new Date().toISOString().slice(0, 10)}`);
table('Runs to the first failure over 20 seeds: median [min–max] (exhaustive is deterministic: one number)', (r) => {
  const values = r.runsToFailure.map((v) => v ?? Infinity);
  if (values.length === 1) return show(values[0], r.cap);
  return `${show(median(values), r.cap)} [${show(Math.min(...values), r.cap)}–${show(Math.max(...values), r.cap)}]`;
});
table('Share of failing runs (of 2000) and runs per second on the buggy programs', (r) => `${((r.failing / r.shareRuns) * 100).toFixed(2)}% · ${Math.round(r.runsPerSecond).toLocaleString('en-US')}/s`);
table('False positives on the correct programs (failing runs out of runs made; must be 0)', (r) => `${r.falsePositives}/${r.correctRuns}${r.complete ? ' (all schedules)' : ''}`);

console.log('\nExhaustive search on four-task scenarios (bench/verdicts.ts), by preemption bound\n');
console.log('| scenario | bound | status | schedules | complete | seconds |');
console.log('|---|---|---|---|---|---|');
for (const v of verdicts) console.log(`| ${v.scenario} | ≤ ${v.maxPreemptions} | ${v.status} | ${v.schedules} | ${v.complete} | ${v.seconds.toFixed(2)} |`);

console.log('\nTargets');
let ok = true;
for (const program of programs.filter((p) => row(p, 'random').difficulty === 'deep')) {
  const portfolio = median(row(program, 'portfolio').runsToFailure);
  for (const other of ['random', 'scheduler']) {
    const baseline = median(row(program, other).runsToFailure);
    const pass = portfolio * 3 <= baseline;
    ok &&= pass;
    console.log(`  ${pass ? 'met ' : 'MISSED'} ${program}: default median ${show(portfolio, 5000)} vs ${label[other]} ${show(baseline, 5000)} (at most a third: ${(baseline / 3).toFixed(1)})`);
  }
}
const falsePositives = found.reduce((sum, r) => sum + r.falsePositives, 0);
ok &&= falsePositives === 0;
console.log(`  ${falsePositives === 0 ? 'met ' : 'MISSED'} false positives on correct programs, all strategies: ${falsePositives}`);
process.exitCode = ok ? 0 : 1;
