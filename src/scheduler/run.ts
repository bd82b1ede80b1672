import { adoption, awaitNatively, NATIVE_PROMISE, promiseThen } from './adoption.js';
import { RunLocks, type LockObserver } from './locks.js';
import { isKnownError } from '../errors.js';
import type { NormalizedScenario, TaskContext, TaskResults } from '../scenario/types.js';
import type { Site } from '../site.js';
import { adoptCarried, VirtualClock, VirtualTimer } from './clock.js';
import { alea } from './rng.js';
import { context, eventPromises, real, type ActiveRun } from './context.js';
import { blockedLoopMessage, busyTimeoutMessage, checkTimeoutMessage, describeDeadlock, idleTimeoutMessage, maxStepsMessage } from './detectors.js';
import { createIoWatch, type IoWatch, type SettleOutcome } from './io.js';
import { settlingInStreamEvent } from './stream-events.js';
import { forgetEarlierAsks, liveWorkers, socketsAwaitingAnswer } from './thread-pool.js';
import { checkMessage, describeValue, evaluateCheck, isThenable } from './outcome.js';
import { createGate, DONE, Pause, WAITING, type TaskRecord } from './pause.js';
import { ReadyList } from './ready-list.js';
import { LAST_LOOK_TURNS, PhaseDeadlineError, runPhase, type PhaseHost } from './phases.js';
import type { RunObserver } from './observer.js';
import { listenToProcess, rejectionsEndTheProcess, reportRejectionsNow, type ProcessEventSink } from './process-events.js';
import { TraceRecorder, type BlockedTask, type RunError, type RunOutcome, type RunViolation } from './run-record.js';
import { runQueueWaitMs } from './run-queue.js';
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
  /** The lock advisor of the search, for the runs whose locks it reads (the search's own, not its replays). */
  readonly lockObserver?: LockObserver | undefined;
  /** Set only for the recording replay of a reported schedule (see observer.ts). */
  readonly observer?: RunObserver | undefined;
  /**
   * Leave out of a step's time, and of the run's, what the thread spent waiting for a CPU (run-queue.ts):
   * set for the replays that confirm a wall-clock verdict, so that a busy machine cannot confirm one.
   */
  readonly discountRunQueue?: boolean | undefined;
}

