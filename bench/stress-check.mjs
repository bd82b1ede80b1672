// npm run stress [-- --seed <n> --rounds <n>]
//
// Runs racecheck on scenarios/ and the corpus of real npm race bugs (corpus/) once on an idle machine, then
// `--rounds` times (default 5) while two busy processes per core keep every core saturated, all with one fixed
// seed, and compares each scenario's verdict (status and violation kind) with the idle run's. A verdict that
// changes under load is a verdict that depends on how busy the machine is: the check prints every difference and
// exits 1 on any. Each round also runs the correct programs of test/fixtures/trust (real peers, streams, worker
// threads, the thread pool) with three seeds at the default blocking limit, which the tests pin far higher:
// each must pass, idle and busy, or the check exits 1 (a red that is the same idle and busy is still false).
// The busy processes are this script's own children, killed by PID when it ends, fails or is interrupted (and
// each exits by itself if this script dies without killing it). Each is in a session of its own: racecheck's
// child is (it is spawned detached), and Linux with autogroup shares the CPU between sessions first, so busy
// loops all in one session would together take no more than that child's own share.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';
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

const BUSY_PER_CORE = 2;

/** Busy loops, each in its own session and checking every few million turns that this process is still its parent. */
function createLoad() {
  const busy = [];
  const parent = process.pid;
  const loop = `for (let i = 0; ; i++) if ((i & 0xffffff) === 0 && process.ppid !== ${parent}) process.exit(0);`;
  return {
    start(count) {
      for (let i = 0; i < count; i++) busy.push(spawn(process.execPath, ['-e', loop], { stdio: 'ignore', detached: true }));
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

/** Correct programs of test/fixtures/trust, each with a filter (or the whole file): every run must pass. */
const TRUST_DIR = 'test/fixtures/trust/';
const TRUST = [
  ['virtual-keep-alive.ts'], ['virtual-timeouts.ts', 'answerInsideTimeout'], ['virtual-timeouts.ts', 'answerInsideAbortTimeout'],
  ['virtual-timeouts.ts', 'silentAbortedByTimeout'], ['virtual-timeouts.ts', 'unrefdTimeoutBeforeAnswer'], ['unref-close.ts', 'closeUnrefdSocket'],
  ['unref-close.ts', 'closeInTeardown'], ['zlib-streams.ts', 'gzipPipeline'], ['zlib-streams.ts', 'largeGzipPipeline'],
  ['zlib-streams.ts', 'compressionStream'], ['module-timer.ts', 'logAndWait'], ['worker-threads.ts', 'workerExit'],
  ['worker-threads.ts', 'terminateInTask'], ['worker-threads.ts', 'unrefdWorkerWrites'], ['clock-zero.ts'], ['child-close.ts'], ['request-close.ts'], ['two-streams.ts'],
  ['http-handler.ts', 'handlerBehindLock'], ['slow-peers.ts', 'slowServer'], ['slow-peers.ts', 'pooledSocket'],
  ['long-requests.ts'], ['real-io.ts', 'separateFiles'], ['phase-ticks.ts'], ['many-tasks.ts'], ['server-push.ts'],
  ['hand-made-once.ts'], ['contended.ts'], ['io-callbacks.ts'],
];
const TRUST_SEEDS = [1, 2, 3];

/** The fixtures' peer in a process of its own (its ports go to the fixtures in RACECHECK_SLOW_PEER); ends with stdin. */
async function startSlowPeer() {
  const peer = spawn(process.execPath, [`${TRUST_DIR}slow-peer-server.mjs`], { stdio: ['pipe', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: peer.stdout })) {
    process.env.RACECHECK_SLOW_PEER = line;
    return peer;
  }
  throw new CorpusError(`stress: the slow peer (${TRUST_DIR}slow-peer-server.mjs) printed no ports`);
}

async function trustVerdicts() {
  const found = new Map();
  for (const [file, filter] of TRUST) {
    for (const seed of TRUST_SEEDS) {
      const { report } = await runRacecheck([`${TRUST_DIR}${file}`, ...(filter ? ['--filter', filter] : []), '--seed', String(seed), '--runs', '10']);
      for (const scenario of report.scenarios) found.set(`${scenario.id} (seed ${seed})`, verdictOf(scenario));
    }
  }
  return found;
}

const verdictOf = (scenario) => (scenario.status === 'fail' ? `fail:${scenario.violation.kind}` : scenario.status);

function verdicts(report) {
  return new Map(report.scenarios.map((scenario) => [scenario.id, verdictOf(scenario)]));
}

async function runOnce(args, label) {
  const { report, wallMs } = await runRacecheck(args);
  process.stderr.write(`stress: ${label}: ${report.scenarios.length} scenarios in ${(wallMs / 1000).toFixed(1)} s\n`);
  const trust = await trustVerdicts();
  process.stderr.write(`stress: ${label}: ${trust.size} runs of correct trust fixtures\n`);
  return new Map([...verdicts(report), ...trust]);
}

function printComparison(idle, loaded) {
  const ids = [...new Set([...idle.keys(), ...loaded.flatMap((round) => [...round.keys()])])].sort();
  const header = ['scenario', 'idle', ...loaded.map((_, i) => `busy ${i + 1}`)];
  const rows = ids.map((id) => [id, idle.get(id) ?? 'missing', ...loaded.map((round) => (round.get(id) === idle.get(id) ? 'same' : `${round.get(id) ?? 'missing'} ≠`))]);
  console.log(formatTable(header, rows));
  const differences = [];
  for (const id of ids) {
    if (id.startsWith(TRUST_DIR) && idle.get(id) !== 'pass') differences.push(`${id}: a correct program, idle ${idle.get(id) ?? 'missing'}`);
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

  const peer = await startSlowPeer();
  process.once('exit', () => peer.kill());
  // The baseline is only as idle as the machine: other users' load shows in the load average printed with it.
  const idle = await runOnce(args, `idle run (load average ${os.loadavg()[0].toFixed(2)})`);
  const load = createLoad();
  forwardSignals(() => load.stop());
  process.once('exit', () => load.stop());

  const loaded = [];
  try {
    const pids = load.start(BUSY_PER_CORE * cores);
    process.stderr.write(`stress: ${pids.length} busy processes (pids ${pids.join(', ')}), each in its own session, saturate ${cores} cores\n`);
    for (let round = 1; round <= rounds; round++) loaded.push(await runOnce(args, `busy round ${round}/${rounds} (load average ${os.loadavg()[0].toFixed(2)})`));
  } finally {
    load.stop();
    peer.kill();
  }

  console.log(`\nracecheck stress check · seed ${seed} · ${rounds} rounds with ${BUSY_PER_CORE * cores} busy processes on ${cores} cores · Node ${process.version}\n`);
  const { differences, scenarios } = printComparison(idle, loaded);
  if (differences.length > 0) {
    console.log(`\n${differences.length} verdict(s) differ from the idle run, or a correct program failed:`);
    for (const difference of differences) console.log(`  - ${difference}`);
    return 1;
  }
  console.log(`\nAll ${scenarios} verdicts identical to the idle run in all ${rounds} busy rounds, and every correct trust fixture passed.`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof CorpusError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
}
