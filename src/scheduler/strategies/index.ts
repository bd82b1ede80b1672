import type { Strategy } from '../types.js';
import { createExhaustiveStrategy } from './exhaustive.js';
import { createPctStrategy, DEFAULT_PCT_DEPTH } from './pct.js';
import { createPortfolioStrategy } from './portfolio.js';
import { createRandomStrategy } from './random.js';

export type StrategyName = 'portfolio' | 'random' | 'pct' | 'exhaustive';

export interface StrategyOptions {
  /** PCT's bug depth. */
  readonly depth?: number | undefined;
  /** Exhaustive search's preemption bound. */
  readonly maxPreemptions?: number | undefined;
}

const registry: Record<StrategyName, (options: StrategyOptions) => Strategy> = {
  portfolio: () => createPortfolioStrategy(),
  random: () => createRandomStrategy(),
  pct: (options) => createPctStrategy({ depth: options.depth ?? DEFAULT_PCT_DEPTH }),
  exhaustive: (options) => createExhaustiveStrategy({ maxPreemptions: options.maxPreemptions }),
};

export const DEFAULT_STRATEGY: StrategyName = 'portfolio';
export const STRATEGY_NAMES = Object.keys(registry) as StrategyName[];

export function isStrategyName(name: string): name is StrategyName {
  return Object.hasOwn(registry, name);
}

export function createStrategy(name: StrategyName, options: StrategyOptions = {}): Strategy {
  return registry[name](options);
}
