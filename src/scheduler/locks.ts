/**
 * What one run sees of its locks. racecheck's runtime hands every Lock, Semaphore and BoundedSemaphore a
 * `LockRecord` as its probe (@racecheck/sync's bridge); the record forwards what the primitive reports to
 * the `RunLocks` of the run in progress, which knows the task and the step. Everything here is on the hot
 * path of a lock-protected program: a request costs an object, a grant and a release a few field writes
 * (what a critical section showed is counted into its site's statistics as it ends), a scheduling point a
 * counter check unless its task holds a lock; nothing captures a stack except on a site-cache miss or a
 * release by a task that does not hold the lock. The rare facts (a foreign release, nested requests, a
 * lock kept to the end) are kept in short lists for the advisor to read when the run is over.
 */
import type { CreatedPrimitive, LockProbe, PrimitiveKind } from '@racecheck/sync/bridge';
import { context } from './context.js';
import type { Site } from '../site.js';
import { captureSite, siteCachesOf, type LockSite, type SiteCache } from './lock-sites.js';

/** What a search tells each of its runs about locks. */
export interface LockSearch {
  readonly sites: SiteCache;
  /** Where acquires are called from, cached the same way. */
  readonly acquires: SiteCache;
  /** Construction sites (`file:line:column`) whose locks are no-ops in this search: an `--advise` variant. */
  readonly bypass: ReadonlySet<string> | undefined;
}

/** The lock tracking of one search of `scenario`; `bypass` names the construction sites a variant makes no-ops. */
export function createLockSearch(scenario: object, bypass?: readonly string[]): LockSearch {
  const { sites, acquires } = siteCachesOf(scenario);
  return { sites, acquires, bypass: bypass && bypass.length > 0 ? new Set(bypass) : undefined };
}

/** What a run tells its lock tracker; the run (run.ts) implements it. */
export interface LockHost {
  /** True while tasks run: lock operations outside (setup, check, teardown) are not part of the schedule. */
  readonly scheduling: boolean;
  /** The lane running now: a task's index, or the task count for work outside any task. */
  currentTaskIndex(): number;
  /** Steps taken so far; during a step, its 1-based number. */
  stepCount(): number;
  /**
   * A number for the code running now that is the same whenever that code runs again: -1 in setup, -2 - i
   * in the first step of task i, a site's id in a step that resumed at that await; NaN when there is none.
   */
  codeKey(): number;
}

/** What the critical sections of one construction site showed, over all the runs of a search. */
export interface SectionStats {
  /** Requests granted. */
  grants: number;
  /** Sections ended by their own task's release without reaching a scheduling point. */
  atomic: number;
  /** Sections that reached one (however they ended). */
  reached: number;
  /** The first few places its locks were acquired at. */
  readonly acquireSites: LockSite[];
}

/** The search's advisor, as the runs it reads see it (advisor.ts). */
export interface LockObserver {
  readonly taskNames: readonly string[];
  /** The statistics of the lock's construction site; undefined for a lock whose site is unknown. */
  statsFor(record: LockRecord): SectionStats | undefined;
}

/** How many acquire sites a site's statistics keep. */
export const SITES_SHOWN = 3;

const KIND_INDEX: Record<PrimitiveKind, number> = { Lock: 0, Semaphore: 1, BoundedSemaphore: 2 };

/** One request for a lock (or a permit), from the task that asked until the release that ends it. */
export class Acquisition {
  /** The step in which it was granted; -1 while it waits (or if it gave up). */
  grantStep = -1;
  releaseStep = -1;
  /** A scheduling point was reached by its task while it held the lock, after the step that granted it. */
  reached = false;
  /**
   * The step in which its task's section began: the granting step when the task itself was running then,
   * else the task's next step; -1 until then. Its task's code running in a later step while it holds the
   * lock (a timer's callback releasing it) means the section spanned steps, an await or not.
   */
  startedStep = -1;
  /** Its task settled while it still held the lock. */
  endedHolding = false;
  /** Released by another task than its own: which lane, and where (the one stack capture besides sites). */
  releasedBy = -1;
  releaseSite: LockSite | null = null;
  /** Mutual-exclusion locks its task held when it asked for this one (lock-order edges). */
  outer: readonly Acquisition[] | undefined = undefined;
  /** Its task's other held requests: a list per lane, newest first, without an array per run. */
  heldPrev: Acquisition | undefined = undefined;
  heldNext: Acquisition | undefined = undefined;

