import type { afterAll, expect, onTestFinished, test, vi } from 'vitest';

/** What the plugin hands each test worker (through vitest's `provide`). */
export interface WorkerSettings {
  /** The project root: include and exclude globs are relative to it. */
  readonly root: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /**
   * Where each worker appends the URLs of the modules its module hooks instrumented (included packages are
   * loaded by Node in the workers, not through the plugin), for the warning about include entries that
   * instrumented nothing. Absent without include.
   */
  readonly sitesDir?: string;
}

export const PROVIDE_KEY = 'racecheck';

/**
 * The parts of vitest a race test uses, as the test file sees them. racecheck runs natively in the worker
 * while its setup file goes through Vite like the test files; the setup file hands these over, so they
 * are always the vitest that runs the tests, even when racecheck is linked and would resolve another copy.
 */
export interface VitestApi {
  readonly test: typeof test;
  readonly expect: typeof expect;
  readonly onTestFinished: typeof onTestFinished;
  readonly afterAll: typeof afterAll;
  /** For vi.isFakeTimers(): vitest's fake timers and racecheck's virtual clock cannot both drive a run. */
  readonly vi?: Pick<typeof vi, 'isFakeTimers'>;
}

const API = Symbol.for('racecheck.vitest-api');

export function setVitestApi(api: VitestApi): void {
  (globalThis as Record<symbol, unknown>)[API] = api;
}

/** vitest's API, or undefined when the plugin's setup file did not run in this worker. */
export function vitestApi(): VitestApi | undefined {
  return (globalThis as Record<symbol, unknown>)[API] as VitestApi | undefined;
}
