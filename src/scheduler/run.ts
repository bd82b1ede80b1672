import seedrandom from 'seedrandom';
import type { NormalizedScenario, TaskContext, TaskResults } from '../scenario/types.js';
import { VirtualClock, VirtualTimer } from './clock.js';
import { context, real, type ActiveRun } from './context.js';
import { createIoWatch, type IoWatch } from './io.js';
import { isInternal } from './runtime.js';
import { checkMessage, describeValue, evaluateCheck, isThenable } from './outcome.js';
import { formatSite, type Site } from '../site.js';
import type { Candidate, StepKind, Strategy, ViolationKind } from './types.js';

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
   * that must name the last step, and replay the schedule, of a run that hangs. Plain values: it runs on
   * the hot path.
   */
  readonly onStep?: ((step: number, taskIndex: number, kind: StepKind, site: Site | null, choice: number, candidates: number) => void) | undefined;
  /**
   * `flush` (default): end the run with a macrotask turn so Node reports rejections nothing handled, and
   * report them. `batch`: skip that turn; the caller watches for them over many runs and replays to find
   * which run it was (a macrotask per run costs more than a short run).
   */
  readonly rejections?: 'flush' | 'batch';
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
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((reason: unknown) => void) | undefined = undefined;
  /** Waiting on a value that is not one of racecheck's own primitives (it may depend on I/O). */
  external = false;
  readonly taskIndex: number;

  constructor(
    readonly kind: 'start' | 'await',
    readonly task: TaskRecord,
    readonly site: Site | null,
  ) {
    this.taskIndex = task.index;
  }
}

const EXTERNAL_TASK = '(external)';
const STEP_KINDS: readonly StepKind[] = ['start', 'await', 'timer'];
const RESOLVED = Promise.resolve();

// The gate's executor is shared: a closure per await would be garbage per step.
let gateFor: Pause | undefined;
function gateExecutor(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  gateFor!.resolve = resolve;
  gateFor!.reject = reject;
}

/**
 * One execution of a scenario under one schedule: setup, the tasks stepped one at a time by the
 * strategy on virtual time, the final check, teardown. Create one per run and call `execute` once.
 *
 * The step loop is a state machine driven by callbacks rather than an async function: a step is
 * `decide` (choose, record, fire), then a microtask that queues `onDrained` with process.nextTick (which
 * runs only once the microtask queue is empty), then `afterStep` (blocked-loop check, I/O, invariant), then
 * `decide` again. Promises appear only on the slow paths (waiting for I/O, an async invariant).
 */
export class Run implements ActiveRun {
  readonly clock = new VirtualClock();
  scheduling = false;

  private readonly scenario: NormalizedScenario;
  private readonly tasks: TaskRecord[];
  private readonly contexts: TaskContext[];
  private external: TaskRecord | null = null;
  private current: TaskRecord | null = null;
  private readonly ready: Pause[] = [];
  /** Pauses that waited on a pending value, in order; the ones still waiting have state Waiting. */
  private readonly waited: Pause[] = [];
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
  /** The trace, column-wise: the task and kind of each step, and the site (or timer) it resumed. */
  /** Task index × 4 + kind (0 start, 1 await, 2 timer): one number a step. */
  private readonly traceSteps: number[] = [];
  private readonly traceWhere: (Site | VirtualTimer | null)[] = [];
  private rejections: Map<Promise<unknown>, unknown> | undefined;
  private io: IoWatch | undefined;
  private startedAt = 0;
  private stepStartedAt = 0;
  private seenTicks = 0;
  private finishSchedule: (() => void) | undefined;
  private mathRandom: (() => number) | undefined;
  /** Pauses waiting on a value racecheck's own primitives will not settle: only these can be waiting for I/O. */
  private externalWaits = 0;
  /** Whether anything in the run may have started real I/O (a wait on a value racecheck does not settle). */
  private touchedIo = false;
  private failSchedule: ((error: unknown) => void) | undefined;

  constructor(private readonly settings: RunSettings) {
    this.scenario = settings.scenario;
    this.tasks = settings.scenario.tasks.map((task, index) => ({ index, name: task.name, fn: task.fn, settled: false }));
    this.unsettled = this.tasks.length;
    this.contexts = this.tasks.map((task) => ({ name: task.name, index: task.index, seed: settings.seed, sleep }));
  }

