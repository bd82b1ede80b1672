/** Scaling programs: `tasks` tasks, each awaiting `awaits` times and nothing else (the awaits here are instrumented). */
export function scalingScenario(tasks: number, awaits: number) {
  const spin = async (): Promise<void> => {
    for (let i = 0; i < awaits; i++) await null;
  };
  return { tasks: Array.from({ length: tasks }, () => spin) };
}
