import { installInstrumentation } from '../instrument/register.js';
import { installRuntime } from '../scheduler/runtime.js';
import { setVitestApi, type VitestApi, type WorkerSettings } from './settings.js';

/**
 * Readies a test worker for race tests: racecheck's runtime, which the rewritten awaits call, and the
 * fakes of timers, Date and Math.random, which behave natively outside a race test's runs (vitest took
 * its own timers, for test timeouts and its RPC, before any setup file ran). Packages that `include`
 * names are loaded by Node, not by Vite, so for them the CLI's module hooks are installed, with its rules.
 */
export function connectWorker(api: VitestApi, settings: WorkerSettings | undefined): void {
  installRuntime();
  if (settings && settings.include.length > 0) {
    installInstrumentation({ cwd: settings.root, include: settings.include, exclude: settings.exclude });
  }
  setVitestApi(api);
}
