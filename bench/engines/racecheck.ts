import { runScenario, type StrategyName } from 'racecheck';
import { SCENARIOS } from '../scenarios.js';
import * as verdictScenarios from '../verdicts.js';
import { CAP, CORRECT_RUNS, type FindRow, option, SEEDS, SHARE_RUNS, type VerdictRow } from './common.js';

const STRATEGIES: readonly StrategyName[] = ['random', 'pct', 'exhaustive', 'portfolio'];

export async function main(args: readonly string[]): Promise<void> {
  if (args.includes('--verdicts')) return verdicts();
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
