import type { Candidate, CandidateIndex, RunInfo, Strategy } from '../types.js';
import { createExhaustiveStrategy } from './exhaustive.js';
import { createPctStrategy } from './pct.js';
import { createRandomStrategy } from './random.js';

/**
 * The default strategy: runs take turns between uniform random choice (finds shallow races at once), PCT
 * with depths 2 and 3 (finds races that need a task held back over many steps), and a depth-first search
 * in order of increasing delays from round robin (finds the races that need one or two switches at exactly
 * the right place, and, when it runs out of schedules, proves the scenario: every schedule passed).
 * The mix was chosen by measurement: see bench/ and the README's table.
 */
export function createPortfolioStrategy(): Strategy {
  // Its frontier is capped lower than a stand-alone exhaustive search's: the portfolio runs for long and
  // its other members need no memory at all.
  const exhaustive = createExhaustiveStrategy({ order: 'delays', maxPending: 20_000 });
  const random = createRandomStrategy();
  const pct2 = createPctStrategy({ depth: 2 });
  const pct3 = createPctStrategy({ depth: 3 });
  // Half the runs go to the search: on the bench's deep programs it needs the fewest runs (3 to 17), PCT
  // next (10 to 40), uniform random far more (86 to 457); random still takes the first turn, which finds
  // shallow races at once.
  const members: Strategy[] = [random, exhaustive, pct2, exhaustive, pct3, exhaustive];
  const names = ['random', 'delay-bounded', 'pct', 'delay-bounded', 'pct', 'delay-bounded'];
  let current: Strategy = members[0]!;
  let turn = 0;

  return {
    name: 'portfolio',
    runName() {
      return names[(turn - 1) % members.length] ?? current.name;
    },
    startRun(info: RunInfo) {
      // Once the search has covered every schedule there is nothing left for the others to find.
      do {
        current = members[turn % members.length]!;
        turn++;
      } while (current === exhaustive && !(exhaustive.hasMore?.() ?? true));
      current.startRun(info);
    },
    choose(candidates: readonly Candidate[], step: number, index?: CandidateIndex) {
      return current.choose(candidates, step, index);
    },
    endRun(steps: number, failed: boolean) {
      current.endRun?.(steps, failed);
    },
    // Once the search has run every schedule there is nothing left to find; if it ran out without covering
    // everything (its frontier was capped), the others go on.
    hasMore() {
      return !exhaustive.covered?.();
    },
    covered() {
      return exhaustive.covered?.() ?? false;
    },
    diverged() {
      return current === exhaustive ? exhaustive.diverged?.() : undefined;
    },
  };
}
