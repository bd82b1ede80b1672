/**
 * A child process that loads one scenario file and runs its scenarios (the worker pool starts a fresh one
 * per file, so every file starts from Node's own globals). Scenarios run on this main thread; a watchdog
 * thread (watchdog.ts) reads the parent's messages and reports a run stuck in a synchronous loop. Whatever
 * a scenario does to this process is told to the parent: exit hooks and a wrapped process.kill report an
 * exit or a signal the scenario caused, with where its run was. Messages go out with blocking writes on
 * fd 3; stdout and stderr carry only what the scenarios print.
 */
import { mkdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import { Worker } from 'node:worker_threads';
import { unusedIncludes } from '../instrument/include-report.js';
import type { Site, SiteRef } from '../site.js';
import type { LoadedScenario } from '../scenario/types.js';
import type { LeftProcess, ReportError } from '../report/types.js';
import { createHeartbeatBuffer, HeartbeatWriter, readHeartbeat } from './heartbeat.js';
import { commandOf, descendantsOf, processesWithVariable, signalProcess } from './processes.js';
import { encodeMessage, FAIL_START_VARIABLE, INSTRUMENT_VARIABLE, TAG_VARIABLE, TO_PARENT_FD, type ChildJob, type InstrumentConfig, type DeathCause, type FromChild, type RunSnapshot, type ScenarioInfo, type ToChild } from './protocol.js';
import type { ToWatchdog, WatchdogData } from './watchdog.js';

// Captured before any scenario code runs: a scenario may replace any of them.
const stringify = JSON.stringify;
const write = writeSync;
const realKill = process.kill.bind(process);
const realAbort = process.abort.bind(process);
const realExit = process.exit.bind(process);
const listenerCount = process.listenerCount.bind(process);
const ownPid = process.pid;
const ownTag = process.env[TAG_VARIABLE];
// Virtual time replaces the timer globals once the runtime is installed: racecheck's own waits use the real ones.
const setTimeoutReal = globalThis.setTimeout;

const PROGRESS_INTERVAL_MS = 100;
const WATCHDOG_GRACE_MS = 250;
/** How long processes a scenario left get to end on their own (a teardown's kill in flight), then to a SIGTERM. */
const LEFTOVER_GRACE_MS = 300;

const buffer = createHeartbeatBuffer();
const heartbeat = new HeartbeatWriter(buffer);
const sites = new Map<number, SiteRef>();
/** The modules that registered sites: which --include entries instrumented anything. */
const siteUrls = new Set<string>();
let phase: 'waiting' | 'loading' | 'running' | 'finished' = 'waiting';
let current: string | undefined;
let deathReported = false;

function send(message: FromChild): void {
  const bytes = Buffer.from(encodeMessage(message, stringify));
  let offset = 0;
  try {
    while (offset < bytes.length) offset += write(TO_PARENT_FD, bytes, offset);
  } catch {
    // The parent is gone; the watchdog ends the process group.
  }
}

const watchdog = new Worker(new URL('./watchdog.js', import.meta.url), {
  workerData: { heartbeat: buffer, graceMs: WATCHDOG_GRACE_MS } satisfies WatchdogData,
  stdout: false,
  stderr: false,
});
watchdog.unref();
const toWatchdog = (message: ToWatchdog) => watchdog.postMessage(message);
// Installed now, while the parent discovers files and the watchdog boots: tsx and the rewriter (and the
// module hooks' own thread) are the bulk of a child's start-up. The variable is not for the scenario's children.
// A child started before the options were read gets them in a message instead.
const given = process.env[INSTRUMENT_VARIABLE];
delete process.env[INSTRUMENT_VARIABLE];
let configure: (config: InstrumentConfig) => void = () => undefined;
const instrumentation = given ? Promise.resolve(JSON.parse(given) as InstrumentConfig) : new Promise<InstrumentConfig>((resolve) => (configure = resolve));
const failStart = process.env[FAIL_START_VARIABLE];
delete process.env[FAIL_START_VARIABLE];
const modules = (async () => {
  if (failStart !== undefined && claimStartFailure(failStart)) throw new Error('a start failure the tests asked for');
  // One import of one module graph (child-modules.ts), not several side by side.
  const loaded = await import('./child-modules.js');
  const instrument = await instrumentation;
  loaded.onSitesRegistered(onSites);
  loaded.installRuntime();
  try {
    loaded.installInstrumentation({ cwd: instrument.cwd, include: instrument.include, exclude: instrument.exclude });
  } catch {
    // Reported when the job's file loads with these settings.
  }
  return loaded;
})();
modules.catch(() => undefined);

const controller = new AbortController();
const job = new Promise<ChildJob>((resolve) => {
  watchdog.on('message', (message: ToChild) => {
    if (message.type === 'job') resolve(message.job);
    else if (message.type === 'instrument') configure(message.config);
    else controller.abort();
  });
});


async function main(job: ChildJob): Promise<void> {
  let loadedModules: Awaited<typeof modules>;
  try {
    loadedModules = await modules;
  } catch (error) {
    // Node 20's loader has, now and then, failed a fresh process's import of racecheck's own modules (a named
    // export missing from a module on disk, "request for 'node:module' is not in cache"): the parent tries
    // the file again in a fresh child.
    send({ type: 'start-failed', error: unexpected(error) });
    return finish();
  }
  const { loadScenarioModule, LoadError, runScenario, resolveRuns, resolveLimits, strategyNameOf } = loadedModules;

  phase = 'loading';
  // Nothing of the scenario's has run yet: whatever runs at the end and was not here now is to be ended.
  const atStart = new Set<number>();
  let loaded: Awaited<ReturnType<typeof loadScenarioModule>>;
  try {
    loaded = await loadScenarioModule(job.file, { cwd: job.cwd, include: job.include, exclude: job.exclude });
  } catch (error) {
    send({ type: 'load-error', file: job.file, error: error instanceof LoadError ? toReportError(error) : unexpected(error) });
    await endLeftovers(atStart);
    return finish();
  }
  // What runs now was started by racecheck or by the module's top level: a scenario is charged only with what it adds.
  const afterLoad = currentProcesses();

  const infos = new Map<string, { info: ScenarioInfo; scenario?: LoadedScenario }>();
  for (const scenario of loaded.scenarios) {
    infos.set(scenario.id, {
      scenario,
      info: {
        id: scenario.id,
        exportName: scenario.exportName,
        name: scenario.scenario.name,
        tasks: scenario.scenario.tasks.map((task) => task.name),
        runs: resolveRuns(job.options, scenario.scenario),
        timeoutMs: resolveLimits(job.options, scenario.scenario).timeoutMs,
        strategy: strategyNameOf(job.options),
      },
    });
  }
  for (const { id, exportName, error } of loaded.errors) {
    infos.set(id, { info: { id, exportName, name: exportName, tasks: [], runs: 0, timeoutMs: 0, strategy: strategyNameOf(job.options), error: toReportError(error) } });
  }
  const order = (a: string, b: string) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b));
  const all = [...infos.values()].sort((a, b) => order(a.info.exportName, b.info.exportName));
  const { ids, filter } = job.select;
  const selected = all.filter(({ info }) => (ids ? ids.includes(info.id) : filter === undefined || info.id.includes(filter) || info.name.includes(filter)));
  const unused = new Set(unusedIncludes(job.include, job.cwd, siteUrls));
  const usedIncludes = job.include.filter((entry) => !unused.has(entry));
  send({ type: 'loaded', file: job.file, scenarios: selected.map((entry) => entry.info), exported: all.length, usedIncludes });

  phase = 'running';
  for (const { info, scenario } of selected) {
    if (!scenario) continue;
    if (controller.signal.aborted) break;
    current = info.id;
    send({ type: 'start', id: info.id });
    toWatchdog({ type: 'scenario', id: info.id, timeoutMs: info.timeoutMs });
    heartbeat.startScenario();
    let lastProgress = performance.now();
    try {
      const result = await runScenario(scenario, {
        ...job.options,
        signal: controller.signal,
        onRunStart: (run, seed, timeoutMs) => heartbeat.startRun(run, seed, timeoutMs),
        onStep: (_run, step, taskIndex, kind, site, choice, candidates) => heartbeat.step(step, taskIndex, kind, site?.id ?? -1, choice, candidates),
        onViolation: (found) => send({ type: 'provisional', id: info.id, result: found }),
        onRun: (completed) => {
          heartbeat.endRun();
          const now = performance.now();
          if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
            lastProgress = now;
            send({ type: 'progress', id: info.id, runs: completed });
          }
        },
      });
      heartbeat.endRun();
      toWatchdog({ type: 'scenario', id: undefined, timeoutMs: 0 });
      const processesLeft = await endLeftovers(afterLoad);
      send({ type: 'result', id: info.id, result, ...(processesLeft.length > 0 ? { processesLeft } : {}) });
    } catch (error) {
      heartbeat.endRun();
      toWatchdog({ type: 'scenario', id: undefined, timeoutMs: 0 });
      send({ type: 'failed', id: info.id, error: unexpected(error) });
    }
    current = undefined;
  }
  // Processes started while the module loaded (a server its top level starts) are ended too, without blame.
  await endLeftovers(atStart);
  finish();
}

