/**
 * The hooks a run offers to whoever watches it closely: the recording replay of a reported schedule
 * (src/explain), which assigns each step to the lane that really ran it and records the reads and writes
 * of shared state. A search never sets one, so its runs pay a field check per hook and nothing else; and
 * nothing here can change which candidates a strategy sees.
 */
import type { StateEntry } from '../instrument/abi.js';
import type { Site } from '../site.js';
import type { VirtualTimer } from './clock.js';
import type { Pause } from './pause.js';
import type { Candidate } from './types.js';

export interface RunObserver {
  /** Setup returned `state`; returns what the tasks and the check get instead (the same object, or a proxy of an array). */
  watchState(state: unknown): unknown;
  /** Runs the start of task `taskIndex` (its function's synchronous part) in the task's lane. */
  startTask<T>(taskIndex: number, start: () => T): T;
  /** A pause is about to be created at `site`; a scheduling point of racecheck's own gets the user's call site instead. */
  pauseSite(site: Site | null): Site | null;
  onPause(pause: Pause): void;
  onTimer(timer: VirtualTimer): void;
  /** Step `step` (1-based) is about to run `chosen`. */
  beforeStep(step: number, chosen: Candidate): void;
  /** Runs a timer's callback in the lane it belongs to. */
  fireTimer(timer: VirtualTimer, fire: () => void): void;
  /** The step's microtasks drained: what runs from now until the next step is outside any step. */
  afterStep(): void;
  /** Every task settled: what runs now is the check. */
  endTasks(): void;
}

/** Reads and writes of tracked state, as the rewritten code reports them (see instrument/state-access.ts). */
export interface AccessTracker {
  read(entry: StateEntry, value: unknown, owner: unknown): unknown;
  write(entry: StateEntry, value: unknown, owner: unknown): unknown;
  compound(entry: StateEntry, old: unknown, result: unknown, logical: boolean, owner: unknown): unknown;
  update(entry: StateEntry, result: unknown, delta: number, prefix: boolean, owner: unknown): unknown;
}
