import { racecheck } from 'racecheck/vitest';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Every await in the test files and in src/ becomes a scheduling point of racecheck's scheduler.
  plugins: [racecheck()],
});
