import seedrandom from 'seedrandom';
import { isKnownError } from '../errors.js';
import type { NormalizedScenario, TaskContext, TaskResults } from '../scenario/types.js';
import type { Site } from '../site.js';
import { VirtualClock, VirtualTimer } from './clock.js';
import { context, real, type ActiveRun } from './context.js';
import { blockedLoopMessage, describeDeadlock, maxStepsMessage, timeoutMessage } from './detectors.js';
import { createIoWatch, type IoWatch } from './io.js';
import { checkMessage, describeValue, evaluateCheck, isThenable } from './outcome.js';
import { createGate, DONE, Pause, READY, WAITING, type TaskRecord } from './pause.js';
import { runPhase, type PhaseHost } from './phases.js';
import { listenToProcess, type ProcessEventSink } from './process-events.js';
import { TraceRecorder, type BlockedTask, type RunError, type RunOutcome, type RunViolation } from './run-record.js';
import { isInternal } from './runtime.js';
import type { Limits } from './settings.js';
import type { Candidate, StepKind, Strategy } from './types.js';
import type { ViolationKind } from './violation-kinds.js';

export interface RunSettings extends Limits {
  readonly scenario: NormalizedScenario;
  /** The run's own seed: it seeds Math.random; the strategy got it too. */
  readonly seed: number;
  readonly strategy: Strategy;
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

const EXTERNAL_TASK = '(external)';
const RESOLVED = Promise.resolve();

/**
 * One execution of a scenario under one schedule: setup, the tasks stepped one at a time by the
 * strategy on virtual time, the final check, teardown. Create one per run and call `execute` once.
 *
 * The step loop is a state machine driven by callbacks rather than an async function: a step is
 * `decide` (choose, record, fire), then a microtask that queues `onDrained` with process.nextTick (which
 * runs only once the microtask queue is empty), then `afterStep` (blocked-loop check, I/O, invariant), then
 * `decide` again. Promises appear only on the slow paths (waiting for I/O, an async invariant).
 */
export class Run implements ActiveRun, ProcessEventSink, PhaseHost {
  readonly clock = new VirtualClock();
  scheduling = false;
  startedAt = 0;

  private readonly scenario: NormalizedScenario;
  private readonly tasks: TaskRecord[];
  private readonly contexts: TaskContext[];
  private external: TaskRecord | null = null;
  private current: TaskRecord | null = null;
  private readonly ready: Pause[] = [];
  /** Pauses that waited on a pending value, in order; the ones still waiting have state WAITING. */
  private readonly waited: Pause[] = [];
  private readonly candidates: Candidate[] = [];
  private readonly results: TaskResults = {};
  private unsettled: number;
  private state: unknown = undefined;
  private violation: RunViolation | null = null;
  /** Bumped whenever a pause is created or becomes ready, or a task settles: how waits notice activity. */
  private progress = 0;
  private readonly trace = new TraceRecorder();
  private rejections: Map<Promise<unknown>, unknown> | undefined;
  private watch: IoWatch | undefined;
  private stepStartedAt = 0;
  private seenTicks = 0;
  private finishSchedule: (() => void) | undefined;
  private failSchedule: ((error: unknown) => void) | undefined;
  private mathRandom: (() => number) | undefined;
  /** Pauses waiting on a value racecheck's own primitives will not settle: only these can be waiting for I/O. */
  private externalWaits = 0;
  /** Whether anything in the run may have started real I/O (a wait on a value racecheck does not settle). */
  private touchedIo = false;

