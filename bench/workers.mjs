// npm run bench:workers (also the end of npm run bench:throughput): wall time of `racecheck scenarios` with
// one worker and with one per core, rounds alternating between the two so that a busy moment of the
// machine hits both; medians, and their ratio.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from './median.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.env.NODE_BINARY ?? process.execPath;
const rounds = Number(process.env.ROUNDS ?? 5);
const cores = os.availableParallelism();
const args = ['bin/racecheck.js', 'scenarios', '--seed', '1', '--strategy', 'random', '--json'];

const time = (workers) => {
  const started = performance.now();
  const result = spawnSync(node, [...args, '--workers', String(workers)], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
  const elapsed = (performance.now() - started) / 1000;
  const report = JSON.parse(result.stdout.toString());
  return { elapsed, files: new Set(report.scenarios.map((s) => s.file)).size, scenarios: report.scenarios.length };
};

const one = [];
const many = [];
let shape;
for (let round = 0; round < rounds; round++) {
  process.stderr.write(`round ${round + 1}/${rounds}…\n`);
  const single = time(1);
  shape = single;
  one.push(single.elapsed);
  many.push(time(cores).elapsed);
}
const ratio = median(one) / median(many);
console.log(`racecheck scenarios (${shape.files} files, ${shape.scenarios} scenarios) · ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${cores} · Node ${process.version} · ${rounds} rounds`);
console.log('| workers | wall s (median) | min | max |');
console.log('|---|---|---|---|');
for (const [workers, values] of [[1, one], [cores, many]]) {
  console.log(`| ${workers} | ${median(values).toFixed(2)} | ${Math.min(...values).toFixed(2)} | ${Math.max(...values).toFixed(2)} |`);
}
console.log(`speed-up at ${cores} workers: ${ratio.toFixed(2)}× (target ≥ 1.2× at 2 workers)`);
