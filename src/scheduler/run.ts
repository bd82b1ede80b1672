import seedrandom from 'seedrandom';
import type { NormalizedScenario, TaskContext, TaskResults } from '../scenario/types.js';
import { VirtualClock, VirtualTimer } from './clock.js';
import { context, real, type ActiveRun } from './context.js';
import { createIoWatch, type IoWatch } from './io.js';
import { describeValue, evaluateCheck } from './outcome.js';
import type { Candidate, Site, StepKind, Strategy, ViolationKind } from './types.js';

export interface RunSettings {
  readonly scenario: NormalizedScenario;
  /** The run's own seed: it seeds Math.random; the strategy got it too. */
  readonly seed: number;
  readonly strategy: Strategy;
  readonly maxSteps: number;
  /** Longest synchronous step, in real milliseconds, before a `blocked-loop` violation. */
  readonly maxBlockingMs: number;
  /** Wall-clock budget of one run; here it catches asynchronous hangs (a worker catches synchronous ones). */
  readonly timeoutMs: number;
  /**
   * Called at every step before it runs, with the choice made and among how many candidates; for watchdogs
   * that must name the last step, and replay the schedule, of a run that hangs.
   */
  readonly onStep?: ((entry: TraceEntry, choice: number, candidates: number) => void) | undefined;
}

export interface TraceEntry {
  readonly step: number;
  readonly task: string;
  readonly taskIndex: number;
  readonly kind: StepKind;
  /** The await the task resumes after; null for a start or a timer. */
  readonly site: Site | null;
  /** For a timer step: what created it and with which delay. */
  readonly timer?: { readonly kind: string; readonly delay: number };
}

export interface BlockedTask {
  readonly task: string;
  /** Where the task waits, innermost await first; empty when it waits outside instrumented code. */
  readonly sites: readonly Site[];
}

export interface RunViolation {
  readonly kind: ViolationKind;
  readonly message: string;
  /** The step after which it was detected (0: before any step). */
  readonly step: number;
  readonly blocked?: readonly BlockedTask[];
}

export type RunOutcome =
  | { readonly status: 'pass' | 'fail'; readonly record: RunRecord; readonly violation: RunViolation | null }
  | { readonly status: 'error'; readonly record: RunRecord; readonly error: RunError };

export interface RunError {
  readonly phase: 'setup' | 'teardown' | 'scheduler';
  readonly message: string;
  readonly cause: unknown;
}

/** What one run did: enough to replay it and to explain it. */
export interface RunRecord {
  readonly steps: number;
  /** The index chosen at each step, and how many candidates there were (a replay checks both). */
  readonly choices: readonly number[];
  readonly counts: readonly number[];
  readonly trace: readonly TraceEntry[];
  /** How many times the schedule switched away from a task that could have gone on. */
  readonly preemptions: number;
}

const enum PauseState {
  Waiting,
  Ready,
  Done,
}

interface TaskRecord {
  readonly index: number;
  readonly name: string;
  readonly fn: (state: unknown, ctx: TaskContext) => unknown;
  settled: boolean;
}

/** A task waiting to start, or to resume after an await: one continuation the scheduler may pick. */
class Pause implements Candidate {
  state = PauseState.Waiting;
  ok = true;
  value: unknown = undefined;
  resolve: ((value: unknown) => void) | undefined;
  reject: ((reason: unknown) => void) | undefined;

  constructor(
    readonly kind: 'start' | 'await',
    readonly task: TaskRecord,
    readonly site: Site | null,
  ) {}

  get taskIndex(): number {
    return this.task.index;
  }
}

const EXTERNAL_TASK = '(external)';

/**
 * One execution of a scenario under one schedule: setup, the tasks stepped one at a time by the
 * strategy on virtual time, the final check, teardown. Create one per run and call `execute` once.
 */
export class Run implements ActiveRun {
  readonly clock = new VirtualClock();
  scheduling = false;
  readonly random: () => number;

  private readonly scenario: NormalizedScenario;
  private readonly tasks: TaskRecord[];
  private readonly contexts: TaskContext[];
  private external: TaskRecord | null = null;
  private current: TaskRecord | null = null;
  private readonly ready: Pause[] = [];
  private readonly waiting = new Set<Pause>();
  private readonly candidates: Candidate[] = [];
  private readonly results: TaskResults = {};
  private unsettled: number;
  private state: unknown = undefined;
  private violation: RunViolation | null = null;
  private step = 0;
  private previousTask = -1;
  private preemptions = 0;
  /** Bumped whenever a pause is created or becomes ready, or a task settles: how waits notice activity. */
  private progress = 0;
  private readonly choices: number[] = [];
  private readonly counts: number[] = [];
  private readonly trace: TraceEntry[] = [];
  private readonly rejections = new Map<Promise<unknown>, unknown>();
  private io: IoWatch | undefined;
  private startedAt = 0;

