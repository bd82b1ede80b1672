/**
 * A pause: a task waiting at a scheduling point (its start, or an instrumented await) until the strategy
 * picks it. The await itself waits on a gate promise that only the scheduler settles.
 */
import type { Site } from '../site.js';
import type { TaskContext } from '../scenario/types.js';
import type { Candidate } from './types.js';

/** Waiting for its value to settle; ready to be picked; picked (or abandoned). */
export const WAITING = 0;
export const READY = 1;
export const DONE = 2;
export type PauseState = typeof WAITING | typeof READY | typeof DONE;

export interface TaskRecord {
  readonly index: number;
  readonly name: string;
  readonly fn: (state: unknown, ctx: TaskContext) => unknown;
  settled: boolean;
}

/** A task waiting to start, or to resume after an await: one continuation the scheduler may pick. */
export class Pause implements Candidate {
  state: PauseState = WAITING;
  ok = true;
  value: unknown = undefined;
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((reason: unknown) => void) | undefined = undefined;
  /** Waiting on a value that is not one of racecheck's own primitives (it may depend on I/O). */
  external = false;
  /**
   * It awaited a value that is not a promise, during a step: Node resumes such continuations of one task
   * first come first served, so only its oldest is offered. (An awaited promise may stand for a latency,
   * however soon it settled here: those stay free scheduling points.)
   */
  immediate = false;
  readonly taskIndex: number;
  /** Its place in the run's ready list while it is ready (the list is unordered: removal swaps in the last). */
  slot = -1;
  /** When it became ready, counted over the run: ages compare by this. */
  seq = 0;
  /** When it paused, counted over the run: pauses that I/O readied in one wait are ordered by this. */
  created = 0;
  /**
   * Waiting on an emitter's event: a `for await` loop's next value (a stream's iterator), `events.once`, or a
   * promise that a stream's event to a `once` listener settled (stream-events.ts).
   * When it comes is the emitter's I/O, and the emitter's later events follow from the same I/O (a stream's
   * 'close' after its 'end', a child's 'close' after its exit): I/O let in while such a continuation is
   * ready fires them before it could attach to them, which Node never does. So it resumes before the next
   * I/O callback. A plain await may stand for a latency of any length: I/O may land while it is ready.
   */
  eventTied = false;
  /** How many timers the run had fired when it became ready (see Run's MAX_OVERTAKES). */
  readyAtTimer = 0;

  constructor(
    readonly kind: 'start' | 'await',
    readonly task: TaskRecord,
    readonly site: Site | null,
    /** The number of steps taken when it paused. */
    readonly step: number,
  ) {
    this.taskIndex = task.index;
  }

  /** Resumes the task where it paused: with the value its await settled to, or by throwing the reason. */
  resume(): void {
    this.state = DONE;
    if (this.ok) this.resolve!(this.value);
    else this.reject!(this.value);
  }
}

// The gate's executor is shared: a closure per await would be garbage per step.
let gateFor: Pause | undefined;
function gateExecutor(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  gateFor!.resolve = resolve;
  gateFor!.reject = reject;
}

/** The promise the paused await waits on; `pause.resume()` settles it. */
export function createGate(pause: Pause): Promise<unknown> {
  gateFor = pause;
  const gate = new Promise<unknown>(gateExecutor);
  gateFor = undefined;
  return gate;
}
