import { alea } from '../rng.js';
import type { Candidate, RunInfo, Strategy } from '../types.js';

/** Uniform choice among the candidates, from the run's seed. */
export function createRandomStrategy(): Strategy {
  let next: () => number = () => 0;
  return {
    name: 'random',
    startRun(info: RunInfo) {
      next = alea(String(info.seed));
    },
    choose(candidates: readonly Candidate[]) {
      // A lone candidate is no choice: drawing nothing keeps a schedule's seed stream stable across steps
      // that could not have gone another way.
      return candidates.length === 1 ? 0 : Math.floor(next() * candidates.length);
    },
  };
}