  constructor(private readonly settings: RunSettings) {
    this.scenario = settings.scenario;
    this.random = seedrandom.alea(`${settings.seed}:math`);
    this.tasks = settings.scenario.tasks.map((task, index) => ({ index, name: task.name, fn: task.fn, settled: false }));
    this.unsettled = this.tasks.length;
    this.contexts = this.tasks.map((task) => ({
      name: task.name,
      index: task.index,
      seed: settings.seed,
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    }));
  }

  async execute(): Promise<RunOutcome> {
    if (context.run !== null) throw new Error('racecheck: another run is already in progress in this thread');
    context.run = this;
    this.startedAt = real.performanceNow();
    process.on('unhandledRejection', this.onUnhandledRejection);
    process.on('rejectionHandled', this.onRejectionHandled);
    process.on('uncaughtException', this.onUncaughtException);
    let failure: RunError | null = null;
    let setUp = false;
    try {
      this.state = this.scenario.setup ? await this.serial('setup', this.scenario.setup) : {};
      setUp = true;
      this.io = createIoWatch();
      this.startTasks();
      this.scheduling = true;
      try {
        await this.schedule();
      } finally {
        this.scheduling = false;
      }
      await this.flushRejections();
      if (!this.violation && this.scenario.check) {
        const check = this.scenario.check;
        const message = await evaluateCheck(() => this.serial('check', () => check(this.state, this.results)));
        if (message !== null) this.fail('check', message);
      }
    } catch (error) {
      failure = setUp
        ? { phase: 'scheduler', message: isOwnError(error) ? error.message : describeValue(error), cause: error }
        : { phase: 'setup', message: `setup failed: ${describeValue(error)}`, cause: error };
    } finally {
      this.scheduling = false;
      this.current = null;
      if (setUp && this.scenario.teardown) {
        const teardown = this.scenario.teardown;
        try {
          await this.serial('teardown', () => teardown(this.state));
        } catch (error) {
          failure ??= { phase: 'teardown', message: `teardown failed: ${describeValue(error)}`, cause: error };
        }
      }
      this.clock.dispose();
      await this.io?.settle(real.performanceNow() + 200);
      process.off('unhandledRejection', this.onUnhandledRejection);
      process.off('rejectionHandled', this.onRejectionHandled);
      process.off('uncaughtException', this.onUncaughtException);
      context.run = null;
    }
    const record: RunRecord = {
      steps: this.step,
      choices: this.choices,
      counts: this.counts,
      trace: this.trace,
      preemptions: this.preemptions,
    };
    // A violation found before teardown failed is still the finding; the teardown error only explains less.
    if (failure && !(failure.phase === 'teardown' && this.violation)) return { status: 'error', record, error: failure };
    return { status: this.violation ? 'fail' : 'pass', record, violation: this.violation };
  }

  currentTaskIndex(): number {
    return this.current?.index ?? this.tasks.length;
  }

  /** Called by every instrumented await while tasks run: the task pauses until the strategy picks it. */
  pause(value: unknown, site: Site | undefined): Promise<unknown> {
    const pause = new Pause('await', this.current ?? this.externalTask(), site ?? null);
    this.progress++;
    const gate = new Promise<unknown>((resolve, reject) => {
      pause.resolve = resolve;
      pause.reject = reject;
    });
    if (isThenable(value)) {
      this.waiting.add(pause);
      Promise.resolve(value).then(
        (result) => this.settle(pause, true, result),
        (reason) => this.settle(pause, false, reason),
      );
    } else {
      pause.value = value;
      this.makeReady(pause);
    }
    return gate;
  }

  private settle(pause: Pause, ok: boolean, value: unknown): void {
    if (context.run !== this || pause.state !== PauseState.Waiting) return;
    this.waiting.delete(pause);
    pause.ok = ok;
    pause.value = value;
    this.makeReady(pause);
  }

  private makeReady(pause: Pause): void {
    pause.state = PauseState.Ready;
    this.ready.push(pause);
    this.progress++;
  }

  private externalTask(): TaskRecord {
    this.external ??= { index: this.tasks.length, name: EXTERNAL_TASK, fn: () => undefined, settled: true };
    return this.external;
  }

  private startTasks(): void {
    for (const task of this.tasks) this.makeReady(new Pause('start', task, null));
  }

