import { ChildSession, type ChildSettings } from './child-session.js';
import type { InstrumentConfig } from './protocol.js';

/**
 * `size` child processes run jobs at a time, each child used for one job and then ended, as vitest's
 * `forks` pool does with isolation on: every file starts in a fresh process. While jobs are still to come,
 * one more child starts ahead of need and waits, ready, for the next job: a child's own start-up (Node,
 * tsx, the rewriter, the module hooks' thread) is most of what a small file costs, and it then overlaps
 * with the files being run instead of following each of them.
 */
export class WorkerPool {
  private readonly idle: ChildSession[] = [];
  private readonly busy = new Set<ChildSession>();
  private readonly waiters: { resolve: (session: ChildSession | undefined) => void }[] = [];
  private stopped = false;
  /** Jobs that will ask for a child soon (files not started yet): idle children are started for them. */
  private expected = 0;

  constructor(
    private readonly settings: ChildSettings,
    private size: number,
  ) {}

  /** Sets how many children may run at once, and how many jobs are still to come; starts children for them. */
  plan(size: number, expected: number): void {
    this.size = Math.max(1, size);
    this.expected = expected;
    this.fill();
  }

  /** What children instrument: those started before it was known are told, later ones get it at spawn. */
  configure(instrument: InstrumentConfig): void {
    this.settings.instrument = instrument;
    for (const session of [...this.idle, ...this.busy]) session.configure(instrument);
  }

  /** A child to give one job to; undefined once the pool is stopped. */
  acquire(): Promise<ChildSession | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    if (this.expected > 0) this.expected--;
    const session = this.busy.size < this.size ? (this.idle.shift() ?? new ChildSession(this.settings)) : undefined;
    if (session) {
      this.busy.add(session);
      this.fill();
      return Promise.resolve(session);
    }
    return new Promise((resolve) => this.waiters.push({ resolve }));
  }

  /** Ends a child that did its job (and what it started); its place goes to the next job. */
  async release(session: ChildSession): Promise<void> {
    await session.end();
    this.busy.delete(session);
    this.fill();
  }

  /** Children with a job, to interrupt or end. */
  get running(): readonly ChildSession[] {
    return [...this.busy];
  }

  /** Starts no more children; ends the idle ones. Children with a job are left to their caller. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(undefined);
    await Promise.all(this.idle.splice(0).map((session) => session.end()));
  }

  /** Ends every child, busy ones too. */
  async close(): Promise<void> {
    await this.stop();
    await Promise.all([...this.busy].map((session) => session.end()));
  }

  private fill(): void {
    if (this.stopped) return;
    while (this.waiters.length > 0 && this.busy.size < this.size) {
      const session = this.idle.shift() ?? new ChildSession(this.settings);
      this.busy.add(session);
      this.waiters.shift()!.resolve(session);
    }
    // Ready children for the jobs to come: as many as there are free places, and one spare.
    const wanted = Math.min(this.expected, this.size - this.busy.size + 1);
    while (this.idle.length < wanted) this.idle.push(new ChildSession(this.settings));
  }
}
