import fc from 'fast-check';
import { PROGRAMS, type Program } from '../programs.js';
import { bestOf, CAP, CORRECT_RUNS, type FindRow, option, SEEDS, SHARE_RUNS } from './common.js';

/**
 * One run of a program under fast-check's scheduler: tasks start through `s.schedule` (so their start order
 * is random too), every `pause` is a scheduled promise, and `waitIdle` lets the scheduler release them one
 * at a time in the order it picks, including the ones scheduled along the way.
 */
export async function runOnce(program: Program<any>, scheduler: fc.Scheduler): Promise<true | string> {
  const state = program.setup();
  const pause = () => scheduler.schedule(Promise.resolve());
  let unsettled = program.tasks;
  const tasks = Array.from({ length: program.tasks }, (_, index) =>
    scheduler
      .schedule(Promise.resolve())
      .then(() => program.task(index, state, pause))
      .finally(() => unsettled--),
  );
  await scheduler.waitIdle();
  // A task still pending once the scheduler is idle waits on something nothing will resolve.
  await new Promise((resolve) => setImmediate(resolve));
  if (unsettled > 0) return `deadlock: ${unsettled} task(s) never finished`;
  return program.check(state, await Promise.allSettled(tasks));
}

/** `count` schedulers from fast-check's generator for `seed`, as fc.assert would draw them. */
function schedulers(seed: number, count: number): fc.Scheduler[] {
  return fc.sample(fc.scheduler(), { seed, numRuns: count });
}

export async function main(args: readonly string[]): Promise<void> {
  if (args.includes('--throughput')) return throughput();
  const seeds = SEEDS.slice(0, option(args, 'seeds', SEEDS.length));
  const rows: FindRow[] = [];
  for (const program of PROGRAMS) {
    const runsToFailure: (number | null)[] = [];
    for (const seed of seeds) {
      let found: number | null = null;
      const batch = schedulers(seed, CAP);
      for (let i = 0; i < batch.length && found === null; i++) if ((await runOnce(program.buggy, batch[i]!)) !== true) found = i + 1;
      runsToFailure.push(found);
    }
    let failing = 0;
    const started = performance.now();
    for (const scheduler of schedulers(1, SHARE_RUNS)) if ((await runOnce(program.buggy, scheduler)) !== true) failing++;
    const seconds = (performance.now() - started) / 1000;
    let falsePositives = 0;
    for (const scheduler of schedulers(1, CORRECT_RUNS)) if ((await runOnce(program.correct, scheduler)) !== true) falsePositives++;
    rows.push({
      program: program.name,
      difficulty: program.difficulty,
      engine: 'fast-check',
      strategy: 'scheduler',
      runsToFailure,
      cap: CAP,
      failing,
      shareRuns: SHARE_RUNS,
      runsPerSecond: SHARE_RUNS / seconds,
      falsePositives,
      correctRuns: CORRECT_RUNS,
    });
    process.stderr.write(`fast-check ${program.name} done\n`);
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

/** Runs per second on the reference programs' correct variants, as fc.assert would run them (no shrinking needed: they pass). */
async function throughput(): Promise<void> {
  const rows: { program: string; engine: string; strategy: string; runsPerSecond: number }[] = [];
  for (const name of ['counter', 'rate-limiter', 'cache', 'aba']) {
    const program = PROGRAMS.find((p) => p.name === name)!;
    const n = 5000;
    const ms = await bestOf(3, async () => {
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), async (s) => {
          const verdict = await runOnce(program.correct, s);
          if (verdict !== true) throw new Error(verdict);
        }),
        { numRuns: n, seed: 1 },
      );
    });
    rows.push({ program: name, engine: 'fast-check', strategy: 'scheduler', runsPerSecond: n / (ms / 1000) });
  }
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}