  /** The step loop: one decision per iteration until every task settled and nothing is runnable. */
  private async schedule(): Promise<void> {
    const { strategy, maxSteps, maxBlockingMs, timeoutMs } = this.settings;
    const io = this.io!;
    for (;;) {
      if (this.violation) return;
      const count = this.collectCandidates();
      if (count === 0) {
        // Fire-and-forget work that can only continue later is dropped once every task settled.
        if (this.unsettled === 0) return;
        if (io.busy() && (await this.waitForIo(true))) continue;
        if (this.clock.pending > 0) {
          this.clock.advance();
          continue;
        }
        this.reportDeadlock();
        return;
      }
      if (this.step >= maxSteps) {
        this.fail('max-steps', `more than ${maxSteps} steps in one run: a livelock or an unbounded loop`);
        return;
      }
      if (real.performanceNow() - this.startedAt > timeoutMs) {
        this.fail('timeout', `the run took longer than ${timeoutMs} ms of real time`);
        return;
      }
      const index = strategy.choose(this.candidates, this.step);
      const chosen = this.candidates[index];
      if (!Number.isInteger(index) || chosen === undefined) {
        throw new Error(`strategy ${strategy.name} chose ${index} among ${count} candidates`);
      }
      this.record(index, count, chosen);
      const started = real.performanceNow();
      this.fire(chosen, index);
      await this.drain();
      this.current = null;
      const blockedMs = real.performanceNow() - started;
      if (blockedMs > maxBlockingMs && !this.violation) {
        const where = chosen instanceof Pause && chosen.site ? ` after ${formatSite(chosen.site)}` : '';
        this.fail('blocked-loop', `step ${this.step} (${this.taskName(chosen.taskIndex)}${where}) blocked the event loop for ${Math.round(blockedMs)} ms (limit ${maxBlockingMs} ms)`);
      }
      if (io.busy()) await this.waitForIo(false);
      if (!this.violation && this.scenario.invariant) await this.checkInvariant(this.scenario.invariant);
    }
  }

  /** The invariant is not a task: its own awaits, if any, are native. */
  private async checkInvariant(invariant: (state: unknown) => unknown): Promise<void> {
    this.scheduling = false;
    try {
      const message = await evaluateCheck(() => invariant(this.state));
      if (message !== null) this.fail('invariant', message);
    } finally {
      this.scheduling = true;
    }
  }

  private collectCandidates(): number {
    const candidates = this.candidates;
    candidates.length = 0;
    for (const pause of this.ready) candidates.push(pause);
    this.clock.collectDue(candidates);
    return candidates.length;
  }

  private record(index: number, count: number, chosen: Candidate): void {
    this.choices.push(index);
    this.counts.push(count);
    this.step++;
    const taskIndex = chosen.taskIndex;
    if (this.previousTask !== -1 && taskIndex !== this.previousTask && this.candidates.some((c) => c.taskIndex === this.previousTask)) {
      this.preemptions++;
    }
    this.previousTask = taskIndex;
    const site = chosen instanceof Pause ? chosen.site : null;
    const entry: TraceEntry =
      chosen instanceof VirtualTimer
        ? { step: this.step, task: this.taskName(taskIndex), taskIndex, kind: 'timer', site, timer: { kind: chosen.timerKind, delay: chosen.delay } }
        : { step: this.step, task: this.taskName(taskIndex), taskIndex, kind: chosen.kind, site };
    this.trace.push(entry);
    this.settings.onStep?.(entry, index, count);
  }

  private fire(chosen: Candidate, index: number): void {
    if (chosen instanceof VirtualTimer) {
      this.fireTimer(chosen);
      return;
    }
    const pause = chosen as Pause;
    this.ready.splice(index, 1);
    pause.state = PauseState.Done;
    this.current = pause.task;
    if (pause.kind === 'start') this.startTask(pause.task);
    else if (pause.ok) pause.resolve!(pause.value);
    else pause.reject!(pause.value);
  }

  private fireTimer(timer: VirtualTimer): void {
    this.clock.take(timer);
    this.current = timer.taskIndex < this.tasks.length ? this.tasks[timer.taskIndex]! : this.externalTask();
    try {
      timer.callback(...timer.args);
    } catch (error) {
      this.fail('exception', `a ${timer.timerKind} callback threw: ${describeValue(error)}`);
    }
  }

  private startTask(task: TaskRecord): void {
    let result: unknown;
    try {
      result = task.fn(this.state, this.contexts[task.index]!);
    } catch (error) {
      this.taskSettled(task, false, error);
      return;
    }
    if (isThenable(result)) {
      Promise.resolve(result).then(
        (value) => this.taskSettled(task, true, value),
        (reason) => this.taskSettled(task, false, reason),
      );
    } else {
      this.taskSettled(task, true, result);
    }
  }

  private taskSettled(task: TaskRecord, ok: boolean, value: unknown): void {
    if (context.run !== this || task.settled) return;
    task.settled = true;
    this.unsettled--;
    this.progress++;
    this.results[task.name] = ok ? { status: 'fulfilled', value } : { status: 'rejected', reason: value };
    if (!ok && !this.scenario.allowRejections) this.fail('exception', `task ${task.name} rejected: ${describeValue(value)}`);
  }

