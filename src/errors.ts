/**
 * racecheck's known errors: a user's mistake (a bad flag, a scenario that does not load, a damaged replay
 * token) is a RacecheckError with a stable `code` and a message written for people, printed on one line.
 * Anything else that reaches the CLI is an internal error and is printed with its stack.
 */
export class RacecheckError extends Error {
  constructor(
    readonly code: `RACECHECK_${string}`,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function isKnownError(error: unknown): error is RacecheckError {
  return error instanceof RacecheckError || (error instanceof Error && String((error as { code?: unknown }).code).startsWith('RACECHECK_'));
}
