import type { RacecheckConfig } from './option-table.js';

export type { RacecheckConfig } from './option-table.js';

/**
 * Identity helper that types a config file's default export; a plain object works the same. In a module
 * of its own so that `import { defineScenario } from 'racecheck'` in a scenario loads nothing of the CLI.
 */
export function defineConfig(config: RacecheckConfig): RacecheckConfig {
  return config;
}
