// npm run stress [-- --seed <n> --rounds <n>]
//
// Runs racecheck on scenarios/ and the corpus of real npm race bugs (corpus/) once on an idle machine, then
// `--rounds` times (default 5) while one busy process per core keeps every core saturated, all with one fixed
// seed, and compares each scenario's verdict (status and violation kind) with the idle run's. A verdict that
// changes under load is a verdict that depends on how busy the machine is: the check prints every difference and
// exits 1 on any. The busy processes are this script's own children, killed by PID when it ends, fails or is
// interrupted (and each exits by itself if this script dies without killing it).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { CorpusError, ensureBuilt, ensureInstalled, formatTable, forwardSignals, includeArgs, loadBugs, runRacecheck } from '../corpus/lib.mjs';

function parseArgs(argv) {
  const settings = { seed: 20261201, rounds: 5 };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split('=');
    const key = { '--seed': 'seed', '--rounds': 'rounds' }[name];
    if (!key) throw new CorpusError(`stress: unknown option ${argv[i]} (known: --seed <n>, --rounds <n>)`);
    const value = Number(inline ?? argv[++i]);
    if (!Number.isSafeInteger(value) || value < (key === 'rounds' ? 1 : 0)) throw new CorpusError(`stress: ${name} needs a non-negative integer${key === 'rounds' ? ' from 1' : ''}`);
    settings[key] = value;
  }
  return settings;
}

/** One busy loop per core, each checking every few million turns that this process is still its parent. */
function createLoad() {
  const busy = [];
  const parent = process.pid;
  const loop = `for (let i = 0; ; i++) if ((i & 0xffffff) === 0 && process.ppid !== ${parent}) process.exit(0);`;
  return {
    start(count) {
      for (let i = 0; i < count; i++) busy.push(spawn(process.execPath, ['-e', loop], { stdio: 'ignore' }));
      return busy.map((child) => child.pid);
    },
    stop() {
      for (const child of busy.splice(0)) {
        if (child.exitCode === null && child.signalCode === null) {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch (error) {
            if (error.code !== 'ESRCH') throw error;
          }
        }
      }
    },
  };
}

const verdictOf = (scenario) => (scenario.status === 'fail' ? `fail:${scenario.violation.kind}` : scenario.status);

function verdicts(report) {
  return new Map(report.scenarios.map((scenario) => [scenario.id, verdictOf(scenario)]));
}

async function runOnce(args, label) {
  const { report, wallMs } = await runRacecheck(args);
  process.stderr.write(`stress: ${label}: ${report.scenarios.length} scenarios in ${(wallMs / 1000).toFixed(1)} s\n`);
  return verdicts(report);
}

function printComparison(idle, loaded) {
  const ids = [...new Set([...idle.keys(), ...loaded.flatMap((round) => [...round.keys()])])].sort();
  const header = ['scenario', 'idle', ...loaded.map((_, i) => `busy ${i + 1}`)];
  const rows = ids.map((id) => [id, idle.get(id) ?? 'missing', ...loaded.map((round) => (round.get(id) === idle.get(id) ? 'same' : `${round.get(id) ?? 'missing'} ≠`))]);
  console.log(formatTable(header, rows));
  const differences = [];
  for (const id of ids) {
    loaded.forEach((round, i) => {
      if (round.get(id) !== idle.get(id)) differences.push(`${id}: idle ${idle.get(id) ?? 'missing'}, busy round ${i + 1} ${round.get(id) ?? 'missing'}`);
    });
  }
  return { differences, scenarios: ids.length };
}

async function main() {
  const { seed, rounds } = parseArgs(process.argv.slice(2));
  const bugs = loadBugs();
  ensureBuilt();
  ensureInstalled();
  const args = ['scenarios', 'corpus/scenarios', ...includeArgs(bugs), '--seed', String(seed)];
  const cores = os.availableParallelism();
  process.stderr.write(`stress: racecheck ${args.join(' ')}\n`);

  // The baseline is only as idle as the machine: other users' load shows in the load average printed with it.
  const idle = await runOnce(args, `idle run (load average ${os.loadavg()[0].toFixed(2)})`);
  const load = createLoad();
  forwardSignals(() => load.stop());
  process.once('exit', () => load.stop());

  const loaded = [];
  try {
    const pids = load.start(cores);
    process.stderr.write(`stress: ${cores} busy processes (pids ${pids.join(', ')}) saturate ${cores} cores\n`);
    for (let round = 1; round <= rounds; round++) loaded.push(await runOnce(args, `busy round ${round}/${rounds} (load average ${os.loadavg()[0].toFixed(2)})`));
  } finally {
    load.stop();
  }

  console.log(`\nracecheck stress check · seed ${seed} · ${rounds} rounds with ${cores} busy processes on ${cores} cores · Node ${process.version}\n`);
  const { differences, scenarios } = printComparison(idle, loaded);
  if (differences.length > 0) {
    console.log(`\n${differences.length} verdict(s) differ from the idle run:`);
    for (const difference of differences) console.log(`  - ${difference}`);
    return 1;
  }
  console.log(`\nAll ${scenarios} verdicts identical to the idle run in all ${rounds} busy rounds.`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof CorpusError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
}
