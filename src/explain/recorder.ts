/**
 * The recording replay's observer: it assigns every step, and every access to shared state, to the lane
 * that really ran it, and keeps the accesses in order.
 *
 * Lanes follow Node's async context (AsyncLocalStorage): a task's start runs inside the task's lane, and
 * everything its code awaits or schedules inherits it, so a continuation that runs inside another task's
 * step (a library's mutex handing over, say) is still charged to its own task. Code entered from a
 * callback that no task awaited gets an *activity* lane of its own, named after what started it:
 * - a timer callback (`setTimeout 10ms`), origin: the lane that created the timer;
 * - an event emitted from outside any step (I/O) by an emitter no lane's code made, such as a server's
 *   `request` (`GET /add`, always) or a `listener "data"`, origin: for a request, the lane that last wrote to the client's end of the
 *   connection (over loopback both ends are in this process); otherwise the lane of the step whose I/O
 *   it answers (racecheck lets a step's I/O land before the next decision);
 * - a job a library runs for whoever handed it over (p-queue's queued jobs, async-mutex's runExclusive
 *   callbacks: libraries.ts), origin: that lane;
 * - anything else that runs between steps without a lane (`callback`).
 * None of this changes what the program does or which candidates the strategy sees: lanes only change
 * what the trace says.
 */
import { AsyncLocalStorage, executionAsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Site, SiteRef } from '../site.js';
import { VirtualTimer } from '../scheduler/clock.js';
import { context } from '../scheduler/context.js';
import type { RunObserver } from '../scheduler/observer.js';
import type { Pause } from '../scheduler/pause.js';
import { registerCallSite } from '../scheduler/runtime.js';
import type { Candidate } from '../scheduler/types.js';
import { watchCollections } from './collections.js';
import { watchFiles } from './files.js';
import { calledFromUserCode, callerFrame, siteOf } from './sites.js';
import type { RenderedAccess } from './access.js';
import { StateTracker, type AccessLog } from './state.js';

export interface Lane {
  readonly id: number;
  readonly kind: 'task' | 'activity';
  /** The task's name, or what started the activity (`GET /add`); made unique when the trace is named. */
  readonly label: string;
  /** The lane whose step created this activity; null for a task (or an activity of setup). */
  readonly origin: Lane | null;
  /** A timer's callback whose timer an earlier run left pending (clock.ts adoptCarried): no lane created it. */
  readonly carried?: true;
}

export interface RecordedAccess extends Omit<RenderedAccess, 'site'> {
  /** Order of the accesses, across steps and lanes. */
  readonly seq: number;
  /** The step it belongs to: the step running, or the last one when it ran between steps (its I/O). */
  readonly step: number;
  readonly lane: Lane;
  readonly site: SiteRef | null;
}

/** How many accesses one replay keeps; beyond, the explanation says the recording was cut. */
const MAX_ACCESSES = 200_000;

export class Recorder implements RunObserver, AccessLog {
  readonly tasks: readonly Lane[];
  readonly accesses: RecordedAccess[] = [];
  /** Reads the check made: what the verdict depends on. */
  readonly checkKeys = new Set<string>();
  /** The lane of each step (index: step − 1). */
  readonly stepLanes: Lane[] = [];
  /** More accesses than the recording keeps were made: the later ones are missing. */
  truncated = false;
  /** Set when an internal error stopped the recording: nothing it has is to be trusted. */
  failed = false;
  readonly tracker: StateTracker;

  private readonly store = new AsyncLocalStorage<Lane>();
  private readonly pauseLanes = new WeakMap<Pause, Lane>();
  private readonly timerCreators = new WeakMap<VirtualTimer, { readonly lane: Lane; readonly user: boolean }>();
  private readonly timerLanes = new WeakMap<VirtualTimer, Lane>();
  private nextLane = 0;
  private step = 0;
  private inStep = false;
  private stepLane: Lane | null = null;
  /** The lane of code running between two steps without one of its own (reset at every step). */
  private gapLane: Lane | null = null;
  /** Depth of activities started by an emit that are running synchronously now. */
  private emitting = 0;
  private phase: 'tasks' | 'check' = 'tasks';
  private restores: (() => void)[] = [];
  /** Sockets written to during the replay, and the lane that wrote last: who sent a request over loopback. */
  private readonly sockets = new Set<object>();
  private readonly writers = new WeakMap<object, Lane>();

  constructor(taskNames: readonly string[], private readonly rootName: string) {
    this.tasks = taskNames.map((name) => this.lane('task', name, null));
    this.tracker = new StateTracker(this);
  }

