import { formatSite, type SiteRef } from '../site.js';
import type { ScenarioResult, TraceStep } from '../scheduler/result.js';
import { strategyNameOf } from '../scheduler/settings.js';
import { errorScenarioReport, lostProcessResult, toScenarioReport, type CommandStyle, type LostProcess } from '../report/build.js';
import type { FileStart, Progress, ReportError, ScenarioReport, ScenarioStart } from '../report/types.js';
import type { ChildExit } from './child-session.js';
import type { HeartbeatReading } from './heartbeat.js';
import type { ChildJob, DeathCause, FromChild, RunSnapshot, ScenarioInfo } from './protocol.js';
import type { WorkerPool } from './worker-pool.js';

/** How long a file may take to import before its child is ended. */
const LOAD_TIMEOUT_MS = 60_000;
/** A child that says nothing for this long on top of its scenario's timeout (its watchdog beats every second) is stopped or wedged. */
const SILENCE_MS = 10_000;
/** How many children a file gets when racecheck's own modules fail to load in one (see child.ts). */
const START_TRIES = 3;
/** Hangs, each replayed, before a scenario none of whose replays hung is given up on (an error, not a verdict). */
const HANG_TRIES = 3;
/** After an interrupt, how long a child gets to finish its run and report, before it is ended. */
export const INTERRUPT_GRACE_MS = 3_000;
const EXTERNAL_TASK = '(external)';

export interface FilesPlan {
  readonly files: readonly string[];
  /** The job every file's child gets, but for the file and the selection. */
  readonly job: Omit<ChildJob, 'file' | 'select'>;
  readonly select: ChildJob['select'];
  readonly style: CommandStyle;
  /** Files run at once. */
  readonly workers: number;
}

/** Where results go, as they come; `index` is the file's place in the plan (see OrderedEvents). */
export interface FileEvents {
  fileStart(index: number, file: FileStart): void;
  scenarioStart(index: number, scenario: ScenarioStart): void;
  progress(index: number, progress: Progress): void;
  scenarioEnd(index: number, report: ScenarioReport): void;
  fileEnd(index: number): void;
}

/** What a file contributed: its reports, in order, and how many scenarios it exported (before --filter). */
export interface FileOutcome {
  readonly file: string;
  readonly reports: readonly ScenarioReport[];
  readonly exported: number;
  readonly loaded: boolean;
  /** The --include entries that instrumented a scheduling point while the file loaded. */
  readonly usedIncludes: readonly string[];
}

/** SIGINT/SIGTERM as the file runners see it: first stop starting runs, then (a second signal) end everything. */
export class Interruption {
  state: 'running' | 'stopping' | 'ended' = 'running';
  private readonly listeners = new Set<(state: 'stopping' | 'ended') => void>();

  raise(state: 'stopping' | 'ended'): void {
    if (this.state === 'ended' || this.state === state) return;
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  on(listener: (state: 'stopping' | 'ended') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Runs every file of the plan in the pool, `workers` at a time in plan order, and gives the events in file
 * order. Returns each file's outcome, in plan order; files never started (interrupted) are absent.
 */
export async function runFiles(plan: FilesPlan, pool: WorkerPool, events: FileEvents, interruption: Interruption): Promise<FileOutcome[]> {
  const outcomes: (FileOutcome | undefined)[] = new Array(plan.files.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < plan.files.length) {
      const index = next++;
      if (interruption.state !== 'running') {
        events.fileEnd(index);
        continue;
      }
      outcomes[index] = await new FileRun(plan, index, pool, events, interruption).run();
      events.fileEnd(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.workers, plan.files.length)) }, lane));
  return outcomes.filter((outcome): outcome is FileOutcome => outcome !== undefined);
}

/** What one child did with its job. */
interface SessionOutcome {
  readonly exit: ChildExit;
  readonly done: boolean;
  readonly loadError: ReportError | undefined;
  /** racecheck's own modules did not load in the child (see child.ts). */
  readonly startFailed: ReportError | undefined;
  readonly loadTimedOut: boolean;
  /** The scenario that had started and not reported, when the child was lost. */
  readonly current: string | undefined;
  readonly hang: Extract<FromChild, { type: 'hang' }> | undefined;
  readonly died: Extract<FromChild, { type: 'died' }> | undefined;
  readonly beat: Extract<FromChild, { type: 'beat' }> | undefined;
  readonly silent: boolean;
  /** Whether the parent ended it because of an interrupt. */
  readonly cutByInterrupt: boolean;
}

