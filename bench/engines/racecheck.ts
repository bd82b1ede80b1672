import { runScenario, type StrategyName } from 'racecheck';
import { SCENARIOS } from '../scenarios.js';
import * as verdictScenarios from '../verdicts.js';
import { scalingScenario } from '../scaling.js';
import { stress, TASKS, AWAITS } from '../stress.js';
import { bestOf, CAP, CORRECT_RUNS, type FindRow, option, SEEDS, SHARE_RUNS, type ThroughputReport, type VerdictRow } from './common.js';

const STRATEGIES: readonly StrategyName[] = ['random', 'pct', 'exhaustive', 'portfolio'];

export async function main(args: readonly string[]): Promise<void> {
  if (args.includes('--verdicts')) return verdicts();
  if (args.includes('--throughput')) return throughput(option(args, 'memory-runs', 0));
  if (args.includes('--scaling')) return scaling(option(args, 'steps', 200_000));
  const seeds = SEEDS.slice(0, option(args, 'seeds', SEEDS.length));
  const rows: FindRow[] = [];
  for (const { program, buggy, correct } of SCENARIOS) {
    for (const strategy of STRATEGIES) {
      const runsToFailure: (number | null)[] = [];
      for (const seed of seeds) {
        const result = await runScenario(buggy, { id: program.name, seed, strategy, runs: CAP, shrink: false });
        runsToFailure.push(result.status === 'fail' ? result.violation.run : null);
        if (strategy === 'exhaustive') break; // deterministic: the seed changes nothing
      }
      const share = await runScenario(buggy, { id: program.name, seed: 1, strategy, runs: SHARE_RUNS, shrink: false, keepGoing: true });
      const checked = await runScenario(correct, { id: program.name, seed: 1, strategy, runs: CORRECT_RUNS, shrink: false, keepGoing: true });
      rows.push({
        program: program.name,
        difficulty: program.difficulty,
        engine: 'racecheck',
        strategy,
        runsToFailure,
        cap: CAP,
        failing: share.failedRuns,
        shareRuns: share.runs,
        runsPerSecond: share.runs / (share.durationMs / 1000),
        falsePositives: checked.failedRuns + (checked.status === 'error' ? 1 : 0),
        correctRuns: checked.runs,
        complete: checked.search.complete,
      });
      process.stderr.write(`racecheck ${program.name} ${strategy} done\n`);
    }
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

/** Exhaustive search on four-task scenarios: how many schedules and seconds a verdict takes, per bound. */
async function verdicts(): Promise<void> {
  const rows: VerdictRow[] = [];
  for (const [name, scenario] of Object.entries(verdictScenarios)) {
    for (const maxPreemptions of [1, 2, 3]) {
      const result = await runScenario(scenario, { id: name, strategy: 'exhaustive', maxPreemptions, seed: 1, runs: 1_000_000, shrink: false });
      rows.push({
        scenario: name,
        maxPreemptions,
        status: result.status,
        schedules: result.search.schedules,
        complete: result.search.complete,
        seconds: result.durationMs / 1000,
      });
      process.stderr.write(`verdict ${name} ${maxPreemptions} done\n`);
    }
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

/** The same stress program, in this (uninstrumented) module: the native baseline. */
async function nativeSpin(): Promise<void> {
  for (let i = 0; i < AWAITS; i++) await null;
}

const REFERENCE = ['counter', 'rate-limiter', 'cache', 'aba'];

async function throughput(memoryRuns: number): Promise<void> {
  const runs = 200;
  const steps = runs * TASKS * (AWAITS + 1);
  // Alternate the two so that both meet the same moments of the machine; keep the best of each.
  let stressMs = Infinity;
  let nativeMs = Infinity;
  for (let round = 0; round < 7; round++) {
    stressMs = Math.min(stressMs, await bestOf(1, () => runScenario(stress, { id: 'stress', seed: 1, runs, strategy: 'random', shrink: false })));
    nativeMs = Math.min(
      nativeMs,
      await bestOf(1, async () => {
        for (let r = 0; r < runs; r++) await Promise.all(Array.from({ length: TASKS }, nativeSpin));
      }),
    );
  }
  const nsPerStep = (stressMs * 1e6) / steps;
  const nativeNsPerAwait = (nativeMs * 1e6) / (runs * TASKS * AWAITS);
  const report: ThroughputReport = {
    stress: { stepsPerSecond: steps / (stressMs / 1000), nsPerStep, nativeNsPerAwait, ratio: nsPerStep / nativeNsPerAwait },
    programs: [],
  };
  const programs = report.programs as { program: string; engine: string; strategy: string; runsPerSecond: number }[];
  for (const name of REFERENCE) {
    const { correct } = SCENARIOS.find((s) => s.program.name === name)!;
    for (const strategy of ['portfolio', 'random'] as const) {
      const n = 5000;
      const ms = await bestOf(3, () => runScenario(correct, { id: name, seed: 1, runs: n, strategy, shrink: false }));
      programs.push({ program: name, engine: 'racecheck', strategy, runsPerSecond: n / (ms / 1000) });
    }
  }
  if (memoryRuns > 0) {
    const { correct } = SCENARIOS.find((s) => s.program.name === 'counter')!;
    const samples: { runs: number; heapMiB: number; rssMiB: number }[] = [];
    const gc = (globalThis as { gc?: () => void }).gc;
    const every = memoryRuns / 10;
    // One search of all the runs (the default strategy keeps its frontier across them), sampled as it goes.
    await runScenario(correct, {
      id: 'counter',
      seed: 1,
      runs: memoryRuns,
      shrink: false,
      onRun: (completed) => {
        if (completed % every !== 0) return;
        gc?.();
        const usage = process.memoryUsage();
        samples.push({ runs: completed, heapMiB: usage.heapUsed / 2 ** 20, rssMiB: usage.rss / 2 ** 20 });
      },
    });
    Object.assign(report, { memory: { runs: memoryRuns, samples } });
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/**
 * µs per step as the number of tasks, and of awaits per task, grows: every strategy, each shape run for
 * about `steps` steps (at least one run), best of three.
 */
async function scaling(steps: number): Promise<void> {
  const shapes = [
    ...[10, 100, 1000, 10_000].map((tasks) => ({ axis: 'tasks', tasks, awaits: 10 })),
    ...[10, 100, 1000, 10_000].map((awaits) => ({ axis: 'awaits', tasks: 10, awaits })),
  ];
  const rows: { axis: string; tasks: number; awaits: number; strategy: string; usPerStep: number; runs: number }[] = [];
  for (const shape of shapes) {
    const scenario = scalingScenario(shape.tasks, shape.awaits);
    const perRun = shape.tasks * (shape.awaits + 1);
    const runs = Math.max(1, Math.round(steps / perRun));
    for (const strategy of STRATEGIES) {
      let best = Infinity;
      for (let round = 0; round < 3; round++) {
        const result = await runScenario(scenario, { id: `scaling-${shape.tasks}x${shape.awaits}`, seed: 1, runs, strategy, shrink: false, maxSteps: perRun + 1, timeoutMs: 600_000 });
        if (result.status !== 'pass') throw new Error(`scaling ${shape.tasks}x${shape.awaits} ${strategy}: ${result.status}`);
        best = Math.min(best, (result.durationMs * 1000) / result.steps);
      }
      rows.push({ ...shape, strategy, usPerStep: best, runs });
      process.stderr.write(`scaling ${shape.tasks} tasks × ${shape.awaits} awaits, ${strategy}: ${best.toFixed(2)} µs/step\n`);
    }
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}
