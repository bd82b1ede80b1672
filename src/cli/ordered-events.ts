import type { FileStart, Progress, Reporter, RunStart, ScenarioReport, ScenarioStart } from '../report/types.js';
import type { FileEvents } from './run-files.js';

/**
 * Hands the reporters each file's events in file order, whatever order the files finish in: the events of
 * the file being reported pass straight through, those of later files wait until every file before them
 * has ended. So a report does not depend on how many workers ran it. `onStart` is given just before the
 * first scenario, so that a run that selects nothing prints nothing (its usage error is all there is).
 */
export class OrderedEvents implements FileEvents {
  private head = 0;
  private readonly waiting = new Map<number, (() => void)[]>();
  private readonly ended = new Set<number>();
  private readonly fileStarts = new Map<number, FileStart>();
  private begun = false;

  constructor(
    private readonly reporters: readonly Reporter[],
    private readonly runStart: RunStart,
  ) {}

  /** Whether any scenario has been reported. */
  get started(): boolean {
    return this.begun;
  }

  fileStart(index: number, file: FileStart): void {
    this.fileStarts.set(index, file);
  }

  scenarioStart(index: number, scenario: ScenarioStart): void {
    this.at(index, () => {
      this.begin(index);
      for (const reporter of this.reporters) reporter.onScenarioStart?.(scenario);
    });
  }

  progress(index: number, progress: Progress): void {
    if (index !== this.head || !this.begun) return;
    for (const reporter of this.reporters) reporter.onProgress?.(progress);
  }

  scenarioEnd(index: number, report: ScenarioReport): void {
    this.at(index, () => {
      this.begin(index);
      for (const reporter of this.reporters) reporter.onScenarioEnd?.(report);
    });
  }

  fileEnd(index: number): void {
    this.ended.add(index);
    while (this.ended.has(this.head)) {
      this.head++;
      for (const event of this.waiting.get(this.head) ?? []) event();
      this.waiting.delete(this.head);
    }
  }

  /** onStart, if no scenario has given it yet: for a report whose scenarios all came from elsewhere. */
  begin(index?: number): void {
    if (!this.begun) {
      this.begun = true;
      for (const reporter of this.reporters) reporter.onStart?.(this.runStart);
    }
    if (index === undefined) return;
    const file = this.fileStarts.get(index);
    if (file) {
      this.fileStarts.delete(index);
      for (const reporter of this.reporters) reporter.onFileStart?.(file);
    }
  }

  private at(index: number, event: () => void): void {
    if (index === this.head) return event();
    const queue = this.waiting.get(index);
    if (queue) queue.push(event);
    else this.waiting.set(index, [event]);
  }
}