  /** Installs what the replay needs process-wide; `stop` takes all of it down again. */
  start(): void {
    context.tracker = this.tracker;
    this.restores.push(() => {
      context.tracker = null;
    });
    this.restores.push(watchCollections(this.tracker));
    this.restores.push(watchFiles((access) => this.tracker.note(access)));
    this.restores.push(this.watchEmits());
    this.restores.push(this.watchSocketWrites());
  }

  stop(): void {
    for (let i = this.restores.length - 1; i >= 0; i--) {
      try {
        this.restores[i]!();
      } catch {
        this.failed = true;
      }
    }
    this.restores = [];
    this.sockets.clear();
    this.tracker.restore();
    this.store.disable();
  }

  /** The lane running now. */
  current(): Lane {
    const lane = this.store.getStore();
    if (lane) return lane;
    if (this.inStep && this.stepLane) return this.stepLane;
    this.gapLane ??= this.lane('activity', gapLabel(), this.lastLane());
    return this.gapLane;
  }

  // RunObserver

  watchState(state: unknown): unknown {
    return this.guard(() => this.tracker.watchRoot(state, this.rootName), state);
  }

  startTask<T>(taskIndex: number, start: () => T): T {
    const lane = this.tasks[taskIndex];
    return lane ? this.store.run(lane, start) : start();
  }

  pauseSite(site: Site | null): Site | null {
    // racecheck's own scheduling points (inside Lock.runExclusive, ...) have line 0: name the user's call instead.
    if (site === null || site.line !== 0) return site;
    return this.guard(() => {
      const frame = callerFrame();
      if (!frame) return site;
      const ref = siteOf(frame);
      return registerCallSite(frame.file, ref.line, ref.column, ref.text);
    }, site);
  }

  onPause(pause: Pause): void {
    this.pauseLanes.set(pause, this.current());
  }

  onTimer(timer: VirtualTimer): void {
    this.timerCreators.set(timer, { lane: this.current(), user: this.guard(calledFromUserCode, false) });
  }

  beforeStep(step: number, chosen: Candidate): void {
    this.step = step;
    this.inStep = true;
    this.gapLane = null;
    const lane = chosen instanceof VirtualTimer ? this.timerLane(chosen) : (this.pauseLanes.get(chosen as Pause) ?? this.tasks[chosen.taskIndex] ?? this.current());
    this.stepLane = lane;
    this.stepLanes[step - 1] = lane;
  }

  fireTimer(timer: VirtualTimer, fire: () => void): void {
    this.store.run(this.timerLane(timer), fire);
  }

  afterStep(): void {
    this.inStep = false;
    this.gapLane = null;
  }

  endTasks(): void {
    this.phase = 'check';
  }

  // AccessLog

  note(access: RenderedAccess): void {
    if (this.phase === 'check') {
      this.checkKeys.add(access.key);
      return;
    }
    if (this.step === 0) return;
    if (this.accesses.length >= MAX_ACCESSES) {
      this.truncated = true;
      return;
    }
    let site: SiteRef | null = access.site ?? null;
    if (!access.site) {
      const frame = callerFrame();
      site = frame ? siteOf(frame) : null;
    }
    this.accesses.push({ ...access, site, seq: this.accesses.length, step: this.step, lane: this.current() });
  }

  laneId(): number {
    return this.current().id;
  }

  job(label: string, fn: Function): Function {
    const lane = this.lane('activity', label, this.current());
    const store = this.store;
    return function (this: unknown, ...args: unknown[]): unknown {
      return store.run(lane, () => fn.apply(this, args));
    };
  }

  // Lanes

  private lane(kind: Lane['kind'], label: string, origin: Lane | null): Lane {
    return { id: this.nextLane++, kind, label, origin };
  }

  private lastLane(): Lane | null {
    return this.step > 0 ? (this.stepLanes[this.step - 1] ?? null) : null;
  }

  /**
   * A timer that only wakes a waiting lane fires in that lane, and so does one a library or racecheck's
   * own primitives set on behalf of their caller; a callback the user's code scheduled is an activity.
   */
  private timerLane(timer: VirtualTimer): Lane {
    let lane = this.timerLanes.get(timer);
    if (!lane && timer.adopted && !this.timerCreators.has(timer)) {
      lane = { ...this.lane('activity', timerLabel(timer), null), carried: true };
      this.timerLanes.set(timer, lane);
    }
    if (!lane) {
      const creator = this.timerCreators.get(timer) ?? { lane: this.current(), user: false };
      lane = timer.wakes || !creator.user || isSettler(timer.callback) ? creator.lane : this.lane('activity', timerLabel(timer), creator.lane);
      this.timerLanes.set(timer, lane);
    }
    return lane;
  }

