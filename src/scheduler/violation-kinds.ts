/**
 * Every kind of violation, in one table: what the rest of racecheck needs to know of each. A new kind is a
 * row here (the JSON schema's enum is checked against this table by a test).
 */
interface ViolationKindInfo {
  /**
   * `virtual`: decided by the program under a schedule, so a replay gives the same verdict. `wall`:
   * decided by real time, which a busy machine can fake, so it is confirmed by replaying before it is
   * reported (SPEC §2).
   */
  readonly clock: 'virtual' | 'wall';
  /** Whether a simpler schedule can show it too: a hang or a blocked loop is about one step, not the interleaving. */
  readonly shrinkable: boolean;
  /** Every violation makes the run fail with exit code 1. */
  readonly exit: 'violation';
  readonly description: string;
}

export const VIOLATION_KINDS = {
  check: { clock: 'virtual', shrinkable: true, exit: 'violation', description: 'the check failed once every task settled' },
  invariant: { clock: 'virtual', shrinkable: true, exit: 'violation', description: 'the invariant failed after a step' },
  exception: { clock: 'virtual', shrinkable: true, exit: 'violation', description: 'a task rejected, or a callback threw' },
  'unhandled-rejection': { clock: 'virtual', shrinkable: true, exit: 'violation', description: 'a promise rejected and nothing handled it' },
  deadlock: { clock: 'virtual', shrinkable: true, exit: 'violation', description: 'unfinished tasks, none ready, nothing pending' },
  'max-steps': { clock: 'virtual', shrinkable: true, exit: 'violation', description: 'more steps than maxSteps in one run' },
  timeout: { clock: 'wall', shrinkable: false, exit: 'violation', description: 'one run took longer than timeoutMs of real time' },
  'blocked-loop': { clock: 'wall', shrinkable: false, exit: 'violation', description: 'one step held the event loop longer than maxBlockingMs' },
} as const satisfies Record<string, ViolationKindInfo>;

export type ViolationKind = keyof typeof VIOLATION_KINDS;

export const VIOLATION_KIND_NAMES = Object.keys(VIOLATION_KINDS) as ViolationKind[];

export function violationKind(kind: ViolationKind): ViolationKindInfo {
  return VIOLATION_KINDS[kind];
}
