// npm run bench:compare -- <dir> [<dir> …]: runs/s of the lock-protected reference programs (bench/programs.ts)
// under builds of racecheck side by side, e.g. the working tree against a worktree of an older commit.
// Rounds alternate between the builds, so a busy moment of the machine hits each; the table gives each
// build's median over the rounds, and its ratio to the first build's.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { median } from './median.mjs';

const dirs = process.argv.slice(2).map((dir) => path.resolve(dir));
if (dirs.length < 2) {
  console.error('usage: node bench/compare.mjs <racecheck checkout> <racecheck checkout> [...] (each built, with node_modules)');
  process.exit(2);
}
const rounds = Number(process.env.ROUNDS ?? 5);
const rates = new Map();
for (let round = 0; round < rounds; round++) {
  for (const dir of dirs) {
    process.stderr.write(`round ${round + 1}/${rounds}: ${dir}…\n`);
    const output = execFileSync(process.execPath, [path.join(dir, 'bench/launch.mjs'), 'racecheck', '--throughput'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
    for (const row of JSON.parse(output).programs) {
      const key = `${row.program} (${row.strategy === 'portfolio' ? 'default' : row.strategy})|${dir}`;
      rates.set(key, [...(rates.get(key) ?? []), row.runsPerSecond]);
    }
  }
}
const programs = [...new Set([...rates.keys()].map((key) => key.split('|')[0]))];
console.log(`runs/s, median of ${rounds} alternating rounds\n`);
console.log(`| program | ${dirs.map((dir, i) => (i === 0 ? path.basename(dir) : `${path.basename(dir)} | ratio`)).join(' | ')} |`);
console.log(`|---|${dirs.map((_, i) => (i === 0 ? '---|' : '---|---|')).join('')}`);
for (const program of programs) {
  const base = median(rates.get(`${program}|${dirs[0]}`) ?? [NaN]);
  const cells = dirs.map((dir, i) => {
    const rate = median(rates.get(`${program}|${dir}`) ?? [NaN]);
    return i === 0 ? Math.round(rate).toLocaleString('en-US') : `${Math.round(rate).toLocaleString('en-US')} | ${(rate / base).toFixed(2)}`;
  });
  console.log(`| ${program} | ${cells.join(' | ')} |`);
}