interface Pending {
  readonly info: ScenarioInfo;
  report?: ScenarioReport;
  started: boolean;
  startedAt?: number;
  provisional?: ScenarioResult;
  /** Hangs whose replay finished (the scenario then ran again from its start): counted in `reproduced.tries`. */
  unconfirmedHangs?: number;
}

/** One file: its children (a first one, a fresh one after a lost child for the scenarios left), and its reports. */
class FileRun {
  private readonly file: string;
  private scenarios: Pending[] | undefined;
  private exported = 0;
  private usedIncludes: readonly string[] = [];
  private emitted = 0;
  private loadStarted = performance.now();
  private fileReport: ScenarioReport | undefined;
  /** Children whose own start failed (see child.ts): the file goes to a fresh one, up to START_TRIES in all. */
  private startFailures = 0;

  constructor(
    private readonly plan: FilesPlan,
    private readonly index: number,
    private readonly pool: WorkerPool,
    private readonly events: FileEvents,
    private readonly interruption: Interruption,
  ) {
    this.file = plan.files[index]!;
  }

  async run(): Promise<FileOutcome> {
    for (;;) {
      const remaining = this.scenarios?.filter((s) => !s.report && !s.info.error);
      if (remaining && remaining.length === 0) break;
      if (remaining && this.interruption.state !== 'running') break;
      const select: ChildJob['select'] = remaining ? { ids: remaining.map((s) => s.info.id) } : this.plan.select;
      const reportedBefore = this.scenarios?.filter((s) => s.report).length ?? 0;
      const outcome = await this.runChild({ ...this.plan.job, file: this.file, select });
      if (!outcome) break;
      if (outcome.startFailed && this.startFailures++ < START_TRIES - 1) continue;
      if (!this.scenarios) {
        // It never loaded: the file itself is the error.
        this.fileReport = errorScenarioReport({ id: this.file, file: this.file, strategy: strategyOf(this.plan.job) }, this.loadFailure(outcome), performance.now() - this.loadStarted);
        this.events.fileStart(this.index, { file: this.file, scenarios: [] });
        this.events.scenarioStart(this.index, { id: this.file, name: this.file, runs: 0 });
        this.events.scenarioEnd(this.index, this.fileReport);
        break;
      }
      const reportedNow = this.scenarios.filter((s) => s.report).length;
      if (remaining && reportedNow === reportedBefore && (outcome.done || outcome.loadError)) {
        // A fresh child for the scenarios left did not get to them (the file no longer loads, or no longer
        // exports them): say so rather than start another.
        const why = outcome.loadError
          ? `the file did not load again in a fresh process: ${outcome.loadError.message}`
          : outcome.startFailed
            ? startFailedMessage(outcome.startFailed)
            : 'it was not exported when the file loaded again in a fresh process';
        for (const pending of remaining) pending.report ??= errorScenarioReport({ id: pending.info.id, file: this.file, name: pending.info.name, strategy: pending.info.strategy }, { message: `${pending.info.id}: ${why}` });
        break;
      }
      if (outcome.done) continue;
      if (this.interruption.state !== 'running' && outcome.current === undefined) break;
      // Lost between two scenarios (say, a late exception after one finished): the next one is charged, so that this ends.
      const lost = this.scenarios.find((s) => s.info.id === outcome.current && !s.report) ?? this.scenarios.find((s) => !s.report && !s.info.error);
      if (lost) await this.settleLost(lost, outcome);
      this.flush();
    }
    this.flush(true);
    const reports = this.fileReport ? [this.fileReport] : (this.scenarios ?? []).flatMap((s) => (s.report ? [s.report] : []));
    return { file: this.file, reports, exported: this.exported, loaded: this.scenarios !== undefined, usedIncludes: this.usedIncludes };
  }

