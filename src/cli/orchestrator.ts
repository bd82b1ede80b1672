import { Worker } from 'node:worker_threads';
import { formatSite, type SiteRef } from '../site.js';
import type { ScenarioResult, TraceStep } from '../scheduler/result.js';
import { resolveLimits } from '../scheduler/settings.js';
import { deriveRunSeed } from '../scheduler/rng.js';
import { DEFAULT_STRATEGY } from '../scheduler/strategies/index.js';
import { createHeartbeatBuffer, readHeartbeat, type HeartbeatReading } from './heartbeat.js';
import type { FromWorker, ScenarioInfo, WorkerConfig, WorkerRunOptions } from './protocol.js';

export interface WorkerSettings {
  readonly cwd: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Where what scenarios print goes; undefined discards it. */
  readonly output: NodeJS.WritableStream | undefined;
}

export type LoadOutcome =
  | { readonly ok: true; readonly scenarios: readonly ScenarioInfo[] }
  | { readonly ok: false; readonly message: string };

/** Slack on top of a run's timeout before the parent ends the worker, so the worker's own check wins when it can. */
const GRACE_MS = 250;
const POLL_MS = 20;
const LOAD_TIMEOUT_MS = 60_000;

/**
 * Runs scenarios in a worker thread and survives it: a run that exceeds its timeout (a synchronous loop
 * never returns to the event loop) is ended by terminating the worker and reported as a `timeout` with
 * where the heartbeat last saw it; a worker that exits or crashes is reported too. Either way the next
 * scenario gets a fresh worker with the modules loaded again.
 */
export class ScenarioRunner {
  private session: WorkerSession | undefined;
  /** Files loaded in the current worker; a fresh worker loads a file only when one of its scenarios is next. */
  private readonly inWorker = new Set<string>();

  constructor(private readonly settings: WorkerSettings) {}

  async load(file: string): Promise<LoadOutcome> {
    const outcome = await this.worker().load(file);
    if (outcome.ok) this.inWorker.add(file);
    return outcome;
  }

  async run(info: ScenarioInfo, options: WorkerRunOptions, onProgress: (runs: number) => void): Promise<ScenarioResult> {
    if (!this.inWorker.has(info.file)) {
      // It loaded once in an earlier worker; failing now would mean it is not deterministic.
      const outcome = await this.load(info.file);
      if (!outcome.ok) throw new Error(`${info.file} loaded once but not again in a fresh worker: ${outcome.message}`);
    }
    const session = this.worker();
    const attempt = await session.run(info, options, onProgress);
    if (attempt.kind === 'result') return attempt.result;
    this.session = undefined;
    this.inWorker.clear();
    await session.terminate();
    return attempt.result;
  }

  async close(): Promise<void> {
    await this.session?.terminate();
    this.session = undefined;
  }

  private worker(): WorkerSession {
    this.session ??= new WorkerSession(this.settings);
    return this.session;
  }
}

type RunAttempt = { readonly kind: 'result' | 'died'; readonly result: ScenarioResult };

class WorkerSession {
  private readonly worker: Worker;
  private readonly heartbeat = createHeartbeatBuffer();
  private readonly sites = new Map<number, SiteRef>();
  private listener: ((message: FromWorker) => void) | undefined;
  private death: ((reason: string) => void) | undefined;
  private dead: string | undefined;

