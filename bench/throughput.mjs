// npm run bench:throughput: how fast racecheck steps and runs, beside fast-check's scheduler and native awaits.
// Each engine runs in a process of its own; rounds alternate between them so a busy moment of the machine
// hits both, and the best round of each is kept.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const launch = fileURLToPath(new URL('./launch.mjs', import.meta.url));
const rounds = Number(process.env.ROUNDS ?? 3);
const node = process.env.NODE_BINARY ?? process.execPath;

const run = (args, flags = []) =>
  JSON.parse(execFileSync(node, [...flags, launch, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 }));

let stress;
const best = new Map();
const keep = (row) => {
  const key = `${row.program}|${row.engine}|${row.strategy}`;
  if (!best.has(key) || best.get(key).runsPerSecond < row.runsPerSecond) best.set(key, row);
};
for (let round = 0; round < rounds; round++) {
  process.stderr.write(`round ${round + 1}/${rounds}…\n`);
  const racecheck = run(['racecheck', '--throughput']);
  if (!stress || racecheck.stress.ratio < stress.ratio) stress = racecheck.stress;
  racecheck.programs.forEach(keep);
  run(['fast-check', '--throughput']).forEach(keep);
}
process.stderr.write('scaling…\n');
// Its own process, once: the 10,000-task shapes hold many tasks alive, which must not colour the other figures.
const scaling = run(['racecheck', '--scaling', '--steps', String(Number(process.env.SCALING_STEPS ?? 100_000))], ['--max-old-space-size=4096']);
process.stderr.write('memory…\n');
const memory = run(['racecheck', '--throughput', '--memory-runs', '100000'], ['--expose-gc']).memory;
process.stderr.write('start-up…\n');
// CPU too (the parent, its child process and the child's threads), where /proc says what finished children
// used: the test suite and `racecheck scenarios` start one child per file, so CPU is what start-up costs them.
const childrenCpuMs = () => {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // cutime and cstime, in clock ticks (USER_HZ, 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
};
const startups = [];
const startupCpu = [];
for (let i = 0; i < 7; i++) {
  const started = performance.now();
  const cpuBefore = childrenCpuMs();
  spawnSync(node, ['bin/racecheck.js', 'scenarios/counter.ts', '--runs', '1'], { cwd: root, stdio: 'ignore' });
  startups.push(performance.now() - started);
  const cpuAfter = childrenCpuMs();
  if (cpuBefore !== undefined && cpuAfter !== undefined) startupCpu.push(cpuAfter - cpuBefore);
}
startups.sort((a, b) => a - b);
startupCpu.sort((a, b) => a - b);

const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
console.log(`racecheck throughput · ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length} · Node ${version} · best of ${rounds} rounds\n`);
console.log('Stress scenario: 10 tasks × 100 awaits each (bench/stress.ts), random strategy');
console.log(`  racecheck: ${Math.round(stress.stepsPerSecond).toLocaleString('en-US')} steps/s, ${stress.nsPerStep.toFixed(0)} ns a step`);
console.log(`  native:    ${stress.nativeNsPerAwait.toFixed(1)} ns an await (the same program, uninstrumented, same process)`);
console.log(`  ratio:     ${stress.ratio.toFixed(1)}× a native await\n`);

console.log('Runs per second on the correct (lock-protected) reference programs (bench/programs.ts)\n');
console.log('| program | racecheck (default) | racecheck (random) | fast-check scheduler | default / fast-check |');
console.log('|---|---|---|---|---|');
const programs = [...new Set([...best.values()].map((r) => r.program))];
const rate = (program, engine, strategy) => best.get(`${program}|${engine}|${strategy}`)?.runsPerSecond ?? NaN;
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const results = [];
for (const program of programs) {
  const ours = rate(program, 'racecheck', 'portfolio');
  const random = rate(program, 'racecheck', 'random');
  const theirs = rate(program, 'fast-check', 'scheduler');
  results.push({ program, ratio: ours / theirs });
  console.log(`| ${program} | ${fmt(ours)} | ${fmt(random)} | ${fmt(theirs)} | ${(ours / theirs).toFixed(2)} |`);
}

console.log('\nScaling: µs per step, best of 3, each shape run for about 100,000 steps (bench/scaling.ts: every task only awaits)');
for (const axis of ['tasks', 'awaits']) {
  const rows = scaling.filter((row) => row.axis === axis);
  const sizes = [...new Set(rows.map((row) => row[axis]))];
  console.log(`\n| strategy | ${sizes.map((n) => `${n.toLocaleString('en-US')} ${axis}`).join(' | ')} | largest / smallest |`);
  console.log(`|---|${sizes.map(() => '---|').join('')}---|`);
  for (const strategy of [...new Set(rows.map((row) => row.strategy))]) {
    const cells = sizes.map((n) => rows.find((row) => row.strategy === strategy && row[axis] === n).usPerStep);
    console.log(`| ${strategy} | ${cells.map((us) => us.toFixed(2)).join(' | ')} | ${(cells[cells.length - 1] / cells[0]).toFixed(1)}× |`);
  }
}

console.log(`\nMemory over ${memory.runs.toLocaleString('en-US')} runs of the correct counter, default strategy (heap after a full GC)`);
console.log(`  ${memory.samples.map((s) => `${(s.runs / 1000).toFixed(0)}k: ${s.heapMiB.toFixed(1)} MiB`).join(' · ')}`);
console.log(`  rss: ${memory.samples.map((s) => s.rssMiB.toFixed(0)).join(', ')} MiB`);
console.log(`\nStart-up: racecheck scenarios/counter.ts --runs 1, whole process: median ${startups[3].toFixed(0)} ms (min ${startups[0].toFixed(0)}, max ${startups[6].toFixed(0)})`);
if (startupCpu.length === 7) console.log(`  CPU (user + system, parent and child process): median ${startupCpu[3].toFixed(0)} ms (min ${startupCpu[0].toFixed(0)}, max ${startupCpu[6].toFixed(0)})`);

console.log('\nTargets');
const verdict = (ok, text) => console.log(`  ${ok ? 'met   ' : 'MISSED'} ${text}`);
for (const { program, ratio } of results) verdict(ratio >= 1, `${program}: runs/s at least fast-check's (${ratio.toFixed(2)}×)`);
verdict(stress.ratio <= 10, `a step at most 10× a native await (${stress.ratio.toFixed(1)}×)`);
const heaps = memory.samples.map((s) => s.heapMiB);
verdict(Math.max(...heaps.slice(2)) <= heaps[2] * 1.5, `memory flat after warm-up (${heaps[2].toFixed(1)} to ${Math.max(...heaps.slice(2)).toFixed(1)} MiB from 30k runs on)`);
verdict(startups[3] < 1000, `start-up under 1 s (${startups[3].toFixed(0)} ms)`);
for (const strategy of [...new Set(scaling.map((row) => row.strategy))]) {
  const at = (tasks) => scaling.find((row) => row.axis === 'tasks' && row.tasks === tasks && row.strategy === strategy).usPerStep;
  const ratio = at(10_000) / at(10);
  verdict(ratio <= 2, `${strategy}: a step at 10,000 tasks within 2× of one at 10 tasks (${ratio.toFixed(1)}×)`);
}
