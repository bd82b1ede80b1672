/**
 * The lost update: each task reads the counter, awaits, and writes back what it read plus one. When two
 * tasks read before either writes, one increment is lost. (Seed article 001, "What happened?")
 */
import { defineScenario } from 'racecheck';

export default defineScenario({
  name: 'counter: read-await-write loses updates',
  setup: () => ({ value: 0 }),
  tasks: Array.from({ length: 10 }, () => async (s: { value: number }) => {
    const cur = s.value;
    // Any await is a scheduling point: another task may run here and write s.value.
    await Promise.resolve();
    s.value = cur + 1;
  }),
  check: (s) => s.value === 10 || `expected 10, got ${s.value}`,
});