  constructor(private readonly settings: RunSettings) {
    this.scenario = settings.scenario;
    this.tasks = settings.scenario.tasks.map((task, index) => ({ index, name: task.name, fn: task.fn, settled: false }));
    this.unsettled = this.tasks.length;
    this.contexts = this.tasks.map((task) => ({ name: task.name, index: task.index, seed: settings.seed, sleep }));
  }

  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  async execute(): Promise<RunOutcome> {
    if (context.run !== null) throw new Error('racecheck: another run is already in progress in this thread');
    context.run = this;
    this.startedAt = real.performanceNow();
    const flushing = this.settings.rejections !== 'batch';
    const stopListening = listenToProcess(this, flushing);
    let failure: RunError | null = null;
    let setUp = false;
    try {
      const setup = this.scenario.setup;
      const state = setup ? setup() : {};
      this.state = isThenable(state) ? await this.phase('setup', () => state) : state;
      setUp = true;
      this.watch = createIoWatch();
      this.startTasks();
      this.scheduling = true;
      try {
        await this.schedule();
      } finally {
        this.scheduling = false;
      }
      if (flushing) await this.flushRejections();
      if (!this.violation && this.scenario.check) await this.runCheck(this.scenario.check);
    } catch (error) {
      failure = setUp
        ? { phase: 'scheduler', message: isKnownError(error) ? error.message : describeValue(error), cause: error }
        : { phase: 'setup', message: `setup failed: ${describeValue(error)}`, cause: error };
    } finally {
      this.scheduling = false;
      this.current = null;
      if (setUp && this.scenario.teardown) {
        const teardown = this.scenario.teardown;
        try {
          const done = teardown(this.state);
          if (isThenable(done)) await this.phase('teardown', () => done);
        } catch (error) {
          failure ??= { phase: 'teardown', message: `teardown failed: ${describeValue(error)}`, cause: error };
        }
      }
      this.clock.dispose();
      // Work a failed run left in flight must not land in the next one.
      if (this.touchedIo && this.watch?.busy()) await this.watch.settle(real.performanceNow() + 200);
      stopListening();
      context.run = null;
    }
    const tasks = this.tasks;
    const record = this.trace.toRecord((index) => tasks[index]?.name ?? EXTERNAL_TASK);
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

  io(): IoWatch {
    return this.watch ?? createIoWatch();
  }

  /** Called by every instrumented await while tasks run: the task pauses until the strategy picks it. */
  pause(value: unknown, site: Site | undefined): Promise<unknown> {
    const pause = new Pause('await', this.current ?? this.externalTask(), site ?? null);
    this.progress++;
    const gate = createGate(pause);
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

  /** A timer's callback runs as the task that created it. */
  fireTimer(timer: VirtualTimer): void {
    this.clock.take(timer);
    this.current = timer.taskIndex < this.tasks.length ? this.tasks[timer.taskIndex]! : this.externalTask();
    try {
      timer.callback(...timer.args);
    } catch (error) {
      this.fail('exception', `a ${timer.timerKind} callback threw: ${describeValue(error)}`);
    }
  }

  noteRejection(promise: Promise<unknown>, reason: unknown, handled: boolean): void {
    if (handled) this.rejections?.delete(promise);
    else (this.rejections ??= new Map()).set(promise, reason);
  }

  noteUncaught(error: unknown): void {
    this.fail('exception', `uncaught exception: ${describeValue(error)}`);
  }

  private settle(pause: Pause, ok: boolean, value: unknown): void {
    if (context.run !== this || pause.state !== WAITING) return;
    if (pause.external) this.externalWaits--;
    pause.ok = ok;
    pause.value = value;
    this.makeReady(pause);
  }

  private makeReady(pause: Pause): void {
    pause.state = READY;
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

  /** Runs setup, check or teardown (see phases.ts); none of them is a task. */
  private phase<T>(name: string, fn: () => T | PromiseLike<T>): Promise<T> {
    this.current = null;
    return runPhase(this, name, fn);
  }

  private async runCheck(check: NonNullable<NormalizedScenario['check']>): Promise<void> {
    let result: unknown;
    try {
      result = check(this.state, this.results);
    } catch (error) {
      result = Promise.reject(error);
    }
    const message = isThenable(result) ? await evaluateCheck(() => this.phase('check', () => result)) : checkMessage(result);
    if (message !== null) this.fail('check', message);
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
          if (this.watch!.busy()) {
            this.waitForIo(true).then((progressed) => (progressed ? this.decide() : this.afterIdle()), this.failSchedule);
            return;
          }
          if (this.afterIdleSync()) continue;
          return this.finishSchedule!();
        }
        if (this.trace.length >= maxSteps) {
          this.fail('max-steps', maxStepsMessage(maxSteps));
          continue;
        }
        const now = real.performanceNow();
        if (this.checkBlocked(now)) continue;
        if (now - this.startedAt > timeoutMs) {
          this.fail('timeout', timeoutMessage(timeoutMs));
          continue;
        }
        const candidates = count === this.ready.length ? this.ready : this.candidates;
        const index = strategy.choose(candidates, this.trace.length);
        const chosen = candidates[index];
        if (!Number.isInteger(index) || chosen === undefined) {
          throw new Error(`strategy ${strategy.name} chose ${index} among ${count} candidates`);
        }
        const kind = this.trace.add(index, chosen as Pause | VirtualTimer, candidates);
        this.settings.onStep?.(this.trace.length, chosen.taskIndex, kind, chosen instanceof VirtualTimer ? null : (chosen as Pause).site, index, count);
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
    const last = this.trace.lastStep()!;
    this.fail('blocked-loop', blockedLoopMessage(this.trace.length, this.taskName(last.taskIndex), last.site, blockedMs, this.settings.maxBlockingMs));
    return true;
  }

  private afterStep(): void {
    this.current = null;
    // Only a pause waiting on a pending value (not a racecheck lock or event) can be made ready by I/O landing.
    if (!this.violation && this.externalWaits > 0 && this.watch!.busy()) {
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
    this.current = pause.task;
    if (pause.kind === 'start') {
      pause.state = DONE;
      this.startTask(pause.task);
    } else {
      pause.resume();
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
   * Lets real I/O land before the next decision, so which tasks are ready does not depend on how fast the
   * disk or network answered. `idle`: nothing else can run, so wait longer for something to arrive.
   * Returns whether anything happened meanwhile.
   */
  private async waitForIo(idle: boolean): Promise<boolean> {
    const before = this.progress;
    const budget = idle ? Math.min(1000, this.settings.timeoutMs) : 50;
    await this.watch!.settle(real.performanceNow() + budget, () => this.progress !== before, idle);
    return this.progress !== before;
  }

  private reportDeadlock(): void {
    const blocked: BlockedTask[] = this.tasks
      .filter((task) => !task.settled)
      .map((task) => ({
        task: task.name,
        sites: this.waited
          .filter((pause) => pause.state === WAITING && pause.task === task && pause.site !== null)
          .reverse()
          .map((pause) => pause.site!),
      }));
    this.fail('deadlock', describeDeadlock(blocked), blocked);
  }

  /** A macrotask turn lets Node report rejections that nothing handled; those still unhandled are violations. */
  private async flushRejections(): Promise<void> {
    await new Promise((resolve) => real.setImmediate(resolve));
    const first = this.rejections?.values().next();
    if (first && !first.done && !this.violation) this.fail('unhandled-rejection', `unhandled rejection: ${describeValue(first.value)}`);
  }

  private fail(kind: ViolationKind, message: string, blocked?: readonly BlockedTask[]): void {
    if (this.violation) return;
    const step = this.trace.length;
    this.violation = blocked ? { kind, message, step, blocked } : { kind, message, step };
  }

  private taskName(index: number): string {
    return this.tasks[index]?.name ?? EXTERNAL_TASK;
  }
}

/** TaskContext.sleep: virtual time, through the faked setTimeout. */
function sleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}