  /**
   * Gives a child the job and follows it to its end. Undefined when the pool was stopped first. A child
   * that only confirms a hang (`confirming`) reports nothing for the scenarios: only whether it hung.
   */
  private async runChild(job: ChildJob, confirming = false): Promise<SessionOutcome | undefined> {
    const session = await this.pool.acquire();
    if (!session) return undefined;
    let done = false;
    let loadError: ReportError | undefined;
    let startFailed: ReportError | undefined;
    let current: string | undefined;
    let hang: SessionOutcome['hang'];
    let died: SessionOutcome['died'];
    let beat: SessionOutcome['beat'];
    let silent = false;
    let loadTimedOut = false;
    let cutByInterrupt = false;
    let loaded = false;
    const started = performance.now();
    const timeoutOf = (id: string | undefined) => this.scenarios?.find((s) => s.info.id === id)?.info.timeoutMs ?? 0;
    const end = () => void session.end();

    const watch = setInterval(() => {
      const now = performance.now();
      if (!loaded && now - started > LOAD_TIMEOUT_MS) {
        loadTimedOut = true;
        end();
      } else if (now - session.lastHeard > SILENCE_MS + timeoutOf(current)) {
        silent = true;
        end();
      }
    }, 250);
    let graceTimer: NodeJS.Timeout | undefined;
    const offInterrupt = this.interruption.on((state) => {
      if (state === 'stopping') {
        session.interrupt();
        graceTimer = setTimeout(() => {
          cutByInterrupt = true;
          end();
        }, INTERRUPT_GRACE_MS);
      } else {
        cutByInterrupt = true;
        end();
      }
    });
    if (this.interruption.state === 'stopping') session.interrupt();

    session.start(job, (message) => {
      if (confirming && message.type === 'loaded') loaded = true;
      if (confirming && message.type !== 'hang' && message.type !== 'done' && message.type !== 'beat') return;
      switch (message.type) {
        case 'loaded':
          loaded = true;
          this.onLoaded(message.scenarios, message.exported);
          if (this.usedIncludes.length === 0) this.usedIncludes = message.usedIncludes;
          break;
        case 'load-error':
          loaded = true;
          loadError = message.error;
          break;
        case 'start-failed':
          loaded = true;
          startFailed = message.error;
          break;
        case 'start':
          current = message.id;
          this.onStart(message.id);
          break;
        case 'progress':
          this.onProgress(message.id, message.runs);
          break;
        case 'provisional': {
          const pending = this.find(message.id);
          if (pending) pending.provisional = message.result;
          break;
        }
        case 'result':
          this.onReport(message.id, toScenarioReport(message.result, this.file, this.plan.style, message.processesLeft ? { processesLeft: message.processesLeft } : {}));
          if (current === message.id) current = undefined;
          break;
        case 'failed':
          this.onReport(message.id, errorScenarioReport({ id: message.id, file: this.file, name: this.find(message.id)?.info.name, strategy: strategyOf(this.plan.job) }, message.error));
          if (current === message.id) current = undefined;
          break;
        case 'beat':
          beat = message;
          break;
        case 'hang':
          hang = message;
          end();
          break;
        case 'died':
          died ??= message;
          break;
        case 'done':
          done = true;
          void session.end(true);
          break;
      }
    });
    const exit = await session.exited;
    clearInterval(watch);
    clearTimeout(graceTimer);
    offInterrupt();
    await this.pool.release(session);
    return { exit, done, loadError, startFailed, loadTimedOut, current, hang, died, beat, silent, cutByInterrupt };
  }

  private onLoaded(infos: readonly ScenarioInfo[], exported: number): void {
    if (this.scenarios) return;
    this.exported = exported;
    this.scenarios = infos.map((info) => ({ info, started: false }));
    for (const pending of this.scenarios) {
      if (pending.info.error) pending.report = errorScenarioReport({ id: pending.info.id, file: this.file, name: pending.info.name, strategy: pending.info.strategy }, pending.info.error);
    }
    this.events.fileStart(this.index, { file: this.file, scenarios: infos.map(toStart) });
    this.flush();
  }

  private onStart(id: string): void {
    const pending = this.find(id);
    if (!pending || pending.started) return;
    pending.startedAt = performance.now();
    this.flush();
    pending.started = true;
    this.events.scenarioStart(this.index, toStart(pending.info));
  }

  private onProgress(id: string, runs: number): void {
    const pending = this.find(id);
    if (!pending || pending.report) return;
    this.events.progress(this.index, { id, runs, totalRuns: pending.info.runs, elapsedMs: performance.now() - (pending.startedAt ?? performance.now()) });
  }

  private onReport(id: string, report: ScenarioReport): void {
    const pending = this.find(id);
    if (!pending || pending.report) return;
    pending.report = report;
    this.flush();
  }

  /** Gives the reports that are ready, in the file's order: a report waits for those before it. */
  private flush(all = false): void {
    const scenarios = this.scenarios ?? [];
    while (this.emitted < scenarios.length) {
      const pending = scenarios[this.emitted]!;
      if (!pending.report) {
        if (!all) return;
        this.emitted++;
        continue;
      }
      if (!pending.started) {
        pending.started = true;
        this.events.scenarioStart(this.index, toStart(pending.info));
      }
      this.events.scenarioEnd(this.index, pending.report);
      this.emitted++;
    }
  }

  private find(id: string): Pending | undefined {
    return this.scenarios?.find((s) => s.info.id === id);
  }