  constructor(
    readonly owner: RunLocks,
    readonly lock: LockRecord,
    readonly lane: number,
    /** Where the user's code called `acquire()` (or `runExclusive`). */
    readonly site: LockSite | null,
  ) {}
}

/**
 * racecheck's probe of one primitive, for its whole life (a module-level lock outlives many runs). The
 * fields below `site` describe the primitive in the run that last touched it (`owner`).
 */
export class LockRecord implements LockProbe {
  owner: RunLocks | undefined = undefined;
  /** Granted, not yet released. */
  readonly open: Acquisition[] = [];
  /** Requests granted in the owner's run. */
  grants = 0;
  /** The lane of the first task that asked for it in the owner's run (-1: none yet). */
  lane = -1;
  /** Lanes of every task that asked for it in the owner's run, when more than one did. */
  lanes: Set<number> | undefined = undefined;
  /** Its site's statistics in the owner's search (set when a run adopts it). */
  stats: SectionStats | undefined = undefined;
  /** The advisor's own per-site record, cached here by the advisor that owns it. */
  statsOwner: object | undefined = undefined;
  advisorStats: unknown = undefined;

  constructor(
    readonly kind: PrimitiveKind,
    /** 1 for a Lock, a semaphore's initial value: 1 means mutual exclusion. */
    readonly capacity: number,
    readonly site: LockSite | null,
    private readonly primitive: object,
  ) {}

  requested(): unknown {
    return observing()?.requested(this, LockRecord.prototype.requested);
  }

  granted(request: unknown): void {
    // Duck-typed: a second copy of racecheck's modules (src beside dist) makes its own Acquisition class.
    if (typeof request === 'object' && request !== null && 'owner' in request) (request as Acquisition).owner.granted(request as Acquisition);
  }

  abandoned(): void {
    // It holds nothing: there is nothing to undo.
  }

  released(): void {
    observing()?.released(this);
  }

  bypassed(): boolean {
    const locks = activeRunLocks();
    return locks !== undefined && locks.bypass !== undefined && this.site !== null && locks.bypass.has(this.site.key);
  }

  /** Where `release()` was called from: the first user frame above the primitive's own methods. */
  releaseSite(): LockSite | null {
    const release = (this.primitive as { release?: unknown }).release;
    return typeof release === 'function' ? captureSite(release) : null;
  }
}

/** A run as the probes see it (run.ts's Run has `locks`); found through `context`, shared by every copy. */
interface LockedRun {
  readonly scheduling: boolean;
  readonly locks?: RunLocks | undefined;
}

/** The lock tracker of the run in progress in this thread, if any (runs are one at a time per thread). */
function activeRunLocks(): RunLocks | undefined {
  return (context.run as LockedRun | null)?.locks;
}

function observing(): RunLocks | undefined {
  const run = context.run as LockedRun | null;
  if (run === null || !run.scheduling) return undefined;
  const locks = run.locks;
  return locks !== undefined && locks.observer !== undefined ? locks : undefined;
}

/**
 * The runtime's `created` (SyncRuntime in @racecheck/sync's bridge): every new Lock, Semaphore and
 * BoundedSemaphore gets a record. Outside a run (a module-level lock made at import) its site is captured
 * from the stack; inside one, through the search's site cache.
 */
export function createdPrimitive(info: CreatedPrimitive): LockProbe {
  const capacity = info.kind === 'Lock' ? 1 : Number((info.primitive as { value?: unknown }).value ?? 1);
  const locks = activeRunLocks();
  const site = locks ? locks.siteOf(info.kind, info.construct) : captureSite(info.construct);
  const record = new LockRecord(info.kind, capacity, site, info.primitive);
  if (locks?.observer !== undefined) locks.adopt(record);
  return record;
}

/** The first blocking step of a run and the requests that held a lock during it. */
export interface BlockingStep {
  readonly step: number;
  readonly lane: number;
  /** The await the step resumed at (null for a task's start or a timer). */
  readonly site: Site | null;
  readonly ms: number;
  readonly limitMs: number;
  readonly held: readonly Acquisition[];
}

