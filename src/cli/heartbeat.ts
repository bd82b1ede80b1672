import type { StepKind } from '../scheduler/types.js';

/**
 * A few integers the child's main thread writes at every step into memory its watchdog thread reads even
 * while the main thread is stuck in a synchronous loop: which run is going (and its seed), its step, a ring
 * of the latest steps and the schedule so far, so that a hang is reported with where the run was and a
 * token that replays it.
 */
const GENERATION = 0;
const RUN = 1;
const STEP = 2;
const WRITTEN = 3;
const ACTIVE = 4;
const SEED = 5;
/** Steps over all runs of the scenario, so that a lost process's report counts them as a finished one would. */
const TOTAL_STEPS = 6;
/** The run's own timeout when it differs from the scenario's (an explanation's replay), else 0. */
const TIMEOUT = 7;
const HEADER = 8;
const RING = 64;
const SLOT = 3;
const CHOICES = HEADER + RING * SLOT;
/** Steps whose choices are kept, so a run that hangs can still be replayed; longer runs lose their token. */
const CHOICE_CAPACITY = 1 << 18;
const KINDS: readonly StepKind[] = ['start', 'await', 'timer'];

export interface HeartbeatStep {
  readonly step: number;
  readonly taskIndex: number;
  readonly kind: StepKind;
  /** -1 when the step has no site. */
  readonly siteId: number;
}

/** The cheap part of a reading: what the watchdog looks at every few milliseconds. */
export interface HeartbeatPulse {
  /** Bumped at every run start: the watchdog times each run from when it sees this change. */
  readonly generation: number;
  /** 1-based run number. */
  readonly run: number;
  readonly step: number;
  /** Whether a run is in progress (between its start and its end, teardown included). */
  readonly active: boolean;
  /** The run's own seed. */
  readonly seed: number;
  /** Steps over all runs since `startScenario`. */
  readonly totalSteps: number;
  /** The run's own timeout, when it is not the scenario's (0). */
  readonly timeoutMs: number;
}

export interface HeartbeatReading extends HeartbeatPulse {
  /** The latest steps, oldest first, at most 64. */
  readonly recent: readonly HeartbeatStep[];
  /** The schedule so far (chosen index and candidate count per step), or undefined if it did not fit. */
  readonly schedule: { readonly choices: readonly number[]; readonly counts: readonly number[] } | undefined;
}

export function createHeartbeatBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer((CHOICES + 2 * CHOICE_CAPACITY) * Int32Array.BYTES_PER_ELEMENT);
}

export class HeartbeatWriter {
  private readonly view: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.view = new Int32Array(buffer);
  }

  startScenario(): void {
    this.view[TOTAL_STEPS] = 0;
  }

  startRun(run: number, seed: number, timeoutMs = 0): void {
    this.view[RUN] = run;
    this.view[SEED] = seed | 0;
    this.view[TIMEOUT] = Math.min(timeoutMs, 0x7fffffff);
    this.view[STEP] = 0;
    this.view[WRITTEN] = 0;
    this.view[ACTIVE] = 1;
    Atomics.add(this.view, GENERATION, 1);
  }

  step(step: number, taskIndex: number, kind: StepKind, siteId: number, choice: number, candidates: number): void {
    const view = this.view;
    if (step <= CHOICE_CAPACITY) {
      view[CHOICES + 2 * (step - 1)] = choice;
      view[CHOICES + 2 * (step - 1) + 1] = candidates;
    }
    const written = view[WRITTEN]!;
    const base = HEADER + (written % RING) * SLOT;
    view[base] = taskIndex;
    view[base + 1] = KINDS.indexOf(kind);
    view[base + 2] = siteId;
    view[WRITTEN] = written + 1;
    view[STEP] = step;
    view[TOTAL_STEPS]!++;
  }

  endRun(): void {
    Atomics.store(this.view, ACTIVE, 0);
  }
}

export function pulseOf(buffer: SharedArrayBuffer): HeartbeatPulse {
  const view = new Int32Array(buffer);
  return { generation: Atomics.load(view, GENERATION), run: view[RUN]!, step: view[STEP]!, active: Atomics.load(view, ACTIVE) === 1, seed: view[SEED]! >>> 0, totalSteps: view[TOTAL_STEPS]! >>> 0, timeoutMs: view[TIMEOUT]! };
}

export function readHeartbeat(buffer: SharedArrayBuffer): HeartbeatReading {
  const view = new Int32Array(buffer);
  const written = view[WRITTEN]!;
  const step = view[STEP]!;
  const count = Math.min(written, RING);
  const recent: HeartbeatStep[] = [];
  for (let i = written - count; i < written; i++) {
    const base = HEADER + (i % RING) * SLOT;
    recent.push({ step: step - (written - 1 - i), taskIndex: view[base]!, kind: KINDS[view[base + 1]!] ?? 'await', siteId: view[base + 2]! });
  }
  let schedule: HeartbeatReading['schedule'];
  if (step <= CHOICE_CAPACITY) {
    const choices: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < step; i++) {
      choices.push(view[CHOICES + 2 * i]!);
      counts.push(view[CHOICES + 2 * i + 1]!);
    }
    schedule = { choices, counts };
  }
  return { ...pulseOf(buffer), recent, schedule };
}
