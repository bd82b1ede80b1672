/**
 * `racecheck/sync` is `@racecheck/sync`: the same classes, so a lock made through either import is the
 * same kind of object, and racecheck's runtime sees both (they reach it through a global, not an import).
 * Production code should import `@racecheck/sync`, which has no dependencies.
 */
export * from '@racecheck/sync';