/** One run's locks: created with the run, read by the search's advisor when the run has ended. */
export class RunLocks {
  readonly bypass: ReadonlySet<string> | undefined;
  /** Every lock the run touched (made, asked for), in order. */
  readonly touched: LockRecord[] = [];
  /** Requests made while their task held another mutual-exclusion lock (lock-order edges); rare, so made when needed. */
  nested: Acquisition[] | undefined = undefined;
  /** Requests a task other than their own released. */
  foreign: Acquisition[] | undefined = undefined;
  blocking: BlockingStep | undefined = undefined;
  /** The newest granted, unreleased request of each lane (the rest follow through `heldNext`). */
  private readonly held: (Acquisition | undefined)[] = [];
  private heldCount = 0;
  /** Requests released in step `releasedStep`, for a blocking step that released what it held. */
  private releasedNow: Acquisition[] | undefined = undefined;
  private releasedStep = -1;
  /** Locks made, and requests made, in the current step (the site caches' keys count them), and which step that is. */
  private madeInStep = 0;
  private madeStep = -1;
  private madeScheduling = false;
  private askedInStep = 0;
  private askedStep = -1;

  constructor(
    readonly host: LockHost,
    private readonly search: LockSearch,
    readonly observer: LockObserver | undefined,
  ) {
    this.bypass = search.bypass;
  }

  /** Where the primitive being constructed now was made (see sites.ts for the cache and its key). */
  siteOf(kind: PrimitiveKind, construct: Function): LockSite | null {
    const host = this.host;
    const step = host.stepCount();
    if (step !== this.madeStep || host.scheduling !== this.madeScheduling) {
      this.madeStep = step;
      this.madeScheduling = host.scheduling;
      this.madeInStep = 0;
    }
    const ordinal = this.madeInStep++;
    const code = host.codeKey();
    const key = ordinal < 256 ? (code * 256 + ordinal) * 4 + KIND_INDEX[kind] : NaN;
    // A variant must make exactly the named locks no-ops: its constructions are captured every time.
    return this.search.sites.resolve(key, construct, this.bypass !== undefined);
  }

  /** A lock made in this run, or met for the first time in it (made in an earlier one, or at import). */
  adopt(record: LockRecord): void {
    if (record.owner === this) return;
    record.owner = this;
    record.open.length = 0;
    record.grants = 0;
    record.lane = -1;
    record.lanes = undefined;
    record.stats = this.observer?.statsFor(record);
    this.touched.push(record);
  }

  requested(record: LockRecord, probe: Function): Acquisition {
    this.adopt(record);
    const host = this.host;
    const lane = host.currentTaskIndex();
    const step = host.stepCount();
    if (step !== this.askedStep) {
      this.askedStep = step;
      this.askedInStep = 0;
    }
    const ordinal = this.askedInStep++;
    const key = ordinal < 1024 ? host.codeKey() * 1024 + ordinal : NaN;
    const acquisition = new Acquisition(this, record, lane, this.search.acquires.resolve(key, probe));
    if (this.heldCount > 0 && record.capacity === 1) {
      let outer: Acquisition[] | undefined;
      for (let other = this.held[lane]; other !== undefined; other = other.heldNext) {
        if (other.lock !== record && other.lock.capacity === 1) (outer ??= []).push(other);
      }
      if (outer !== undefined) {
        acquisition.outer = outer;
        (this.nested ??= []).push(acquisition);
      }
    }
    if (record.lane === -1) record.lane = lane;
    else if (record.lane !== lane) (record.lanes ??= new Set([record.lane])).add(lane);
    return acquisition;
  }

  granted(acquisition: Acquisition): void {
    const record = acquisition.lock;
    if (record.owner !== this) return;
    acquisition.grantStep = this.host.stepCount();
    acquisition.startedStep = this.host.currentTaskIndex() === acquisition.lane ? acquisition.grantStep : -1;
    record.open.push(acquisition);
    record.grants++;
    const stats = record.stats;
    if (stats !== undefined) {
      stats.grants++;
      const site = acquisition.site;
      if (site !== null && stats.acquireSites.length < SITES_SHOWN && !hasSite(stats.acquireSites, site)) stats.acquireSites.push(site);
    }
    const lane = acquisition.lane;
    const top = this.held[lane];
    acquisition.heldNext = top;
    if (top !== undefined) top.heldPrev = acquisition;
    this.held[lane] = acquisition;
    this.heldCount++;
  }