const EXTERNAL_TASK = '(external)';
/** The phase of a setup that overran, given its last chance to finish so that its work can be torn down. */
const CUT_OFF_SETUP = 'cut-off setup';
/** With a virtual timer pending, how long an idle run waits for a request in flight before the clock may move. */
const IDLE_PATIENCE_MS = 1000;
/** The longest real time one wait for I/O holds the next timer back (see catchUpMs). */
const CATCH_UP_MAX_MS = 2000;
/** The share of a run's timeout that waits for I/O may spend holding timers back, all together. */
const CATCH_UP_SHARE = 0.4;
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
  /** What this run's locks do (scheduler/locks.ts), when the search tracks them: the sync primitives' probes report here. */
  readonly locks: RunLocks | undefined;

  private readonly scenario: NormalizedScenario;
  private readonly tasks: TaskRecord[];
  private readonly contexts: TaskContext[];
  private external: TaskRecord | null = null;
  private current: TaskRecord | null = null;
  /** The continuations ready to run, and what each decision offers of them. */
  private readonly ready = new ReadyList((task) => this.tasks[task]?.settled ?? false);
  /** Pauses waiting on a pending value, in the order they started waiting (for deadlock and timeout reports). */
  private readonly waiting = new Set<Pause>();
  /** True from a step's start until its microtasks drained: pauses readied meanwhile are immediate. */
  private stepping = false;
  /** Counts pauses as they are made (Pause.created). */
  private pauseCount = 0;
  private readonly results: TaskResults = {};
  private unsettled: number;
  private state: unknown = undefined;
  private violation: RunViolation | null = null;
  /** The first step that held the event loop too long: a verdict to confirm, which does not stop the run. */
  private blockedLoop: RunViolation | undefined;
  /** Bumped whenever a pause is created or becomes ready, or a task settles: how waits notice activity. */
  private progress = 0;
  /** Took over the timers earlier runs left pending, at what would have been a deadlock or a stuck phase (once a run). */
  private adoptedCarried = false;
  private readonly trace = new TraceRecorder();
  private rejections: Map<Promise<unknown>, unknown> | undefined;
  private watch: IoWatch | undefined;
  private stepStartedAt = 0;
  /** Timers (immediates included) fired so far in the run. */
  private timersFired = 0;
  /** With discountRunQueue: the thread's wait for a CPU so far, read when the run and when its step began. */
  private queuedAtStart = 0;
  private queuedAtStep = 0;
  /** When teardown began (0 before): it has a timeout of its own, see phaseDeadline. */
  private teardownStartedAt = 0;
  /** When a setup that overran was given its last chance (endCutOffSetup). */
  private cutOffAt = 0;
  /** A clock reading the next decision may use instead of reading again (0: read again). */
  private reading = 0;
  private seenTicks = 0;
  private finishSchedule: (() => void) | undefined;
  private failSchedule: ((error: unknown) => void) | undefined;
  private mathRandom: (() => number) | undefined;
  /** Pauses waiting on a value racecheck's own primitives will not settle: only these can be waiting for I/O. */
  private externalWaits = 0;
  /** Whether anything in the run may have started real I/O (a wait on a value racecheck does not settle). */
  private touchedIo = false;
  /** The recording replay's observer (settings.observer), kept at hand: the hot path checks it every step. */
  private readonly observer: RunObserver | undefined;
  /** Whether real I/O was in flight at a decision (see RunRecord.realIo). */
  private sawIo = false;
  /** Real time waits for I/O have held the next timer back so far (see catchUpMs). */
  private caughtUpMs = 0;
  /** What the current step runs (for the lock advisor's site cache: see codeKey). */
  private fired: Candidate | null = null;

  constructor(private readonly settings: RunSettings) {
    this.scenario = settings.scenario;
    this.tasks = settings.scenario.tasks.map((task, index) => ({ index, name: task.name, fn: task.fn, settled: false }));
    this.unsettled = this.tasks.length;
    this.contexts = this.tasks.map((task) => ({ name: task.name, index: task.index, seed: settings.seed, sleep }));
    this.locks = settings.locks ? new RunLocks(this, settings.locks, settings.lockObserver) : undefined;
    const observer = settings.observer;
    this.observer = observer;
    if (observer) this.clock.onAdd = (timer) => observer.onTimer(timer);
  }

  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  async execute(): Promise<RunOutcome> {
    if (context.run !== null) throw new Error('racecheck: another run is already in progress in this thread');
    context.run = this;
    this.startedAt = real.performanceNow();
    if (this.settings.discountRunQueue) this.queuedAtStart = runQueueWaitMs();
    const flushing = this.settings.rejections !== 'batch';
    const stopListening = listenToProcess(this, flushing);
    let failure: RunError | null = null;
    let setUp = false;
    let state: unknown;
    try {
      const setup = this.scenario.setup;
      state = setup ? setup() : {};
      this.state = isThenable(state) ? await this.phase('setup', () => state) : state;
      setUp = true;
      if (this.observer) this.state = this.observer.watchState(this.state);
      this.watch = createIoWatch();
      this.startTasks();
      this.scheduling = true;
      try {
        await this.schedule();
      } finally {
        this.scheduling = false;
      }
      if (flushing) await this.flushRejections();
      this.observer?.endTasks();
      if (!this.violation && this.scenario.check) await this.runCheck(this.scenario.check);
    } catch (error) {
      failure = setUp
        ? { phase: 'scheduler', message: isKnownError(error) ? error.message : describeValue(error), cause: error }
        : { phase: 'setup', message: `setup failed: ${describeValue(error)}`, cause: error };
    } finally {
      this.scheduling = false;
      this.current = null;
      if (setUp && this.scenario.teardown) {
        try {
          await this.tearDown(this.state);
        } catch (error) {
          failure ??= { phase: 'teardown', message: `teardown failed: ${describeValue(error)}`, cause: error };
        }
      } else if (failure?.cause instanceof PhaseDeadlineError && failure.phase === 'setup' && isThenable(state)) {
        await this.endCutOffSetup(state);
      }
      this.clock.dispose();
      // Work a failed run left in flight must not land in the next one.
      if (this.touchedIo && this.watch?.busy()) await this.watch.settle(real.performanceNow() + 200);
      stopListening();
      context.run = null;
    }
    const tasks = this.tasks;
    const record = this.trace.toRecord((index) => tasks[index]?.name ?? EXTERNAL_TASK, this.sawIo);
    // A violation found before teardown failed is still the finding; the teardown error only explains less.
    if (failure && !(failure.phase === 'teardown' && this.violation)) return { status: 'error', record, error: failure };
    const violation = this.violation;
    const blockedLoop = this.blockedLoop && (!violation || violation.step >= this.blockedLoop.step) ? { blockedLoop: this.blockedLoop } : {};
    return { status: violation ? 'fail' : 'pass', record, violation, ...blockedLoop };
  }

  /** The run's Math.random: seeded from the run's seed, created on first use (most runs never call it). */
  random(): number {
    this.mathRandom ??= alea(`${this.settings.seed}:math`);
    return this.mathRandom();
  }

  currentTaskIndex(): number {
    return this.current?.index ?? this.tasks.length;
  }

  /** Steps taken so far; during a step, its 1-based number. */
  stepCount(): number {
    return this.trace.length;
  }

  /**
   * A number for the code running now that is the same whenever that code runs again (the lock advisor's
   * site cache): -1 in setup, -2 - i in task i's first step, the site's id in a step that resumed an await.
   */
  codeKey(): number {
    if (!this.scheduling) return this.trace.length === 0 ? -1 : NaN;
    const fired = this.fired;
    if (!this.stepping || fired === null || fired instanceof VirtualTimer) return NaN;
    const pause = fired as Pause;
    return pause.kind === 'start' ? -2 - pause.taskIndex : (pause.site?.id ?? NaN);
  }

  io(): IoWatch {
    return this.watch ?? createIoWatch();
  }

  /** Called by every instrumented await while tasks run: the task pauses until the strategy picks it. */
  pause(value: unknown, site: Site | undefined, iteration = false): Promise<unknown> {
    const observer = this.observer;
    const pause = new Pause('await', this.current ?? this.externalTask(), observer ? observer.pauseSite(site ?? null) : (site ?? null), this.trace.length);
    pause.created = ++this.pauseCount;
    pause.eventTied = iteration || (typeof value === 'object' && value !== null && eventPromises.has(value));
    observer?.onPause(pause);
    this.locks?.onPause(pause.taskIndex, this.trace.length);
    this.progress++;
    const gate = createGate(pause);
    const adopted = adoption(value);
    if (adopted !== null) {
      this.waiting.add(pause);
      if (adopted !== NATIVE_PROMISE || !isInternal(value as object)) {
        pause.external = true;
        this.externalWaits++;
        this.touchedIo = true;
      }
      const fulfilled = (result: unknown) => this.settle(pause, true, result);
      const rejected = (reason: unknown) => this.settle(pause, false, reason);
      if (adopted === NATIVE_PROMISE) void awaitNatively(value, fulfilled, rejected);
      else promiseThen.call(adopted.promise, fulfilled, rejected);
    } else {
      pause.value = value;
      // A value that is not a promise cannot stand for a latency: Node resumes these continuations of one
      // task first come first served (p-map counts on it), so racecheck offers only the oldest of them.
      pause.immediate = this.stepping;
      this.makeReady(pause);
    }
    return gate;
  }

  /** A timer's callback runs as the task that created it. */
  fireTimer(timer: VirtualTimer): void {
    this.clock.take(timer);
    this.current = timer.taskIndex < this.tasks.length ? this.tasks[timer.taskIndex]! : this.externalTask();
    try {
      const observer = this.observer;
      if (observer) timer.invoke((call) => observer.fireTimer(timer, call));
      else timer.invoke();
    } catch (error) {
      this.fail('exception', `a ${timer.timerKind} callback threw: ${describeValue(error)}`, undefined, error);
    }
  }

  noteRejection(promise: Promise<unknown>, reason: unknown, handled: boolean): void {
    if (handled) this.rejections?.delete(promise);
    else (this.rejections ??= new Map()).set(promise, reason);
    // Node reports at the end of a macrotask: one that ended while racecheck waited for I/O with no task
    // able to continue is where the program, run natively, would have been waiting too.
    if (!handled && this.scheduling && !this.stepping && this.ready.length === 0 && rejectionsEndTheProcess()) this.failUnhandled(reason);
  }

  noteUncaught(error: unknown): void {
    this.fail('exception', `uncaught exception: ${describeValue(error)}`, undefined, error);
  }

  private settle(pause: Pause, ok: boolean, value: unknown): void {
    if (context.run !== this || pause.state !== WAITING) return;
    this.waiting.delete(pause);
    pause.ok = ok;
    pause.value = value;
    if (!this.scheduling) {
      // The tasks are done, and check or teardown waits for work a task left behind (a background save it
      // awaits, an async listener's sleep): with no more steps to take, it resumes at once, as in Node.
      if (pause.external) this.externalWaits--;
      pause.resume();
      return;
    }
    if (settlingInStreamEvent()) pause.eventTied = true;
    this.makeReady(pause);
    if (pause.external) {
      this.externalWaits--;
      // Settled by I/O while racecheck waits for it: the task resumes before the next I/O callback.
      this.watch?.wake(pause.eventTied || !this.waitsOutside(pause.task));
    }
  }

  private makeReady(pause: Pause): void {
    this.ready.add(pause, this.timersFired);
    this.progress++;
  }

  private externalTask(): TaskRecord {
    this.external ??= { index: this.tasks.length, name: EXTERNAL_TASK, fn: () => undefined, settled: true };
    return this.external;
  }

  private startTasks(): void {
    for (const task of this.tasks) this.makeReady(new Pause('start', task, null, 0));
  }

  private async tearDown(state: unknown): Promise<void> {
    this.teardownStartedAt = real.performanceNow();
    const done = this.scenario.teardown!(state);
    if (isThenable(done)) await this.phase('teardown', () => done);
  }

  /**
   * A setup cut off at its deadline goes on running, and what it starts (a server on a fixed port, a child
   * process) would stand in the way of the run that starts again (confirm.ts) and outlive the scenario: it
   * gets one more timeoutMs to finish, and what it set up is torn down. Its errors are not the run's: the
   * overrun is.
   */
  private async endCutOffSetup(setup: PromiseLike<unknown>): Promise<void> {
    this.cutOffAt = real.performanceNow();
    try {
      const state = await this.phase(CUT_OFF_SETUP, () => setup);
      if (this.scenario.teardown) await this.tearDown(state);
    } catch {
      // Still running, or failed: nothing more to end.
    }
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
    let thrown: unknown;
    const message = isThenable(result)
      ? await evaluateCheck(() => this.phase('check', () => result), (error) => (thrown = error))
      : checkMessage(result);
    if (message === null) return;
    // Overrunning the run's time is a timeout, confirmed by replaying as every wall-clock verdict is, not a failed check.
    if (thrown instanceof PhaseDeadlineError) this.fail('timeout', checkTimeoutMessage(this.settings.timeoutMs));
    else this.fail('check', message, undefined, thrown);
  }

  /** Runs the step loop; resolves when every task settled and nothing is runnable, or a violation stops it. */
  private schedule(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.finishSchedule = resolve;
      this.failSchedule = reject;
      // Every decision is taken in a nextTick callback, never in a promise job: the nextTicks a step
      // queues must run before its promise reactions, as they do when Node runs a callback.
      real.nextTick(this.decide);
    });
  }

  /** One decision: pick a candidate, record it, run it; or end the run, or wait for I/O or the clock. */
  private readonly decide = (): void => {
    try {
      const { strategy, maxSteps, timeoutMs } = this.settings;
      for (;;) {
        if (this.violation) return this.finishSchedule!();
        const count = this.ready.offer(this.clock, this.timersFired);
        if (this.ready.length === 0 && (count > 0 || this.unsettled > 0) && this.rejectedUnhandled()) return this.finishSchedule!();
        if (count === 0) {
          // Fire-and-forget work that can only continue later is dropped once every task settled.
          if (this.unsettled === 0) return this.finishSchedule!();
          // No decision follows the drain at once: the loop waits for I/O, takes its last looks or moves the
          // clock first. The drain's clock reading is for a decision right after it; used after a wait, the
          // wait (a peer's 300 ms answer) would count as the next step's own time, a blocked loop that is not.
          this.reading = 0;
          if (this.ioMayWake()) {
            this.sawIo = true;
            this.waitForIo(true).then(this.afterIdleWait, this.failSchedule);
            return;
          }
          if (this.advanceClock()) continue;
          return this.lastLook();
        }
        if (this.trace.length >= maxSteps) {
          this.fail('max-steps', maxStepsMessage(maxSteps));
          continue;
        }
        // The drain of the step before read the clock, unless nothing could run after it (cleared above).
        const now = this.reading || real.performanceNow();
        this.reading = 0;
        if (now - this.startedAt - this.queuedSince(this.queuedAtStart) > timeoutMs) {
          this.fail('timeout', busyTimeoutMessage(timeoutMs, this.trace.length));
          continue;
        }
        const candidates = this.ready.offered;
        const index = strategy.choose(candidates, this.trace.length, candidates === this.ready.pauses ? this.ready.index : undefined);
        const chosen = candidates[index];
        if (!Number.isInteger(index) || chosen === undefined) {
          throw new Error(`strategy ${strategy.name} chose ${index} among ${count} candidates`);
        }
        const kind = this.trace.add(index, count, chosen as Pause | VirtualTimer, this.canContinue);
        this.observer?.beforeStep(this.trace.length, chosen);
        this.settings.onStep?.(this.trace.length, chosen.taskIndex, kind, chosen instanceof VirtualTimer ? null : (chosen as Pause).site, index, count);
        this.seenTicks = context.userTicks;
        this.stepStartedAt = now;
        if (this.settings.discountRunQueue) this.queuedAtStep = runQueueWaitMs();
        this.fire(chosen);
        RESOLVED.then(this.armDrain);
        return;
      }
    } catch (error) {
      this.failSchedule!(error);
    }
  };

  /** Whether `task` had a candidate of its own at this decision (the trace's preemption rule asks). */
  private readonly canContinue = (task: number): boolean => this.ready.offeredTo(task);

  /** Moves the clock to the next timer Node would fire (see hasLiveTimer); false if there is none. */
  private advanceClock(): boolean {
    if (!this.hasLiveTimer()) return false;
    this.clock.advance();
    return true;
  }

  /**
   * Whether a pending timer would fire in Node: one that keeps the event loop alive, or an unref'd one while
   * I/O this run evidently waits for keeps the loop alive anyway (got's and many clients' request timeouts
   * are unref'd: against a slow server they fire on time). With nothing else left, an unref'd timer never
   * fires: Node would have nothing to do.
   */
  private hasLiveTimer(): boolean {
    if (this.clock.hasReferenced()) return true;
    return this.clock.pending > 0 && (this.watch!.requesting() || this.evidentIo());
  }

  /**
   * Nothing can run, nothing is in flight, no timer is pending: a deadlock, unless a turn of the event loop
   * still brings something. A handle's close callback comes in the loop's close phase, after the check phase
   * where an immediate runs, and an unref'd handle (a pool's idle socket) is not among the active resources:
   * so a few real turns first, each one giving every phase its go, before the run is called a deadlock.
   * Nor is it one while a timer of an earlier run is pending: that run ended before it fired, and in Node
   * it still would (a module-level batcher's flush); the run takes such timers over and goes on.
   */
  private lastLook(turn = 0): void {
    const before = this.progress;
    const from = this.ready.length;
    real.setImmediate(() => {
      real.nextTick(() => {
        if (context.run !== this) return;
        try {
          if (this.violation) return this.finishSchedule!();
          this.ready.orderLanded(from);
          if (this.progress !== before || this.offeredAny() || this.ioMayWake() || this.clock.hasReferenced()) return this.decide();
          if (turn + 1 < LAST_LOOK_TURNS) return this.lastLook(turn + 1);
          // Timers an earlier run left pending would still fire in Node: a wait on one is no deadlock.
          if (this.adoptCarried()) return this.decide();
          this.reportDeadlock();
          this.finishSchedule!();
        } catch (error) {
          this.failSchedule!(error);
        }
      });
    });
  }

  /**
   * Whether I/O may still wake a task: a request in flight always lands first; open handles matter to a task
   * waiting on a value racecheck does not settle, or to code the I/O runs (handles opened during the run).
   */
  private ioMayWake(): boolean {
    const watch = this.watch!;
    if (watch.requesting()) return true;
    if (!watch.busy()) return false;
    if (watch.grew()) return true;
    if (!this.waitsOutside()) return false;
    // Only handles open since before the run: with a timer to move to, wait only for one that was asked
    // something (sockets another run or test file left open must not cost every move of the clock a wait).
    return !this.clock.hasReferenced() || this.evidentIo();
  }

  /** A client socket written to and not answered yet, or a worker thread alive. */
  private evidentIo(): boolean {
    return socketsAwaitingAnswer() > 0 || liveWorkers() > 0;
  }

  /**
   * I/O this run evidently has under way: a request in flight, or handles open and either opened during the
   * run, or a socket asked something, or a worker alive. Sockets merely open (left by an earlier run or
   * another test file) are not: they must not cost each step a wait, nor turn a virtual sleep into a real one.
   */
  private ioUnderWay(watch = this.watch!): boolean {
    return watch.requesting() || (watch.busy() && (watch.grew() || this.evidentIo()));
  }

  holdTimerUntil(io: IoWatch, now: number): number {
    return this.ioUnderWay(io) ? now + this.catchUpMs() : 0;
  }

  heldTimer(since: number, holdUntil: number): void {
    const now = real.performanceNow();
    this.caughtUpMs += Math.min(now, holdUntil) - since;
    // A hold that ran its length gave what earlier runs asked its chance to be answered.
    if (now >= holdUntil) forgetEarlierAsks();
  }

  /** Whether a candidate is there now (a pause made ready, a due timer). */
  private offeredAny(): boolean {
    return this.ready.length > 0 || this.clock.hasDue();
  }

  /** An idle wait for I/O ended: go on if something became ready, else move the clock, or report the hang. */
  private readonly afterIdleWait = (outcome: SettleOutcome): void => {
    real.nextTick(() => {
      if (outcome === 'progress') return this.decide();
      if (outcome === 'requests' || outcome === 'handles') {
        this.fail('timeout', idleTimeoutMessage(this.settings.timeoutMs, outcome, this.blockedTasks()));
        return this.finishSchedule!();
      }
      if (this.advanceClock()) this.decide();
      else this.lastLook();
    });
  };

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
   * The step is over: it ran from its decision until its microtasks drained, and nothing of racecheck's
   * own waiting is in that time. Then I/O it started may land, and the invariant is checked.
   */
  private afterStep(): void {
    this.current = null;
    this.stepping = false;
    this.observer?.afterStep();
    const now = real.performanceNow();
    const blockedMs = now - this.stepStartedAt - this.queuedSince(this.queuedAtStep);
    if (blockedMs > this.settings.maxBlockingMs && !this.violation && !this.blockedLoop) {
      // Noted, not acted on: the run goes on exactly as it would have on an idle machine, and the search
      // replays the schedule to see whether the step blocks again before it reports anything.
      const last = this.trace.lastStep()!;
      const message = blockedLoopMessage(this.trace.length, this.taskName(last.taskIndex), last.site, blockedMs, this.settings.maxBlockingMs);
      this.blockedLoop = { kind: 'blocked-loop', message, step: this.trace.length };
      this.locks?.onBlockingStep(last.taskIndex, this.trace.length, last.site, blockedMs, this.settings.maxBlockingMs);
    }
    // Only a pause waiting on a pending value (not a racecheck lock or event) can be made ready by I/O landing.
    // None is let in while a continuation tied to an emitter's event is ready (Pause.eventTied): Node runs it
    // before the next I/O callback, and held past one it misses what that callback emits (a request's
    // 'close' right after its body's end). A plain await ready meanwhile stands for a latency.
    if (!this.violation && this.externalWaits > 0 && !this.eventTiedReady() && this.ioUnderWay()) {
      this.sawIo = true;
      this.waitForIo(false).then(this.afterIoWait, this.failSchedule);
      return;
    }
    this.reading = now;
    this.afterIo();
  }

  adoptCarried(): boolean {
    if (this.adoptedCarried) return false;
    this.adoptedCarried = true;
    return adoptCarried(this.clock, this.tasks.length) > 0;
  }

  /**
   * Until when setup, check or teardown may wait: the run's deadline, moved on by the thread's waits for a
   * CPU in a confirming replay, as a step's is. Teardown has at least its own timeoutMs from when it began:
   * it ends what the run started (servers, child processes), and after a run that took its whole time (a
   * timeout, or a busy machine) it would otherwise be cut off at its first await and leave them running.
   */
  phaseDeadline(phase: string): number {
    const deadline = this.startedAt + this.settings.timeoutMs + this.queuedSince(this.queuedAtStart);
    if (phase === CUT_OFF_SETUP) return this.cutOffAt + this.settings.timeoutMs;
    return phase === 'teardown' ? Math.max(deadline, this.teardownStartedAt + this.settings.timeoutMs) : deadline;
  }

  /** How long the thread has waited for a CPU since `queuedAt` was read; 0 unless discountRunQueue. */
  private queuedSince(queuedAt: number): number {
    return this.settings.discountRunQueue ? runQueueWaitMs() - queuedAt : 0;
  }

  private eventTiedReady(): boolean {
    for (const pause of this.ready.pauses) if (pause.eventTied) return true;
    return false;
  }

  /** A wait for the step's I/O ended; one that ran into the run's deadline with I/O still in flight is a hang. */
  private readonly afterIoWait = (outcome: SettleOutcome): void => {
    if ((outcome === 'requests' || outcome === 'handles') && real.performanceNow() >= this.startedAt + this.settings.timeoutMs) {
      this.fail('timeout', idleTimeoutMessage(this.settings.timeoutMs, outcome, this.blockedTasks()));
    }
    real.nextTick(this.afterIo);
  };

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
    this.reading = 0;
    evaluateCheck(() => result).then((message) => {
      this.scheduling = true;
      if (message !== null) this.fail('invariant', message);
      real.nextTick(this.decide);
    }, this.failSchedule);
  };

  /**
   * The candidates of this decision: the ready pauses, but of a task's immediate ones only the oldest (see
   * Pause.immediate), then the due timers Node could fire next. Sets `offered` to the array they are in.
   */
  private fire(chosen: Candidate): void {
    this.stepping = true;
    this.fired = chosen;
    // A continuation or a timer's callback: either runs its task's code (a lock it holds spans steps).
    this.locks?.onStep(chosen.taskIndex, this.trace.length);
    if (chosen instanceof VirtualTimer) {
      this.timersFired++;
      this.fireTimer(chosen);
      return;
    }
    const pause = chosen as Pause;
    this.ready.remove(pause);
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
      const observer = this.observer;
      const ctx = this.contexts[task.index]!;
      result = observer ? observer.startTask(task.index, () => task.fn(this.state, ctx)) : task.fn(this.state, ctx);
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
    this.locks?.onTaskEnd(task.index);
    this.unsettled--;
    this.progress++;
    this.results[task.name] = ok ? { status: 'fulfilled', value } : { status: 'rejected', reason: value };
    if (!ok && !this.scenario.allowRejections) this.fail('exception', `task ${task.name} rejected: ${describeValue(value)}`, undefined, value);
  }

  /**
   * Lets real I/O land before the next decision, so which tasks are ready does not depend on how fast the
   * disk or the network answered: a request in flight (file system, DNS, zlib, crypto) is always waited
   * for, up to the run's deadline. `idle`: nothing else can run, so open sockets get longer to answer. If
   * a virtual timer would keep the event loop alive, the clock may move once they stayed quiet, and after
   * a second at most (the I/O then stands for a latency that long). If none would, only I/O can wake a
   * task: the wait lasts until something lands, or the run's deadline makes it a timeout. (Quiet sockets
   * are no deadlock: a server may take its time to answer.)
   */
  private async waitForIo(idle: boolean): Promise<SettleOutcome> {
    const from = this.ready.length;
    try {
      return await this.settleIo(idle);
    } finally {
      this.ready.orderLanded(from);
    }
  }

  private async settleIo(idle: boolean): Promise<SettleOutcome> {
    const before = this.progress;
    // A timer an I/O callback arms (a client's next write queued with setImmediate, a timeout armed when the
    // first reply came) is progress too: it may be due now, or it changes what the wait may hold back.
    const armed = this.clock.armed;
    const progressed = (): boolean => this.progress !== before || this.clock.armed !== armed;
    const deadline = this.startedAt + this.settings.timeoutMs;
    const timer = idle && this.hasLiveTimer();
    const outside = idle && this.waitsOutside();
    const now = real.performanceNow();
    // Held back only for I/O this run evidently waits for (see ioUnderWay).
    const holdUntil = timer && outside && this.ioUnderWay() ? now + this.catchUpMs() : 0;
    const limit = timer ? Math.min(deadline, Math.max(now + IDLE_PATIENCE_MS, holdUntil)) : deadline;
    const patience = !idle ? 'eager' : timer || !outside ? 'patient' : 'until-deadline';
    const outcome = await this.watch!.settle(limit, progressed, patience, holdUntil);
    if (holdUntil > 0) this.heldTimer(now, holdUntil);
    if ((outcome === 'requests' || outcome === 'handles') && limit < deadline) return 'quiet';
    return outcome;
  }

  /**
   * How long real I/O may keep the next timer from firing: as long as the timer would really take, up to
   * CATCH_UP_MAX_MS, within a share of the run's timeout for the whole run. A request answered in 300 ms
   * beats a 5 s timeout made of setTimeout, as it does without racecheck; a request never answered loses
   * to it. (Timers the program sets inside code racecheck does not instrument look the same, and the budget
   * keeps their real cost bounded.)
   */
  private catchUpMs(): number {
    const next = this.clock.peek();
    if (!next) return 0;
    const budget = this.settings.timeoutMs * CATCH_UP_SHARE - this.caughtUpMs;
    return Math.max(0, Math.min(next.due - this.clock.now, CATCH_UP_MAX_MS, budget));
  }

  /**
   * Whether a continuation waits on something racecheck does not settle: a pending value at an await, or, for
   * an unfinished task with no await waiting and none ready, the promise it returned (a call into code that
   * is not instrumented). `except`: that task's own call does not count.
   */
  private waitsOutside(except?: TaskRecord): boolean {
    if (this.externalWaits > 0) return true;
    if (this.unsettled === 0) return false;
    const waiting = new Set<TaskRecord>();
    for (const pause of this.waiting) waiting.add(pause.task);
    return this.tasks.some((task) => task !== except && !task.settled && !waiting.has(task) && this.ready.countOf(task.index) === 0);
  }

  private reportDeadlock(): void {
    const blocked = this.blockedTasks();
    this.fail('deadlock', describeDeadlock(blocked), blocked);
  }

  /** Every unfinished task and the awaits it waits at, innermost first. */
  private blockedTasks(): BlockedTask[] {
    const sites = new Map<TaskRecord, Site[]>();
    for (const pause of this.waiting) {
      if (pause.site === null) continue;
      const list = sites.get(pause.task);
      if (list) list.push(pause.site);
      else sites.set(pause.task, [pause.site]);
    }
    return this.tasks.filter((task) => !task.settled).map((task) => ({ task: task.name, sites: sites.get(task)?.reverse() ?? [] }));
  }

  /**
   * No task can continue: what runs next is a timer's callback or I/O's, a new macrotask for Node, which
   * reports there the rejections nothing handled and, by default, ends the process. A handler added later
   * (the task awaits the promise after a sleep) comes too late: `const a = fetchA(); await fetchB(); await
   * a` crashes when fetchA fails first. Node is made to report them now; one still unhandled is the
   * violation. (In a batch of runs the batch's listener sees it, and the batch's replay reports it.)
   */
  private rejectedUnhandled(): boolean {
    if (!rejectionsEndTheProcess()) return false;
    reportRejectionsNow();
    const first = this.rejections?.values().next();
    if (first && !first.done) this.failUnhandled(first.value);
    return this.violation !== null;
  }

  private failUnhandled(reason: unknown): void {
    this.fail('unhandled-rejection', `unhandled rejection: ${describeValue(reason)} (nothing handled it by the time every task waited for a timer or I/O, where Node reports it and ends the process)`, undefined, reason);
  }

  /** A macrotask turn lets Node report rejections that nothing handled; those still unhandled are violations. */
  private async flushRejections(): Promise<void> {
    await new Promise((resolve) => real.setImmediate(resolve));
    const first = this.rejections?.values().next();
    if (first && !first.done && !this.violation) this.fail('unhandled-rejection', `unhandled rejection: ${describeValue(first.value)}`, undefined, first.value);
  }

  /** `cause`: the error or rejection reason behind it, for the report's stack. */
  private fail(kind: ViolationKind, message: string, blocked?: readonly BlockedTask[], cause?: unknown): void {
    if (this.violation) return;
    const step = this.trace.length;
    const violation: RunViolation = blocked ? { kind, message, step, blocked } : { kind, message, step };
    this.violation = cause === undefined ? violation : { ...violation, cause };
  }

  private taskName(index: number): string {
    return this.tasks[index]?.name ?? EXTERNAL_TASK;
  }
}

/** TaskContext.sleep: virtual time, through the faked setTimeout. */
function sleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}
