import type { Strategy } from '../types.js';
import { createExhaustiveStrategy } from './exhaustive.js';
import { createPctStrategy, DEFAULT_PCT_DEPTH } from './pct.js';
import { createPortfolioStrategy } from './portfolio.js';
import { createRandomStrategy } from './random.js';

/** The options strategies take; each strategy declares which of them it reads. */
export interface StrategyOptions {
  /** PCT's bug depth. */
  readonly depth?: number | undefined;
  /** Exhaustive search's preemption bound. */
  readonly maxPreemptions?: number | undefined;
}

export type StrategyOptionName = keyof StrategyOptions;

/** A strategy as the registry knows it: how to make one, and what the rest of racecheck needs to know of it. */
export interface StrategyDescriptor {
  readonly name: string;
  readonly description: string;
  /** The options it reads; the others do not apply to it. */
  readonly options: readonly StrategyOptionName[];
  /** Runs when neither the user nor the scenario said how many: a search that can finish may need many. */
  readonly defaultRuns: number;
  create(options: StrategyOptions): Strategy;
}

const RUNS = 100;

const registry = {
  portfolio: {
    name: 'portfolio',
    description: 'the default: random, PCT and a delay-bounded search in turns',
    options: [],
    defaultRuns: RUNS,
    create: () => createPortfolioStrategy(),
  },
  random: {
    name: 'random',
    description: 'uniform choice among the ready tasks',
    options: [],
    defaultRuns: RUNS,
    create: () => createRandomStrategy(),
  },
  pct: {
    name: 'pct',
    description: `probabilistic concurrency testing with a bug depth (--depth, default ${DEFAULT_PCT_DEPTH})`,
    options: ['depth'],
    defaultRuns: RUNS,
    create: (options) => createPctStrategy({ depth: options.depth ?? DEFAULT_PCT_DEPTH }),
  },
  exhaustive: {
    name: 'exhaustive',
    description: 'every schedule, fewest preemptions first (--max-preemptions bounds it)',
    options: ['maxPreemptions'],
    // Without --runs, a search may run this many schedules before giving up on a verdict.
    defaultRuns: 100_000,
    create: (options) => createExhaustiveStrategy({ maxPreemptions: options.maxPreemptions }),
  },
} as const satisfies Record<string, StrategyDescriptor>;

export type StrategyName = keyof typeof registry;

export const DEFAULT_STRATEGY: StrategyName = 'portfolio';
export const STRATEGY_NAMES = Object.keys(registry) as StrategyName[];

export function isStrategyName(name: string): name is StrategyName {
  return Object.hasOwn(registry, name);
}

export function strategyDescriptor(name: StrategyName): StrategyDescriptor {
  return registry[name];
}

export function createStrategy(name: StrategyName, options: StrategyOptions = {}): Strategy {
  return registry[name].create(options);
}
