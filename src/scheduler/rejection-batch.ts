/**
 * Unhandled rejections surface only at a macrotask turn, and one after every run costs more than a short
 * run. So runs go in batches with one turn each; a rejection seen then is traced to its run by replaying
 * the batch's runs (they are deterministic), and the report reads as if the search had stopped there.
 */
import type { NormalizedScenario } from '../scenario/types.js';
import { real } from './context.js';
import { unwatchRejections, watchRejections } from './process-events.js';
import { Run } from './run.js';
import type { RunRecord, RunViolation } from './run-record.js';
import type { Limits } from './settings.js';
import { createReplayStrategy, type Schedule } from './strategies/replay.js';
import type { Tally } from './tally.js';

/** Runs between two checks for unhandled rejections. */
export const REJECTION_BATCH = 64;

/** A run since the last check for unhandled rejections: what is needed to replay it, or to forget it. */
export interface BatchEntry {
  readonly index: number;
  readonly seed: number;
  readonly strategy: string;
  readonly schedule: Schedule;
  /** Kept only for a run that found a violation. */
  record: RunRecord | undefined;
  violation: RunViolation | null;
  /** The schedule's hash, if this run added it to the distinct schedules. */
  readonly newHash: number | undefined;
}

/** Runs since the last check for unhandled rejections, and the check itself. */
export class RejectionBatch {
  private readonly entries: BatchEntry[] = [];
  private rejected = false;
  private readonly onRejection = (): void => {
    this.rejected = true;
  };

  /**
   * `batching` false: each run already took its own macrotask turn (a single run, a replay), so the batch
   * only hands its entries back.
   */
  constructor(
    private readonly scenario: NormalizedScenario,
    private readonly limits: Limits,
    private readonly keepGoing: boolean,
    readonly batching: boolean,
  ) {}

  /** Whether the batch must be settled before the next run: it is full, or a run found a violation. */
  due(entry: BatchEntry): boolean {
    return !this.batching || entry.violation !== null || this.entries.length >= REJECTION_BATCH;
  }

  get size(): number {
    return this.entries.length;
  }

  watch(): void {
    if (this.batching) watchRejections(this.onRejection);
  }

  unwatch(): void {
    if (this.batching) unwatchRejections(this.onRejection);
  }

  add(entry: BatchEntry): void {
    this.entries.push(entry);
  }

  /**
   * Lets Node report rejections nothing handled (one macrotask turn). If it did, replays the batch's passing
   * runs one at a time, each with its own turn, and marks those that leave one. Returns the batch, emptied.
   */
  async settle(tally: Tally): Promise<BatchEntry[]> {
    const entries = this.entries.splice(0);
    if (entries.length === 0 || !this.batching) return entries;
    await new Promise((resolve) => real.setImmediate(resolve));
    if (this.rejected) {
      for (const entry of entries) {
        if (entry.violation) continue;
        const outcome = await new Run({ scenario: this.scenario, seed: entry.seed, strategy: createReplayStrategy(entry.schedule), ...this.limits }).execute();
        if (outcome.status !== 'fail' || outcome.violation?.kind !== 'unhandled-rejection') continue;
        tally.failed++;
        entry.violation = outcome.violation;
        entry.record = outcome.record;
        if (!this.keepGoing) break;
      }
    }
    this.rejected = false;
    return entries;
  }
}
