import type { Candidate, RunInfo, Strategy } from '../types.js';
import { createExhaustiveStrategy } from './exhaustive.js';
import { createPctStrategy } from './pct.js';
import { createRandomStrategy } from './random.js';

/**
 * The default strategy: runs take turns between uniform random choice (finds shallow races at once), PCT
 * with depths 2 and 3 (finds races that need a task held back over many steps), and a depth-first search in
 * order of increasing preemptions (finds the races that need one or two preemptions at exactly the right
 * place, and, when it runs out of schedules, proves the scenario: every schedule passed).
 * The mix was chosen by measurement: see bench/ and the README's table.
 */
export function createPortfolioStrategy(): Strategy {
  const exhaustive = createExhaustiveStrategy();
  const members: Strategy[] = [createRandomStrategy(), createPctStrategy({ depth: 2 }), exhaustive, createPctStrategy({ depth: 3 })];
  const names = ['random', 'pct', 'exhaustive', 'pct'];
  let current: Strategy = members[0]!;
  let turn = 0;

  return {
    name: 'portfolio',
    runName() {
      return names[members.indexOf(current)] ?? current.name;
    },
    startRun(info: RunInfo) {
      // Once the search has covered every schedule there is nothing left for the others to find.
      do {
        current = members[turn % members.length]!;
        turn++;
      } while (current === exhaustive && !(exhaustive.hasMore?.() ?? true));
      current.startRun(info);
    },
    choose(candidates: readonly Candidate[], step: number) {
      return current.choose(candidates, step);
    },
    endRun(steps: number, failed: boolean) {
      current.endRun?.(steps, failed);
    },
    hasMore() {
      return exhaustive.hasMore?.() ?? true;
    },
  };
}
