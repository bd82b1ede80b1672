/** The bench programs as racecheck scenarios: `pause` is a plain resolved promise, and every await is a scheduling point. */
import { defineScenario, type Scenario, type TaskResults } from 'racecheck';
import { PROGRAMS, type Program } from './programs.js';

const pause = () => Promise.resolve();

function settled(results: TaskResults): PromiseSettledResult<unknown>[] {
  return Object.values(results).map((r) => (r.status === 'fulfilled' ? { status: 'fulfilled', value: r.value } : { status: 'rejected', reason: r.reason }));
}

export function toScenario(program: Program<any>, name: string): Scenario {
  return defineScenario({
    name,
    setup: () => program.setup(),
    tasks: Array.from({ length: program.tasks }, (_, index) => (state: unknown) => program.task(index, state, pause)),
    allowRejections: true,
    check: (state, results) => program.check(state, settled(results)),
  });
}

export const SCENARIOS = PROGRAMS.map((program) => ({
  program,
  buggy: toScenario(program.buggy, `${program.name} (buggy)`),
  correct: toScenario(program.correct, `${program.name} (correct)`),
}));
