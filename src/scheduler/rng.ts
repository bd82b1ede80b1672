import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import type seedrandom from 'seedrandom';

/**
 * The seeded generator every choice and a run's Math.random draw from. seedrandom is CommonJS, so it is
 * required: an import would have Node's ES loader parse its source for the names it exports, in every child.
 */
export const alea: typeof seedrandom.alea = (createRequire(import.meta.url)('seedrandom') as typeof seedrandom).alea;

export const MAX_SEED = 2 ** 32 - 1;

/**
 * A run's own seed. Run 0 uses the master seed itself, so `--seed <a run's seed> --runs 1` reruns exactly
 * that run; later runs mix the master seed with their index (splitmix32).
 */
export function deriveRunSeed(master: number, index: number): number {
  if (index === 0) return master >>> 0;
  let z = (master + Math.imul(index, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** A fresh master seed when the user gave none; it is reported so the run can be repeated. */
export function randomSeed(): number {
  return randomInt(0, MAX_SEED);
}

export function isValidSeed(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_SEED;
}