  /** Why the file never loaded. */
  private loadFailure(outcome: SessionOutcome): ReportError {
    if (outcome.loadError) return outcome.loadError;
    if (outcome.startFailed) {
      const { stack } = outcome.startFailed;
      return { message: `${this.file}: ${startFailedMessage(outcome.startFailed)}`, ...(stack ? { stack } : {}) };
    }
    if (outcome.loadTimedOut) return { message: `${this.file}: importing it did not finish within ${LOAD_TIMEOUT_MS / 1000} s` };
    // Nothing of a scenario ran yet: what ended the process is the module's top level.
    const cause = describeDeath(outcome);
    const text = cause.text.replace(/^the scenario /, 'the module ');
    return { message: `${this.file}: ${text} while it was being imported`, ...(cause.stack ? { stack: cause.stack } : {}) };
  }

  /**
   * A child was lost during `pending`. A synchronous hang is a wall-clock verdict: it is reported only if
   * replaying its schedule, in a fresh child, hangs again. Anything else (an exit, a signal, running out of
   * memory) is reported as it was seen.
   */
  private async settleLost(pending: Pending, outcome: SessionOutcome): Promise<void> {
    const info = pending.info;
    if (outcome.hang && !pending.provisional && this.interruption.state === 'running') {
      const snapshot = outcome.hang.snapshot;
      const confirmed = await this.replayHang(info, snapshot.reading);
      if (confirmed === undefined) return this.settleInterrupted(pending, outcome);
      const tries = (pending.unconfirmedHangs ?? 0) + 1;
      if (confirmed) {
        pending.report = this.lostReport(pending, { snapshot, kind: 'timeout', message: hangMessage(info, snapshot, outcome.hang.timeoutMs, 'again when its schedule was replayed'), reproduced: { tries, failed: 1 } });
      } else if (tries < HANG_TRIES) {
        // The replay finished: the machine was busy, not the scenario. Run the scenario again from its start.
        pending.unconfirmedHangs = tries;
      } else {
        // Never a timeout that no replay gave again; but no verdict either, so not a pass.
        const message = `${info.id}: a run went past its ${outcome.hang.timeoutMs} ms timeout ${tries} times and each time the replay of its schedule finished; racecheck cannot tell whether it hangs (is the machine swapping, or the process stopped now and then?)`;
        pending.report = errorScenarioReport({ id: info.id, file: this.file, name: info.name, strategy: info.strategy }, { message }, elapsed(pending));
      }
      return;
    }
    if (pending.provisional) {
      pending.report = toScenarioReport(outcome.cutByInterrupt ? { ...pending.provisional, interrupted: true } : pending.provisional, this.file, this.plan.style);
      return;
    }
    if (outcome.cutByInterrupt || (outcome.hang && this.interruption.state !== 'running')) return this.settleInterrupted(pending, outcome);
    const cause = describeDeath(outcome);
    const snapshot = outcome.died?.snapshot;
    if (snapshot) {
      pending.report = this.lostReport(pending, { snapshot, kind: 'exception', message: `${cause.text} during run ${snapshot.reading.run}.${where(info, snapshot)}` });
      return;
    }
    const beat = outcome.beat && outcome.beat.id === info.id && outcome.beat.active ? outcome.beat : undefined;
    if (beat) {
      pending.report = this.lostReport(pending, {
        kind: 'exception',
        message: `${cause.text} during run ${beat.run} (racecheck last saw it at step ${beat.step}; where exactly is not known).`,
        beat,
      });
      return;
    }
    pending.report = errorScenarioReport({ id: info.id, file: this.file, name: info.name, strategy: info.strategy }, { message: `${info.id}: ${cause.text} between runs`, ...(cause.stack ? { stack: cause.stack } : {}) }, elapsed(pending));
  }

  /** The runs a scenario cut short by an interrupt had finished, as far as the parent knows. */
  private settleInterrupted(pending: Pending, outcome: SessionOutcome): void {
    const beat = outcome.beat?.id === pending.info.id ? outcome.beat : undefined;
    const runs = beat ? Math.max(0, beat.run - (beat.active ? 1 : 0)) : 0;
    const lost: LostProcess = { ...this.lostBase(pending), runs, steps: 0, interrupted: true };
    pending.report = toScenarioReport(lostProcessResult(lost), this.file, this.plan.style);
  }

  /** Replays the hung run's schedule in a fresh child: true if it hangs again, false if it finishes, undefined if interrupted. */
  private async replayHang(info: ScenarioInfo, reading: HeartbeatReading): Promise<boolean | undefined> {
    const schedule = reading.schedule;
    const options = schedule
      ? { ...this.plan.job.options, runs: undefined, seed: reading.seed, replay: schedule, replayStrict: true }
      : // Too long a run to keep its schedule: rerun the scenario; a hang in it confirms as well.
        this.plan.job.options;
    const outcome = await this.runChild({ ...this.plan.job, file: this.file, select: { ids: [info.id] }, options }, true);
    if (!outcome || outcome.cutByInterrupt) return undefined;
    return outcome.hang !== undefined;
  }