function onSites(added: readonly Site[]): void {
  for (const site of added) siteUrls.add(site.url);
  const rows = added.map(({ id, file, line, column, text }) => ({ id, file, line, column, text }));
  for (const row of rows) sites.set(row.id, row);
  toWatchdog({ type: 'sites', sites: rows });
}

function finish(): void {
  phase = 'finished';
  send({ type: 'done' });
  // The parent ends this process (and its group) on `done`; should it not, leave anyway.
  setTimeoutReal(() => realExit(0), 2000).unref();
}

/**
 * Ends the processes that appeared since `before` and are still running: first a moment to end on their
 * own, then SIGTERM, then SIGKILL. tsx's esbuild service (started when a TypeScript module is first
 * compiled) is racecheck's, not the scenario's.
 */
async function endLeftovers(before: ReadonlySet<number>): Promise<LeftProcess[]> {
  // Descendants, and processes that carry this child's tag but left the family (a daemon that forked twice).
  const alive = () => {
    const pids = new Set([...descendantsOf(ownPid).map((p) => p.pid), ...(ownTag ? processesWithVariable(TAG_VARIABLE, ownTag) : [])]);
    pids.delete(ownPid);
    return [...pids].filter((pid) => !before.has(pid) && !isOwnHelper(pid)).map((pid) => ({ pid }));
  };
  let left = alive();
  if (left.length === 0) return [];
  const deadline = performance.now() + LEFTOVER_GRACE_MS;
  while (left.length > 0 && performance.now() < deadline) {
    await sleepReal(25);
    left = alive();
  }
  if (left.length === 0) return [];
  // What is still running now is what is reported: a shell that forked a daemon and exited meanwhile is not.
  const reported = left.map((p) => ({ command: commandOf(p.pid) }));
  for (const p of left) signalProcess(p.pid, 'SIGTERM');
  await sleepReal(100);
  for (const p of alive()) signalProcess(p.pid, 'SIGKILL');
  return reported;
}

