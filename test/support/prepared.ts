import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';

/** What test/support/global-setup.ts prepares once per `vitest run`, step by step. */
export interface Prepared {
  /** racecheck and @racecheck/sync packed from this checkout's build, with the files each tarball holds. */
  readonly packs: { readonly racecheck: string; readonly sync: string; readonly racecheckFiles: string[]; readonly syncFiles: string[] };
  /** A project that installed @racecheck/sync, then racecheck and vitest as development dependencies, from those tarballs. */
  readonly project: { readonly dir: string };
  /**
   * README.md's run of the whole scenario library (LIBRARY_COMMAND, in this checkout), with a JSON report
   * written to a file beside the pretty one on stdout. The README's test reads its output, the library's
   * test its JSON: the two would otherwise each run every scenario of scenarios/ through the CLI.
   */
  readonly library: { readonly code: number; readonly output: string; readonly json: string };
}

/** The command README.md shows for the lock advice on the whole library; run once, by global-setup.ts. */
export const LIBRARY_COMMAND = 'npx racecheck scenarios --advise --seed 3';

export type PreparedStep<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

declare module 'vitest' {
  export interface ProvidedContext {
    preparedBase: string;
  }
}

export const stepFile = (base: string, step: keyof Prepared): string => path.join(base, `${step}.json`);

/** Packing, installing and running the library take seconds on an idle machine, and much longer on a loaded one. */
const WAIT_MS = 240_000;
const POLL_MS = 50;

/** Waits for a step of the shared preparation; it fails with the reason when the step failed. */
export async function prepared<S extends keyof Prepared>(step: S): Promise<Prepared[S]> {
  const file = stepFile(inject('preparedBase'), step);
  for (const deadline = Date.now() + WAIT_MS; !existsSync(file); await sleep(POLL_MS)) {
    if (Date.now() > deadline) throw new Error(`the shared step "${step}" was not ready after ${WAIT_MS / 1000} s (test/support/global-setup.ts)`);
  }
  const outcome = JSON.parse(readFileSync(file, 'utf8')) as PreparedStep<Prepared[S]>;
  if (!outcome.ok) throw new Error(`the shared step "${step}" failed: ${outcome.message}`);
  return outcome.value;
}

/**
 * Where test/support/run-suite.mjs keeps NODE_EXTRA_CA_CERTS: it starts the tests without it. Node 20 reads
 * that file of certificates at the start of every process, TLS or not (40 ms of CPU here, where the rest of
 * a start costs 20), and of the suite's hundreds of Node processes (a child per scenario file, vitest's
 * workers, the CLI) only npm, which may ask the registry, makes a TLS connection.
 */
export const SUITE_CA_VARIABLE = 'SUITE_NODE_EXTRA_CA_CERTS';

/** npmEnv() for npm itself: with NODE_EXTRA_CA_CERTS back, if the suite's start had one. */
export function registryEnv(): NodeJS.ProcessEnv {
  const kept = process.env[SUITE_CA_VARIABLE];
  return npmEnv(kept === undefined ? {} : { NODE_EXTRA_CA_CERTS: kept });
}

/**
 * The environment of an npm started from a test: the outer `npm test`'s view of its own package removed
 * (its prefix, package and lifecycle variables), no audit or funding requests, and the npm cache used
 * without asking the registry when it has the package.
 */
export function npmEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_prefer_offline: 'true',
    ...extra,
  };
  for (const key of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|command$|config_local_prefix$|config_workspaces?$)/.test(key)) delete env[key];
    if (key.startsWith('VITEST') || key === 'TEST' || key === 'NODE_ENV' || key === SUITE_CA_VARIABLE) delete env[key];
  }
  return env;
}
