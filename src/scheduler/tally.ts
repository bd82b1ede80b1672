import type { RunRecord } from './run-record.js';
import { ScheduleSet } from './schedule-set.js';

/** What forgetting a run needs to know of it. */
export interface TalliedRun {
  readonly steps: number;
  readonly failed: boolean;
  /** The schedule's hash, if this run added it to the distinct schedules. */
  readonly newHash: number | undefined;
}

/** What the search has done so far: runs, steps, failing runs, distinct schedules. */
export class Tally {
  runs = 0;
  steps = 0;
  failed = 0;
  readonly schedules = new ScheduleSet();

  /** Counts a run; returns its schedule's hash if it was a new schedule. */
  add(record: RunRecord, failed: boolean): number | undefined {
    this.runs++;
    this.steps += record.steps;
    if (failed) this.failed++;
    const hash = hashSchedule(record.choices);
    return this.schedules.add(hash) ? hash : undefined;
  }

  /** Un-counts a run, as if the search had stopped before it. */
  forget(run: TalliedRun): void {
    this.runs--;
    this.steps -= run.steps;
    if (run.newHash !== undefined) this.schedules.delete(run.newHash);
    if (run.failed) this.failed--;
  }
}

/** A 52-bit FNV-1a-style hash of a schedule, to count distinct schedules without keeping them. */
function hashSchedule(choices: readonly number[]): number {
  let low = 0x811c9dc5;
  let high = 0x01000193;
  for (const choice of choices) {
    low = Math.imul(low ^ choice, 0x01000193) >>> 0;
    high = Math.imul(high ^ (choice + 0x9e37), 0x01000193) >>> 0;
  }
  return (high & 0xfffff) * 2 ** 32 + low;
}