  constructor(settings: WorkerSettings) {
    const config: WorkerConfig = { cwd: settings.cwd, include: settings.include, exclude: settings.exclude, heartbeat: this.heartbeat };
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: config, stdout: true, stderr: true });
    for (const stream of [this.worker.stdout, this.worker.stderr]) {
      if (settings.output) stream.pipe(settings.output, { end: false });
      else stream.resume();
    }
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'sites') for (const site of message.sites) this.sites.set(site.id, site);
      else this.listener?.(message);
    });
    this.worker.on('error', (error) => this.die(`it threw ${error.name}: ${error.message}`));
    this.worker.on('exit', (code) => this.die(`it exited with code ${code} (did the scenario call process.exit?)`));
  }

  load(file: string): Promise<LoadOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.finish();
        resolve({ ok: false, message: `${file}: importing it did not finish within ${LOAD_TIMEOUT_MS / 1000} s` });
        void this.terminate();
      }, LOAD_TIMEOUT_MS);
      this.expect(
        (message) => {
          if ((message.type === 'loaded' || message.type === 'load-error') && message.file === file) {
            clearTimeout(timer);
            this.finish();
            resolve(message.type === 'loaded' ? { ok: true, scenarios: message.scenarios } : { ok: false, message: message.message });
          }
        },
        (reason) => {
          clearTimeout(timer);
          resolve({ ok: false, message: `${file}: the worker loading it stopped: ${reason}` });
        },
      );
      this.worker.postMessage({ type: 'load', file });
    });
  }

  run(info: ScenarioInfo, options: WorkerRunOptions, onProgress: (runs: number) => void): Promise<RunAttempt> {
    const { timeoutMs } = resolveLimits(options, info);
    let provisional: ScenarioResult | undefined;
    return new Promise((resolve, reject) => {
      let generation = readHeartbeat(this.heartbeat).generation;
      let since = performance.now();
      const watchdog = setInterval(() => {
        const beat = readHeartbeat(this.heartbeat);
        const now = performance.now();
        if (beat.generation !== generation) {
          generation = beat.generation;
          since = now;
        } else if (beat.active && now - since > timeoutMs + GRACE_MS) {
          clearInterval(watchdog);
          this.finish();
          resolve({ kind: 'died', result: provisional ?? this.deathResult(info, options, beat, 'timeout', timeoutMs) });
          void this.terminate();
        }
      }, POLL_MS);
      this.expect(
        (message) => {
          if (message.type === 'progress' && message.id === info.id) onProgress(message.runs);
          if (message.type === 'provisional' && message.id === info.id) provisional = message.result;
          if ((message.type === 'result' || message.type === 'failed') && message.id === info.id) {
            clearInterval(watchdog);
            this.finish();
            if (message.type === 'result') resolve({ kind: 'result', result: message.result });
            else reject(new Error(`the worker failed running ${info.id}: ${message.message}`));
          }
        },
        (reason) => {
          clearInterval(watchdog);
          resolve({ kind: 'died', result: provisional ?? this.deathResult(info, options, readHeartbeat(this.heartbeat), reason, timeoutMs) });
        },
      );
      this.worker.postMessage({ type: 'run', id: info.id, options });
    });
  }

  async terminate(): Promise<void> {
    this.dead ??= 'terminated';
    await this.worker.terminate();
  }

  private expect(onMessage: (message: FromWorker) => void, onDeath: (reason: string) => void): void {
    if (this.dead) return onDeath(this.dead);
    this.listener = onMessage;
    this.death = onDeath;
  }

  private finish(): void {
    this.listener = undefined;
    this.death = undefined;
  }

  private die(reason: string): void {
    if (this.dead) return;
    this.dead = reason;
    const onDeath = this.death;
    this.finish();
    onDeath?.(reason);
  }

  /** A result for a scenario whose worker was lost: a violation if a run was going, else an error. */
  private deathResult(info: ScenarioInfo, options: WorkerRunOptions, beat: HeartbeatReading, reason: string, timeoutMs: number): ScenarioResult {
    const seed = options.seed ?? 0;
    const base = {
      id: info.id,
      name: info.name,
      runs: beat.run,
      failedRuns: beat.active ? 1 : 0,
      steps: beat.step,
      durationMs: 0,
      seed,
      search: { strategy: options.replay ? 'replay' : (options.strategy ?? DEFAULT_STRATEGY), schedules: beat.run, complete: false },
    };
    if (!beat.active) return { ...base, status: 'error', violation: null, error: { message: `the worker running ${info.id} stopped: ${reason}` } };
    const trace: TraceStep[] = beat.recent.map((step) => ({
      step: step.step,
      task: info.tasks[step.taskIndex] ?? '(external)',
      kind: step.kind,
      site: this.sites.get(step.siteId) ?? null,
    }));
    const last = trace[trace.length - 1];
    const where = last ? ` It was at step ${last.step}: ${last.task} ${last.site ? `resumed at ${formatSite(last.site)}` : last.kind === 'start' ? 'started' : 'ran a timer'}.` : ' It had not taken a step.';
    const timedOut = reason === 'timeout';
    const message = timedOut
      ? `run ${beat.run} did not finish within ${timeoutMs} ms of real time: a synchronous loop or blocking call never gave the event loop back.${where}`
      : `the scenario stopped its worker thread during run ${beat.run}: ${reason}.${where}`;
    return {
      ...base,
      status: 'fail',
      violation: {
        kind: timedOut ? 'timeout' : 'exception',
        message,
        run: beat.run,
        seed: options.replay ? seed : deriveRunSeed(seed, beat.run - 1),
        step: beat.step,
        strategy: base.search.strategy,
        choices: beat.schedule?.choices ?? [],
        counts: beat.schedule?.counts ?? [],
        trace,
        preemptions: 0,
        shrunk: false,
      },
    };
  }
}