  /**
   * Events emitted from outside any step come from I/O: their listeners run in an activity of their own
   * (one per emit; a server's request in one named after the request). Inside a step, or inside such an
   * activity, an emit is just a call, and its listeners belong to whoever emitted.
   */
  private watchEmits(): () => void {
    const original = EventEmitter.prototype.emit;
    const recorder = this;
    EventEmitter.prototype.emit = function emit(this: EventEmitter, type: string | symbol, ...args: unknown[]): boolean {
      const request = type === 'request' ? asRequest(args[0]) : undefined;
      // An emitter made in a lane's code (a client socket, say) works for that lane: its events stay there.
      const inherited = !request && recorder.store.getStore() !== undefined;
      if (recorder.inStep || inherited || (recorder.emitting > 0 && !request) || this.listenerCount(type) === 0) return original.call(this, type, ...args);
      // A socket's events belong to the lane that uses it (wrote to it last): the client's end of a request.
      const owner = request ? undefined : recorder.writers.get(this);
      const label = request ? `${request.method ?? 'request'} ${request.url ?? ''}`.trim() : `listener ${JSON.stringify(String(type))}`;
      const lane = owner ?? recorder.lane('activity', label, (request && recorder.sender(request)) ?? recorder.lastLane());
      recorder.emitting++;
      try {
        return recorder.store.run(lane, () => original.call(this, type, ...args));
      } finally {
        recorder.emitting--;
      }
    };
    return () => {
      EventEmitter.prototype.emit = original;
    };
  }

  /** Notes who writes to each socket (the client's end of a loopback connection names who sent a request). */
  private watchSocketWrites(): () => void {
    const { Socket } = createRequire(import.meta.url)('node:net') as typeof import('node:net');
    const proto = Socket.prototype as unknown as Record<string, unknown>;
    const own = Object.getOwnPropertyDescriptor(proto, 'write');
    const original = proto.write as (this: object, ...args: unknown[]) => unknown;
    const recorder = this;
    proto.write = function write(this: object, ...args: unknown[]): unknown {
      const lane = recorder.store.getStore() ?? (recorder.inStep ? recorder.stepLane : null);
      if (lane) {
        recorder.sockets.add(this);
        recorder.writers.set(this, lane);
      }
      return original.apply(this, args);
    };
    return () => {
      if (own) Object.defineProperty(proto, 'write', own);
      else delete proto.write;
    };
  }

  /** The lane that sent `request` from this process: the last writer of the connection's other end. */
  private sender(request: { readonly socket?: unknown }): Lane | undefined {
    const socket = request.socket as { remotePort?: number; remoteAddress?: string; localPort?: number } | undefined;
    if (!socket?.remotePort) return undefined;
    for (const candidate of this.sockets) {
      const end = candidate as { localPort?: number; remotePort?: number; localAddress?: string };
      if (end.localPort === socket.remotePort && end.remotePort === socket.localPort && end.localAddress === socket.remoteAddress) return this.writers.get(candidate);
    }
    return undefined;
  }

  private guard<T>(work: () => T, fallback: T): T {
    try {
      return work();
    } catch {
      this.failed = true;
      return fallback;
    }
  }
}

/** node:http's IncomingMessage, told by its shape (loading node:http for instanceof would slow every start-up). */
function asRequest(value: unknown): { readonly method?: string; readonly url?: string; readonly socket?: unknown } | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const request = value as { method?: unknown; url?: unknown; headers?: unknown };
  return typeof request.method === 'string' && typeof request.url === 'string' && typeof request.headers === 'object' ? (request as { method: string; url: string }) : undefined;
}

/** A promise's resolve or reject function: a timer that calls it straight away only ends a wait. */
function isSettler(callback: unknown): boolean {
  return typeof callback === 'function' && callback.name === '' && !('prototype' in callback) && /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(callback));
}

function timerLabel(timer: VirtualTimer): string {
  if (timer.timerKind === 'immediate') return 'setImmediate';
  return `${timer.timerKind === 'interval' ? 'setInterval' : 'setTimeout'} ${timer.delay}ms`;
}

/** What runs between steps without a lane: named after the kind of callback Node is running, if it says. */
function gapLabel(): string {
  const resource = executionAsyncResource() as { constructor?: { name?: string } } | undefined;
  const name = resource?.constructor?.name ?? '';
  if (/^FSReq/.test(name)) return 'fs callback';
  if (/TCP|Pipe|Stream|Socket/.test(name)) return 'socket callback';
  if (/Immediate/.test(name)) return 'setImmediate callback';
  return 'callback';
}

