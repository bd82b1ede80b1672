/** Exit codes, as the SPEC fixes them. */
export const EXIT = { ok: 0, violation: 1, usage: 2, internal: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad input: a path, an option, a scenario module. Reported on one line; exit code 2. */
export class UsageError extends Error {
  readonly code = 'RACECHECK_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
