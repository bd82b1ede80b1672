import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { installInstrumentation } from '../instrument/register.js';
import { installRuntime, onSitesRegistered } from '../scheduler/runtime.js';
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
    if (settings.sitesDir) reportInstrumentedModules(settings.sitesDir);
  }
  setVitestApi(api);
}

/** Appends each module URL that registered scheduling points, once, to this worker's file in `dir`. */
function reportInstrumentedModules(dir: string): void {
  const file = path.join(dir, `${process.pid}-${threadId}.txt`);
  const seen = new Set<string>();
  onSitesRegistered((added) => {
    const fresh = [...new Set(added.map((site) => site.url))].filter((url) => !seen.has(url));
    if (fresh.length === 0) return;
    for (const url of fresh) seen.add(url);
    try {
      appendFileSync(file, `${fresh.join('\n')}\n`);
    } catch {
      // The plugin's directory is gone (the run is ending): the warning only loses what this worker saw.
    }
  });
}