  async execute(): Promise<RunOutcome> {
    if (context.run !== null) throw new Error('racecheck: another run is already in progress in this thread');
    context.run = this;
    this.startedAt = real.performanceNow();
    const flushing = this.settings.rejections !== 'batch';
    if (flushing) {
      process.on('unhandledRejection', onUnhandledRejection);
      process.on('rejectionHandled', onRejectionHandled);
    }
    process.on('uncaughtException', onUncaughtException);
    let failure: RunError | null = null;
    let setUp = false;
    try {
      const setup = this.scenario.setup;
      const state = setup ? setup() : {};
      this.state = isThenable(state) ? await this.serial('setup', () => state) : state;
      setUp = true;
      this.io = createIoWatch();
      this.startTasks();
      this.scheduling = true;
      try {
        await this.schedule();
      } finally {
        this.scheduling = false;
      }
      if (flushing) await this.flushRejections();
      if (!this.violation && this.scenario.check) {
        const check = this.scenario.check;
        let result: unknown;
        try {
          result = check(this.state, this.results);
        } catch (error) {
          result = Promise.reject(error);
        }
        const message = isThenable(result) ? await evaluateCheck(() => this.serial('check', () => result)) : checkMessage(result);
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
          const done = teardown(this.state);
          if (isThenable(done)) await this.serial('teardown', () => done);
        } catch (error) {
          failure ??= { phase: 'teardown', message: `teardown failed: ${describeValue(error)}`, cause: error };
        }
      }
      this.clock.dispose();
      // Work a failed run left in flight must not land in the next one.
      if (this.touchedIo && this.io?.busy()) await this.io.settle(real.performanceNow() + 200);
      if (flushing) {
        process.off('unhandledRejection', onUnhandledRejection);
        process.off('rejectionHandled', onRejectionHandled);
      }
      process.off('uncaughtException', onUncaughtException);
      context.run = null;
    }
    const record = this.record();
    // A violation found before teardown failed is still the finding; the teardown error only explains less.
    if (failure && !(failure.phase === 'teardown' && this.violation)) return { status: 'error', record, error: failure };
    return { status: this.violation ? 'fail' : 'pass', record, violation: this.violation };
  }

  /** The run's Math.random: seeded from the run's seed, created on first use (most runs never call it). */
  random(): number {
    this.mathRandom ??= seedrandom.alea(`${this.settings.seed}:math`);
    return this.mathRandom();
  }

  currentTaskIndex(): number {
    return this.current?.index ?? this.tasks.length;
  }

  /** Called by every instrumented await while tasks run: the task pauses until the strategy picks it. */
  pause(value: unknown, site: Site | undefined): Promise<unknown> {
    const pause = new Pause('await', this.current ?? this.externalTask(), site ?? null);
    this.progress++;
    gateFor = pause;
    const gate = new Promise<unknown>(gateExecutor);
    if (isThenable(value)) {
      this.waited.push(pause);
      if (!isInternal(value)) {
        pause.external = true;
        this.externalWaits++;
        this.touchedIo = true;
      }
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
    if (pause.external) this.externalWaits--;
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

  /** Runs the step loop; resolves when every task settled and nothing is runnable, or a violation stops it. */
  private schedule(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.finishSchedule = resolve;
      this.failSchedule = reject;
      this.decide();
    });
  }

  /** One decision: pick a candidate, record it, run it; or end the run, or wait for I/O or the clock. */
  private decide(): void {
    try {
      const { strategy, maxSteps, timeoutMs } = this.settings;
      for (;;) {
        if (this.violation) return this.finishSchedule!();
        const count = this.collectCandidates();
        if (count === 0) {
          if (this.checkBlocked(real.performanceNow())) continue;
          // Fire-and-forget work that can only continue later is dropped once every task settled.
          if (this.unsettled === 0) return this.finishSchedule!();
          if (this.io!.busy()) {
            this.waitForIo(true).then((progressed) => (progressed ? this.decide() : this.afterIdle()), this.failSchedule);
            return;
          }
          if (this.afterIdleSync()) continue;
          return this.finishSchedule!();
        }
        if (this.step >= maxSteps) {
          this.fail('max-steps', `more than ${maxSteps} steps in one run: a livelock or an unbounded loop`);
          continue;
        }
        const now = real.performanceNow();
        if (this.checkBlocked(now)) continue;
        if (now - this.startedAt > timeoutMs) {
          this.fail('timeout', `the run took longer than ${timeoutMs} ms of real time`);
          continue;
        }
        const candidates = count === this.ready.length ? this.ready : this.candidates;
        const index = strategy.choose(candidates, this.step);
        const chosen = candidates[index];
        if (!Number.isInteger(index) || chosen === undefined) {
          throw new Error(`strategy ${strategy.name} chose ${index} among ${count} candidates`);
        }
        this.recordStep(index, count, chosen, candidates);
        this.seenTicks = context.userTicks;
        this.stepStartedAt = now;
        this.fire(chosen, index);
        RESOLVED.then(this.armDrain);
        return;
      }
    } catch (error) {
      this.failSchedule!(error);
    }
  }

  /** Nothing can run and no I/O is pending: move the clock to the next timer, or it is a deadlock. */
  private afterIdleSync(): boolean {
    if (this.clock.pending > 0) {
      this.clock.advance();
      return true;
    }
    this.reportDeadlock();
    return false;
  }

  private afterIdle(): void {
    if (this.afterIdleSync()) this.decide();
    else this.finishSchedule!();
  }

  /** Queued as a microtask after each step: a nextTick queued from a microtask runs once the microtask queue is empty. */
  private readonly armDrain = (): void => {
    real.nextTick(this.onDrained);
  };

  /**
   * The step's microtasks have all run. A process.nextTick that user code queued meanwhile may queue more,
   * so if any was queued since the step started, wait for another drain.
   */
  private readonly onDrained = (): void => {
    if (context.userTicks !== this.seenTicks) {
      this.seenTicks = context.userTicks;
      RESOLVED.then(this.armDrain);
      return;
    }
    this.afterStep();
  };

  /**
   * Whether the step that just ran held the event loop too long. Measured when the next decision is taken
   * (one clock read per step: the same timestamp starts the next step's measure).
   */
  private checkBlocked(now: number): boolean {
    const started = this.stepStartedAt;
    if (started === 0) return false;
    this.stepStartedAt = 0;
    const blockedMs = now - started;
    if (blockedMs <= this.settings.maxBlockingMs || this.violation) return false;
    const where = this.traceWhere[this.step - 1];
    const site = where && !(where instanceof VirtualTimer) ? ` after ${formatSite(where)}` : '';
    const task = this.taskName(this.traceSteps[this.step - 1]! >> 2);
    this.fail('blocked-loop', `step ${this.step} (${task}${site}) blocked the event loop for ${Math.round(blockedMs)} ms (limit ${this.settings.maxBlockingMs} ms)`);
    return true;
  }

  private afterStep(): void {
    this.current = null;
    // Only a pause waiting on a pending value (not a racecheck lock or event) can be made ready by I/O landing.
    if (!this.violation && this.externalWaits > 0 && this.io!.busy()) {
      this.waitForIo(false).then(this.afterIo, this.failSchedule);
      return;
    }
    this.afterIo();
  }

  private readonly afterIo = (): void => {
    const invariant = this.scenario.invariant;
    if (this.violation || !invariant) return this.decide();
    // The invariant is not a task: its own awaits, if any, are native.
    this.scheduling = false;
    let result: unknown;
    try {
      result = invariant(this.state);
    } catch (error) {
      result = Promise.reject(error);
    }
    if (!isThenable(result)) {
      this.scheduling = true;
      const message = checkMessage(result);
      if (message !== null) this.fail('invariant', message);
      return this.decide();
    }
    evaluateCheck(() => result).then((message) => {
      this.scheduling = true;
      if (message !== null) this.fail('invariant', message);
      this.decide();
    }, this.failSchedule);
  };

  private collectCandidates(): number {
    if (this.clock.pending === 0 || !this.clock.hasDue()) return this.ready.length;
    const candidates = this.candidates;
    candidates.length = 0;
    for (const pause of this.ready) candidates.push(pause);
    this.clock.collectDue(candidates);
    return candidates.length;
  }

  private recordStep(index: number, count: number, chosen: Candidate, candidates: readonly Candidate[]): void {
    this.choices.push(index);
    this.counts.push(count);
    this.step++;
    const taskIndex = chosen.taskIndex;
    const previous = this.previousTask;
    if (previous !== -1 && taskIndex !== previous) {
      for (let i = 0; i < candidates.length; i++) {
        if (candidates[i]!.taskIndex === previous) {
          this.preemptions++;
          break;
        }
      }
    }
    this.previousTask = taskIndex;
    const kind = chosen.kind === 'start' ? 0 : chosen.kind === 'await' ? 1 : 2;
    const where = chosen instanceof VirtualTimer ? chosen : (chosen as Pause).site;
    this.traceSteps.push((taskIndex << 2) | kind);
    this.traceWhere.push(where);
    this.settings.onStep?.(this.step, taskIndex, STEP_KINDS[kind]!, where instanceof VirtualTimer ? null : where, index, count);
  }

  /** What the run did. The trace is built from its columns only when asked for: most runs pass unread. */
  private record(): RunRecord {
    let trace: TraceEntry[] | undefined;
    // Captures the columns and the task list, not the run: a record may outlive it by many runs.
    const { traceSteps, traceWhere, tasks } = this;
    const build = (): TraceEntry[] =>
      traceSteps.map((code, i): TraceEntry => {
        const taskIndex = code >> 2;
        const where = traceWhere[i] ?? null;
        const task = tasks[taskIndex]?.name ?? EXTERNAL_TASK;
        if (where instanceof VirtualTimer) {
          return { step: i + 1, task, taskIndex, kind: 'timer', site: null, timer: { kind: where.timerKind, delay: where.delay } };
        }
        return { step: i + 1, task, taskIndex, kind: STEP_KINDS[code & 3]!, site: where };
      });
    return {
      steps: this.step,
      choices: this.choices,
      counts: this.counts,
      preemptions: this.preemptions,
      get trace() {
        return (trace ??= build());
      },
    };
  }

  private fire(chosen: Candidate, index: number): void {
    if (chosen instanceof VirtualTimer) {
      this.fireTimer(chosen);
      return;
    }
    const pause = chosen as Pause;
    // Remove in place, keeping the order (splice would allocate an array of the removed item every step).
    const ready = this.ready;
    for (let i = index; i < ready.length - 1; i++) ready[i] = ready[i + 1]!;
    ready.pop();
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

  /** Resolves once the microtask queue is empty (and stays so after any user nextTick): see `onDrained`. */
  private drain(): Promise<void> {
    return new Promise((resolve) => {
      let seen = context.userTicks;
      const check = (): void => {
        if (context.userTicks === seen) return resolve();
        seen = context.userTicks;
        RESOLVED.then(() => real.nextTick(check));
      };
      RESOLVED.then(() => real.nextTick(check));
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
        sites: this.waited
          .filter((pause) => pause.state === PauseState.Waiting && pause.task === task && pause.site !== null)
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
    const first = this.rejections?.values().next();
    if (first && !first.done && !this.violation) this.fail('unhandled-rejection', `unhandled rejection: ${describeValue(first.value)}`);
  }

  /** Node's process events, for the run that is active: see the module-level listeners. */
  noteRejection(promise: Promise<unknown>, reason: unknown, handled: boolean): void {
    if (handled) this.rejections?.delete(promise);
    else (this.rejections ??= new Map()).set(promise, reason);
  }

  noteUncaught(error: unknown): void {
    this.fail('exception', `uncaught exception: ${describeValue(error)}`);
  }

  private fail(kind: ViolationKind, message: string, blocked?: readonly BlockedTask[]): void {
    if (this.violation) return;
    this.violation = blocked ? { kind, message, step: this.step, blocked } : { kind, message, step: this.step };
  }

  private taskName(index: number): string {
    return this.tasks[index]?.name ?? EXTERNAL_TASK;
  }
}

/** TaskContext.sleep: virtual time, through the faked setTimeout. */
function sleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}

// Installed for the duration of each run; one set of functions for all runs.
function onUnhandledRejection(reason: unknown, promise: Promise<unknown>): void {
  (context.run as Run | null)?.noteRejection(promise, reason, false);
}

function onRejectionHandled(promise: Promise<unknown>): void {
  (context.run as Run | null)?.noteRejection(promise, undefined, true);
}

function onUncaughtException(error: unknown): void {
  (context.run as Run | null)?.noteUncaught(error);
}

/** racecheck's own errors carry a `RACECHECK_` code and a message written for users. */
function isOwnError(error: unknown): error is Error {
  return error instanceof Error && String((error as { code?: unknown }).code).startsWith('RACECHECK_');
}

