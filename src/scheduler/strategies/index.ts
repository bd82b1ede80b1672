import type { Strategy } from '../types.js';
import { createRandomStrategy } from './random.js';

export type StrategyName = 'random';

const registry: Record<StrategyName, () => Strategy> = {
  random: createRandomStrategy,
};

export const STRATEGY_NAMES = Object.keys(registry) as StrategyName[];

export function isStrategyName(name: string): name is StrategyName {
  return Object.hasOwn(registry, name);
}

export function createStrategy(name: StrategyName): Strategy {
  return registry[name]();
}
