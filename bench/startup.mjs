// npm run bench:startup -- [<dir> …]: what a scenario file's child process costs to start, under builds of
// racecheck side by side (default: this checkout alone), e.g. the working tree against a worktree of main.
// The test suite and `racecheck scenarios` start one child per file, and on a busy machine CPU is what
// that costs, so CPU (user + system, every thread of the child) is the figure; wall time beside it.
//
// Each measure is one child started by that build's own ChildSession (dist/cli/child-session.js) in a
// driver process of its own, given one file with --runs 1 and followed to its `done`: the driver reads the
// CPU its finished child used from /proc (cutime, cstime), so the parent's own start-up is not in it.
// Two files: one whose runs pass, and one whose run finds a violation (explained and shrunk), since a
// child that reports a violation loads more. Rounds alternate between the builds, so that a busy moment of
// the machine hits each; the table gives medians over the rounds and each build's ratio to the first.
// ROUNDS (default 15) sets the rounds; FILES=a.ts,b.ts other files (relative to each build's directory).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './median.mjs';

const here = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const dirs = (process.argv.length > 2 ? process.argv.slice(2) : [here]).map((dir) => path.resolve(dir));
const rounds = Number(process.env.ROUNDS ?? 15);
const node = process.env.NODE_BINARY ?? process.execPath;
const FILES = process.env.FILES
  ? process.env.FILES.split(',').map((file) => ({ label: path.basename(file), file }))
  : [
      { label: 'passes', file: 'test/fixtures/core/counter-locked.ts' },
      { label: 'violation', file: 'scenarios/counter.ts' },
    ];

for (const dir of dirs) {
  if (!existsSync(path.join(dir, 'dist/cli/child-session.js'))) {
    console.error(`${dir}: no dist/cli/child-session.js (build it first: npm run build)`);
    process.exit(2);
  }
}

// Runs in the driver process, in the build's directory: one child, one job, its CPU once it is reaped.
const DRIVER = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [dir, file] = process.argv.slice(-2);
const { ChildSession } = await import(pathToFileURL(dir + '/dist/cli/child-session.js').href);
const childrenCpuMs = () => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * (1000 / 100);
};
const instrument = { cwd: dir, include: [], exclude: [] };
const before = childrenCpuMs();
const started = performance.now();
const session = new ChildSession({ cwd: dir, instrument, env: { ...process.env, NO_COLOR: '1' }, output: undefined });
let scenarios = 0;
let violations = 0;
await new Promise((resolve) => {
  session.start({ file, cwd: dir, include: [], exclude: [], select: {}, options: { runs: 1, seed: 1 } }, (message) => {
    if (message.type === 'result') {
      scenarios++;
      if (message.result.violation) violations++;
    }
    if (message.type === 'done') resolve();
  });
  session.exited.then(resolve);
});
const wallMs = performance.now() - started;
await session.end(true);
console.log(JSON.stringify({ cpuMs: childrenCpuMs() - before, wallMs, scenarios, violations }));
`;

const measure = (dir, file) =>
  JSON.parse(execFileSync(node, ['--input-type=module', '-e', DRIVER, dir, file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));

const samples = new Map();
const shapes = new Map();
for (let round = 0; round < rounds; round++) {
  process.stderr.write(`round ${round + 1}/${rounds}…\n`);
  for (const { label, file } of FILES) {
    for (const dir of dirs) {
      const { cpuMs, wallMs, scenarios, violations } = measure(dir, file);
      const key = `${label}|${dir}`;
      samples.set(key, [...(samples.get(key) ?? []), { cpuMs, wallMs }]);
      shapes.set(label, `${scenarios} scenario${scenarios === 1 ? '' : 's'}, ${violations} with a violation`);
    }
  }
}

const name = (dir) => (dir === here ? `${path.basename(dir)} (this checkout)` : path.basename(dir));
console.log(`Child start-up: one child per file, --runs 1 --seed 1 · ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length} · Node ${process.version} · median of ${rounds} alternating rounds\n`);
console.log(`| file | ${dirs.map((dir, i) => (i === 0 ? `${name(dir)} CPU ms | wall ms` : `${name(dir)} CPU ms | ratio | wall ms`)).join(' | ')} |`);
console.log(`|---|${dirs.map((_, i) => (i === 0 ? '---|---|' : '---|---|---|')).join('')}`);
for (const { label, file } of FILES) {
  const base = median(samples.get(`${label}|${dirs[0]}`).map((s) => s.cpuMs));
  const cells = dirs.map((dir, i) => {
    const runs = samples.get(`${label}|${dir}`);
    const cpu = median(runs.map((s) => s.cpuMs));
    const wall = median(runs.map((s) => s.wallMs)).toFixed(0);
    return i === 0 ? `${cpu.toFixed(0)} | ${wall}` : `${cpu.toFixed(0)} | ${(cpu / base).toFixed(2)} | ${wall}`;
  });
  console.log(`| ${file} (${label}: ${shapes.get(label)}) | ${cells.join(' | ')} |`);
}
console.log('\nCPU: user + system of the child process and all its threads (main, module hooks, watchdog, V8 and libuv helpers), from /proc; 10 ms ticks.');
