/** The throughput stress program: 10 tasks, 100 awaits each, nothing else. */
export const TASKS = 10;
export const AWAITS = 100;

export async function spin(): Promise<void> {
  for (let i = 0; i < AWAITS; i++) await null;
}

export const stress = {
  tasks: Array.from({ length: TASKS }, () => spin),
};