  /**
   * Resolves once every microtask the step caused has run: a nextTick queued from a microtask runs only
   * after the microtask queue is empty. A nextTick user code queued meanwhile may queue more microtasks,
   * so the check repeats until no user tick was queued since it started.
   */
  private drain(): Promise<void> {
    return new Promise((resolve) => {
      let seen = context.userTicks;
      const check = (): void => {
        if (context.userTicks === seen) return resolve();
        seen = context.userTicks;
        queueMicrotask(() => real.nextTick(check));
      };
      queueMicrotask(() => real.nextTick(check));
    });
  }

  /**
   * Lets real I/O land before the next decision, so which tasks are ready does not depend on how fast the
   * disk or network answered. `idle`: nothing else can run, so wait longer for something to arrive.
   * Returns whether anything happened meanwhile.
   */
  private async waitForIo(idle: boolean): Promise<boolean> {
    const before = this.progress;
    const budget = idle ? Math.min(1000, this.settings.timeoutMs) : 50;
    await this.io!.settle(real.performanceNow() + budget, () => this.progress !== before, idle);
    return this.progress !== before;
  }

  /**
   * Runs setup, check and teardown: awaits there are native, but virtual timers they wait on fire in due
   * order (no choices, no steps), and real I/O they wait on is waited for.
   */
  private async serial<T>(phase: string, fn: () => T | PromiseLike<T>): Promise<T> {
    this.current = null;
    const value = fn();
    if (!isThenable(value)) return value;
    let done = false;
    const settled = Promise.resolve(value).finally(() => {
      done = true;
    });
    settled.catch(() => undefined);
    while (!done) {
      await this.drain();
      if (done) break;
      const io = this.io ?? createIoWatch();
      if (io.busy()) {
        await io.settle(real.performanceNow() + Math.min(1000, this.settings.timeoutMs), () => done, true);
        continue;
      }
      const timer = this.clock.peek();
      if (timer) {
        this.clock.advance();
        this.fireTimer(timer);
        continue;
      }
      if (real.performanceNow() - this.startedAt > this.settings.timeoutMs) {
        throw new Error(`${phase} did not finish within ${this.settings.timeoutMs} ms`);
      }
      throw new Error(`${phase} never finished: it awaits something nothing will resolve`);
    }
    return settled;
  }

  private reportDeadlock(): void {
    const blocked: BlockedTask[] = this.tasks
      .filter((task) => !task.settled)
      .map((task) => ({
        task: task.name,
        sites: [...this.waiting]
          .filter((pause) => pause.task === task && pause.site !== null)
          .reverse()
          .map((pause) => pause.site!),
      }));
    const parts = blocked.map(({ task, sites }) => `${task} waits at ${sites[0] ? formatSite(sites[0]) : 'an await outside instrumented code'}`);
    const count = blocked.length === 1 ? 'a task is' : `${blocked.length} tasks are`;
    this.fail('deadlock', `${count} blocked with nothing left to wake ${blocked.length === 1 ? 'it' : 'them'}: ${parts.join('; ')}`, blocked);
  }

  /** A macrotask turn lets Node report rejections that nothing handled; those still unhandled are violations. */
  private async flushRejections(): Promise<void> {
    await new Promise((resolve) => real.setImmediate(resolve));
    const first = this.rejections.values().next();
    if (!first.done && !this.violation) this.fail('unhandled-rejection', `unhandled rejection: ${describeValue(first.value)}`);
  }

  private readonly onUnhandledRejection = (reason: unknown, promise: Promise<unknown>): void => {
    this.rejections.set(promise, reason);
  };

  private readonly onRejectionHandled = (promise: Promise<unknown>): void => {
    this.rejections.delete(promise);
  };

  private readonly onUncaughtException = (error: unknown): void => {
    this.fail('exception', `uncaught exception: ${describeValue(error)}`);
  };

  private fail(kind: ViolationKind, message: string, blocked?: readonly BlockedTask[]): void {
    if (this.violation) return;
    this.violation = blocked ? { kind, message, step: this.step, blocked } : { kind, message, step: this.step };
  }

  private taskName(index: number): string {
    return this.tasks[index]?.name ?? EXTERNAL_TASK;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** racecheck's own errors carry a `RACECHECK_` code and a message written for users. */
function isOwnError(error: unknown): error is Error {
  return error instanceof Error && String((error as { code?: unknown }).code).startsWith('RACECHECK_');
}

export function formatSite(site: Site): string {
  return `${site.file}:${site.line}:${site.column}`;
}