  private lostBase(pending: Pending): Omit<LostProcess, 'runs' | 'steps'> {
    return { id: pending.info.id, name: pending.info.name, seed: this.plan.job.options.seed ?? 0, strategy: pending.info.strategy, durationMs: elapsed(pending) };
  }

  private lostReport(
    pending: Pending,
    lost: { kind: 'timeout' | 'exception'; message: string; snapshot?: RunSnapshot; beat?: Extract<FromChild, { type: 'beat' }>; reproduced?: { tries: number; failed: number } },
  ): ScenarioReport {
    const reading = lost.snapshot?.reading;
    const run = reading ?? lost.beat!;
    const result = lostProcessResult({
      ...this.lostBase(pending),
      runs: run.run,
      steps: reading?.totalSteps ?? 0,
      run: {
        kind: lost.kind,
        message: lost.message,
        number: run.run,
        seed: run.seed,
        step: run.step,
        schedule: reading?.schedule,
        trace: lost.snapshot ? traceOf(pending.info, lost.snapshot) : [],
        ...(lost.reproduced ? { reproduced: lost.reproduced } : {}),
      },
    });
    return toScenarioReport(result, this.file, this.plan.style);
  }
}

function toStart(info: ScenarioInfo): ScenarioStart {
  return { id: info.id, name: info.name, runs: info.runs };
}

function strategyOf(job: FilesPlan['job']): string {
  return strategyNameOf(job.options);
}

function elapsed(pending: Pending): number {
  return pending.startedAt === undefined ? 0 : performance.now() - pending.startedAt;
}

function traceOf(info: ScenarioInfo, snapshot: RunSnapshot): TraceStep[] {
  return snapshot.reading.recent.map((step) => ({
    step: step.step,
    task: info.tasks[step.taskIndex] ?? EXTERNAL_TASK,
    kind: step.kind,
    site: (snapshot.sites[step.siteId] as SiteRef | undefined) ?? null,
  }));
}

/** ` It was at step 2: spinner resumed at hang.ts:9:7.` */
function where(info: ScenarioInfo, snapshot: RunSnapshot): string {
  const trace = traceOf(info, snapshot);
  const last = trace[trace.length - 1];
  if (!last) return ' It had not taken a step.';
  const what = last.site ? `resumed at ${formatSite(last.site)}` : last.kind === 'start' ? 'started' : 'ran a timer';
  return ` It was at step ${last.step}: ${last.task} ${what}.`;
}

function hangMessage(info: ScenarioInfo, snapshot: RunSnapshot, timeoutMs: number, confirmation: string): string {
  return `run ${snapshot.reading.run} did not finish within ${timeoutMs} ms of real time: it was busy, in a synchronous loop or a blocking call that never gave the event loop back.${where(info, snapshot)} It hung ${confirmation}.`;
}

/** Why a file's children never got to it: racecheck's own modules failed to load in each (see child.ts). */
function startFailedMessage(error: ReportError): string {
  return `racecheck's child process could not load its own modules, ${START_TRIES} times: ${error.message}`;
}

/** What ended a child, in words: from its own last message if it sent one, else from its exit. */
function describeDeath(outcome: SessionOutcome): { text: string; stack?: string } {
  if (outcome.silent) return { text: 'its process stopped responding for 10 s (was it stopped, with SIGSTOP?)' };
  const cause: DeathCause | undefined = outcome.died?.cause;
  if (cause?.kind === 'exit') return { text: `the scenario ended its process with process.exit(${cause.code})` };
  if (cause?.kind === 'signal') return { text: `the scenario killed its own process with ${cause.signal}` };
  if (cause?.kind === 'abort') return { text: 'the scenario called process.abort()' };
  if (cause?.kind === 'uncaught') return { text: `an exception nothing caught ended its process: ${cause.message}`, ...(cause.stack ? { stack: cause.stack } : {}) };
  const { code, signal, stderrTail } = outcome.exit;
  if (/heap out of memory|Reached heap limit|Allocation failed/i.test(stderrTail)) return { text: 'its process ran out of memory (JavaScript heap)' };
  if (signal) return { text: `its process was killed by ${signal}${signal === 'SIGKILL' ? ' (from outside, or by the kernel when memory ran out)' : ''}` };
  return { text: `its process exited with code ${code}` };
}