function currentProcesses(): Set<number> {
  return new Set([...descendantsOf(ownPid).map((p) => p.pid), ...(ownTag ? processesWithVariable(TAG_VARIABLE, ownTag) : [])]);
}

const helpers = new Map<number, boolean>();
function isOwnHelper(pid: number): boolean {
  let known = helpers.get(pid);
  if (known === undefined) {
    const command = commandOf(pid);
    known = /esbuild/.test(command) && command.includes('--service');
    helpers.set(pid, known);
  }
  return known;
}

function snapshot(): RunSnapshot | undefined {
  if (current === undefined) return undefined;
  const reading = readHeartbeat(buffer);
  if (!reading.active) return undefined;
  const named: Record<number, SiteRef> = {};
  for (const step of reading.recent) {
    const site = sites.get(step.siteId);
    if (site) named[step.siteId] = site;
  }
  return { reading, sites: named };
}

function reportDeath(cause: DeathCause): void {
  if (deathReported || phase === 'finished') return;
  deathReported = true;
  send({ type: 'died', id: current, cause, snapshot: snapshot() });
}

/** Signals that end a process by default, unless it listens for them. */
const FATAL_SIGNALS = new Set(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2', 'SIGALRM', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGSEGV', 'SIGTRAP', 'SIGSYS', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGPOLL', 'SIGPWR']);

function installDeathHooks(): void {
  process.on('exit', (code) => reportDeath({ kind: 'exit', code }));
  process.on('uncaughtExceptionMonitor', (error) => {
    // During a run the scheduler listens and turns it into a violation; without a listener, Node ends the process.
    if (listenerCount('uncaughtException') > 0) return;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    reportDeath({ kind: 'uncaught', message, ...(error instanceof Error && error.stack ? { stack: error.stack } : {}) });
  });
  const names = Object.fromEntries(Object.entries(constants.signals).map(([name, number]) => [number, name]));
  process.kill = function kill(pid: number, signal?: string | number): true {
    const name = signal === undefined ? 'SIGTERM' : typeof signal === 'number' ? names[signal] : signal;
    const self = pid === ownPid || pid === 0 || pid === -ownPid;
    if (self && name && (name === 'SIGKILL' || (FATAL_SIGNALS.has(name) && listenerCount(name as NodeJS.Signals) === 0))) {
      reportDeath({ kind: 'signal', signal: name });
    }
    return realKill(pid, signal);
  };
  process.abort = function abort(): never {
    reportDeath({ kind: 'abort' });
    return realAbort();
  };
}

function toReportError(error: InstanceType<Awaited<typeof modules>['LoadError']>): ReportError {
  return {
    message: error.message,
    ...(error.sourceStack ? { stack: error.sourceStack } : {}),
    ...(error.position ? { file: error.position.file, line: error.position.line, column: error.position.column } : {}),
    ...(error.frame ? { frame: error.frame } : {}),
  };
}

function unexpected(error: unknown): ReportError {
  if (!(error instanceof Error)) return { message: `racecheck failed: ${String(error)}` };
  return { message: `racecheck failed: ${error.name}: ${error.message}`, ...(error.stack ? { stack: error.stack } : {}) };
}

/**
 * For racecheck's own tests of a failed start (`<dir>,<n>`): the first n children to start fail theirs, as
 * if their modules had not loaded. Each claims one of n directory names; creating a directory is atomic, so
 * children that start side by side claim one each.
 */
function claimStartFailure(value: string): boolean {
  const comma = value.lastIndexOf(',');
  const dir = value.slice(0, comma);
  const count = Number(value.slice(comma + 1));
  for (let index = 0; index < count; index++) {
    try {
      mkdirSync(path.join(dir, `start-${index}`));
      return true;
    } catch {
      // Claimed by another child.
    }
  }
  return false;
}

function sleepReal(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeoutReal(resolve, ms));
}

installDeathHooks();
await main(await job);