  released(record: LockRecord): void {
    if (record.owner !== this) return;
    const open = record.open;
    if (open.length === 0) return;
    const lane = this.host.currentTaskIndex();
    let index = open.length - 1;
    while (index >= 0 && open[index]!.lane !== lane) index--;
    let own = true;
    if (index === -1) {
      // A semaphore released by a task that holds none of its permits signals: it does not end a section.
      if (record.kind !== 'Lock') return;
      index = 0;
      own = false;
      const holder = open[0]!;
      holder.releasedBy = lane;
      holder.releaseSite = record.releaseSite();
      (this.foreign ??= []).push(holder);
    }
    const acquisition = open[index]!;
    if (index === open.length - 1) open.pop();
    else open.splice(index, 1);
    const step = this.host.stepCount();
    acquisition.releaseStep = step;
    const stats = record.stats;
    if (stats !== undefined) {
      if (acquisition.reached) stats.reached++;
      else if (own) stats.atomic++;
    }
    const { heldPrev, heldNext } = acquisition;
    if (heldPrev !== undefined) heldPrev.heldNext = heldNext;
    else this.held[acquisition.lane] = heldNext;
    if (heldNext !== undefined) heldNext.heldPrev = heldPrev;
    acquisition.heldPrev = acquisition.heldNext = undefined;
    this.heldCount--;
    if (step !== this.releasedStep) {
      this.releasedStep = step;
      if (this.releasedNow !== undefined) this.releasedNow.length = 0;
    }
    (this.releasedNow ??= []).push(acquisition);
  }

  /** A scheduling point of `lane` (run.ts calls it at every pause; it returns at once unless a lock is held). */
  onPause(lane: number, step: number): void {
    if (this.heldCount === 0) return;
    for (let acquisition = this.held[lane]; acquisition !== undefined; acquisition = acquisition.heldNext) {
      // The await of the acquire itself is in the step that granted it: it is not inside the section, which
      // begins when that await resumes.
      if (step > acquisition.grantStep) acquisition.reached = true;
      else acquisition.startedStep = -1;
    }
  }

  /** Step `step` runs `lane`'s code (a continuation or a timer's callback): run.ts calls it at every step. */
  onStep(lane: number, step: number): void {
    if (this.heldCount === 0) return;
    for (let acquisition = this.held[lane]; acquisition !== undefined; acquisition = acquisition.heldNext) {
      if (acquisition.startedStep === -1) acquisition.startedStep = step;
      else if (step > acquisition.startedStep) acquisition.reached = true;
    }
  }

  /** Task `lane` settled: whatever it still holds, it holds for good. */
  onTaskEnd(lane: number): void {
    for (let acquisition = this.held[lane]; acquisition !== undefined; acquisition = acquisition.heldNext) acquisition.endedHolding = true;
  }

  /**
   * The run's first step that held the event loop too long (a verdict the search will try to confirm), and
   * the locks its task held during it: granted before the step and still held, or given back within it. A
   * lock the step itself was granted and kept is not counted: what comes after `acquire()` in the step is
   * its await, so the blocking came before the lock was held. (Where in the step a release came is not
   * known: a step that releases and then blocks is counted too.)
   */
  onBlockingStep(lane: number, step: number, site: Site | null, ms: number, limitMs: number): void {
    if (this.blocking !== undefined) return;
    const held: Acquisition[] = [];
    for (let acquisition = this.held[lane]; acquisition !== undefined; acquisition = acquisition.heldNext) {
      if (acquisition.grantStep < step) held.push(acquisition);
    }
    if (this.releasedStep === step) for (const acquisition of this.releasedNow ?? []) if (acquisition.lane === lane) held.push(acquisition);
    this.blocking = { step, lane, site, ms, limitMs, held };
  }

  /** The requests still held when the run ended, every lane's. */
  stillHeld(): Acquisition[] {
    const found: Acquisition[] = [];
    for (const top of this.held) for (let acquisition = top; acquisition !== undefined; acquisition = acquisition.heldNext) found.push(acquisition);
    return found;
  }
}

/** Whether `sites` has `site` (a loop, not `some`: this runs for every grant of every run). */
function hasSite(sites: readonly LockSite[], site: LockSite): boolean {
  for (let i = 0; i < sites.length; i++) if (sites[i] === site || sites[i]!.key === site.key) return true;
  return false;
}
