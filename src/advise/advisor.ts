/**
 * The lock advisor of one search: it reads each run's locks when the run has ended (scheduler/locks.ts) and keeps,
 * per construction site, what all the runs together show; `advice()` turns that into SPEC §6's findings
 * that the normal runs can prove. It never changes a run or a verdict.
 */
import type { PrimitiveKind } from '@racecheck/sync/bridge';
import { formatSite, toSiteRef, type SiteRef } from '../site.js';
import { LockOrderGraph, type LockNode } from './order-graph.js';
import { SITES_SHOWN, type Acquisition, type LockObserver, type LockRecord, type RunLocks, type SectionStats } from '../scheduler/locks.js';
import type { LockSite } from '../scheduler/lock-sites.js';
import { ADVICE_CODES, type Advice } from '../scheduler/advice.js';

const EXTERNAL = '(external)';

/** What all the runs show of one construction site's locks (the runs count their sections as they end). */
interface SiteStats extends SectionStats {
  readonly site: LockSite;
  readonly kind: PrimitiveKind;
  readonly capacity: number;
  /** Some lock made here was asked for by two different tasks in one run. */
  shared: boolean;
  /** The first run in which locks made here went to two or more tasks, each lock to one: how many, to how many tasks. */
  perCall?: { readonly locks: number; readonly tasks: number };
  notReleased?: { readonly task: string; readonly site: SiteRef | null };
  foreign?: { readonly holder: string; readonly releaser: string; readonly acquired: SiteRef | null; readonly released: SiteRef | null };
  blocking?: { readonly task: string; readonly site: SiteRef | null; readonly ms: number; readonly limitMs: number; readonly acquired: SiteRef | null };
  /** This run's locks made here that were asked for, and by which lanes (a set only once there are two). */
  runMark: number;
  runLocks: number;
  runLane: number;
  runLanes: Set<number> | undefined;
}

/** What the search learned about a run besides its locks. */
export interface RunFacts {
  /** The run's blocking step was confirmed by replays (a `blocked-loop` the report carries). */
  readonly blockingConfirmed: boolean;
  readonly deadlocked: boolean;
}

export class LockAdvisor implements LockObserver {
  private readonly stats = new Map<string, SiteStats>();
  private readonly graph = new LockOrderGraph();
  private runs = 0;
  private deadlocks = 0;

  constructor(readonly taskNames: readonly string[]) {}

  statsFor(record: LockRecord): SiteStats | undefined {
    const site = record.site;
    if (site === null) return undefined;
    let stats = this.stats.get(site.key);
    if (!stats) {
      stats = { site, kind: record.kind, capacity: record.capacity, grants: 0, atomic: 0, reached: 0, acquireSites: [], shared: false, runMark: 0, runLocks: 0, runLane: -1, runLanes: undefined };
      this.stats.set(site.key, stats);
    }
    return stats;
  }

  /** Reads one ended run. It allocates nothing unless the run shows something worth advice. */
  endRun(locks: RunLocks, facts: RunFacts): void {
    const run = ++this.runs;
    if (facts.deadlocked) this.deadlocks++;
    let several: SiteStats[] | undefined;
    for (const record of locks.touched) {
      const stats = record.stats as SiteStats | undefined;
      if (stats === undefined || record.lane === -1) continue;
      if (record.lanes) stats.shared = true;
      if (stats.runMark !== run) {
        stats.runMark = run;
        stats.runLocks = 0;
        stats.runLane = record.lane;
        stats.runLanes = undefined;
      }
      if (++stats.runLocks === 2) (several ??= []).push(stats);
      if (record.lane !== stats.runLane || record.lanes) {
        const lanes = (stats.runLanes ??= new Set([stats.runLane]));
        lanes.add(record.lane);
        for (const lane of record.lanes ?? []) lanes.add(lane);
      }
    }
    for (const stats of several ?? []) {
      const tasks = stats.runLanes?.size ?? 1;
      if (!stats.perCall && tasks >= 2) stats.perCall = { locks: stats.runLocks, tasks };
    }
    for (const acquisition of locks.stillHeld()) {
      const stats = acquisition.lock.stats as SiteStats | undefined;
      if (stats === undefined) continue;
      if (acquisition.reached) stats.reached++;
      if (acquisition.endedHolding && mustBeReleased(stats)) stats.notReleased ??= { task: this.name(acquisition.lane), site: acquisition.site && toSiteRef(acquisition.site) };
    }
    for (const acquisition of locks.foreign ?? []) {
      const stats = acquisition.lock.stats as SiteStats | undefined;
      if (stats === undefined) continue;
      stats.foreign ??= {
        holder: this.name(acquisition.lane),
        releaser: this.name(acquisition.releasedBy),
        acquired: acquisition.site && toSiteRef(acquisition.site),
        released: acquisition.releaseSite && toSiteRef(acquisition.releaseSite),
      };
    }
    if (locks.nested !== undefined) this.addEdges(locks);
    const blocking = locks.blocking;
    if (blocking && facts.blockingConfirmed) {
      for (const acquisition of blocking.held) {
        const stats = acquisition.lock.stats as SiteStats | undefined;
        if (!stats || stats.blocking) continue;
        stats.blocking = {
          task: this.name(blocking.lane),
          site: blocking.site && toSiteRef(blocking.site),
          ms: blocking.ms,
          limitMs: blocking.limitMs,
          acquired: acquisition.site && toSiteRef(acquisition.site),
        };
      }
    }
  }

  /** The construction sites whose locks were granted at least once: what `--advise` makes no-ops in turn. */
  lockSites(): LockSite[] {
    return [...this.stats.values()].filter((stats) => stats.grants > 0).map((stats) => stats.site);
  }

  /** Whether every critical section of the site's locks ran without reaching a scheduling point. */
  withoutAwait(key: string): boolean {
    const stats = this.stats.get(key);
    return stats !== undefined && stats.reached === 0 && stats.atomic > 0;
  }

  kindOf(key: string): PrimitiveKind {
    return this.stats.get(key)?.kind ?? 'Lock';
  }

  /** Where the site's locks were acquired (the first few sites seen). */
  acquireSites(key: string): SiteRef[] {
    return (this.stats.get(key)?.acquireSites ?? []).map(toSiteRef);
  }

  advice(): Advice[] {
    const found: Advice[] = [];
    for (const stats of this.stats.values()) {
      const lock = toSiteRef(stats.site);
      const base = { lock, primitive: stats.kind };
      const noun = stats.kind === 'Lock' ? 'lock' : 'semaphore';
      const acquired = stats.acquireSites.map(toSiteRef);
      if (this.withoutAwait(stats.site.key)) {
        const sections = stats.atomic === 1 ? 'its one critical section' : `any of its ${count(stats.atomic)} critical sections`;
        found.push({
          ...base,
          code: 'lock-without-await',
          message: `this ${noun} protects no await: no scheduling point was reached inside ${sections} in ${runs(this.runs)}, so the code inside is atomic anyway, and the ${noun} can go`,
          sites: acquired,
        });
      }
      if (stats.perCall && !stats.shared) {
        found.push({
          ...base,
          code: 'lock-per-call',
          message: `a new ${noun} for each call: this line made ${stats.perCall.locks} ${noun}s in one run for ${stats.perCall.tasks} tasks, and no two tasks ever asked for the same one, so it excludes nothing; make it once, beside the state it protects, and share it`,
          sites: acquired,
        });
      }
      if (stats.blocking) {
        const { task, site, ms, limitMs, acquired: at } = stats.blocking;
        found.push({
          ...base,
          code: 'blocking-in-lock',
          message: `${task} blocked the event loop for ${Math.round(ms)} ms (limit ${limitMs} ms) while holding this ${noun}${site ? `, in the step from ${formatSite(site)}` : ''}: nothing else runs meanwhile, not even the tasks waiting for it; await instead of blocking`,
          sites: dedupe([site, at]),
        });
      }
      if (stats.notReleased) {
        const { task, site } = stats.notReleased;
        found.push({
          ...base,
          code: 'lock-not-released',
          message: `${task} finished while still holding this ${noun}${site ? `, acquired at ${formatSite(site)}` : ''}: every later acquire waits forever; release it in finally, or use runExclusive`,
          sites: site ? [site] : [],
        });
      }
      if (stats.foreign) {
        const { holder, releaser, acquired: at, released } = stats.foreign;
        found.push({
          ...base,
          code: 'release-by-other-task',
          message: `${releaser} released this lock${released ? ` at ${formatSite(released)}` : ''} while ${holder} held it${at ? ` (acquired at ${formatSite(at)})` : ''}: the lock is free again with ${holder} still inside, so another task can walk in; only the task that acquired a lock may release it`,
          sites: [at, released].filter((s): s is SiteRef => s !== null),
        });
      }
    }
    found.push(...this.inversions());
    return found.sort((a, b) => ADVICE_CODES.indexOf(a.code) - ADVICE_CODES.indexOf(b.code));
  }

  private inversions(): Advice[] {
    const found: Advice[] = [];
    const reported = new Set<string>();
    for (const raw of this.graph.cycles()) {
      // Told from the lock made first in the source, whichever lock a search happened to meet first.
      const start = raw.nodes.reduce((best, node, i) => (compareNodes(node, raw.nodes[best]!) < 0 ? i : best), 0);
      const cycle = { nodes: rotate(raw.nodes, start), takings: rotate(raw.takings, start) };
      const key = cycle.nodes.map((node) => node.site.key).join('\u0000');
      if (reported.has(key)) continue;
      reported.add(key);
      const { intro, names } = describeLocks(cycle.nodes);
      const orders = cycle.takings.map((taking, i) => `${taking.task} takes ${names[i]} and then ${names[(i + 1) % names.length]}`);
      const hit = this.deadlocks > 0 ? 'a run deadlocked' : 'no run deadlocked, but another timing can';
      const shape = cycle.nodes.length === 2 ? 'in opposite orders' : 'in a cycle';
      const wait = cycle.nodes.length === 2 ? 'the other' : 'the next';
      const message = `${intro} are taken ${shape}: ${list(orders)}; each can hold one and wait for ${wait} forever (${hit}); take nested locks in one order everywhere`;
      const first = cycle.nodes[0]!;
      found.push({
        code: 'lock-order-inversion',
        message,
        lock: toSiteRef(first.site),
        locks: cycle.nodes.map((node) => toSiteRef(node.site)),
        sites: dedupe(cycle.takings.flatMap((taking) => [taking.outerSite, taking.innerSite])),
        primitive: this.stats.get(first.site.key)?.kind ?? 'Lock',
      });
    }
    return found;
  }

  /** The run's nested requests as lock-order edges; a lock is named by its site and its place among the run's locks made there. */
  private addEdges(locks: RunLocks): void {
    const ordinals = new Map<LockRecord, number>();
    const bySite = new Map<string, number>();
    for (const record of locks.touched) {
      const key = record.site?.key ?? '';
      const ordinal = bySite.get(key) ?? 0;
      bySite.set(key, ordinal + 1);
      ordinals.set(record, ordinal);
    }
    const nodeOf = (record: LockRecord): LockNode | undefined => {
      const site = record.site;
      const ordinal = ordinals.get(record) ?? 0;
      return site === null ? undefined : { key: `${site.key}#${ordinal}`, site, ordinal };
    };
    for (const acquisition of locks.nested ?? []) {
      const outer = acquisition.outer;
      const inner = nodeOf(acquisition.lock);
      if (!outer || !inner) continue;
      const task = this.name(acquisition.lane);
      for (const held of outer) {
        const from = nodeOf(held.lock);
        if (!from) continue;
        const guards = outer
          .filter((other) => other !== held)
          .map((other) => nodeOf(other.lock)?.key ?? '')
          .filter(Boolean)
          .sort();
        this.graph.add(from, inner, { task, outerSite: held.site && toSiteRef(held.site), innerSite: acquisition.site && toSiteRef(acquisition.site), guards });
      }
    }
  }

  private name(lane: number): string {
    return this.taskNames[lane] ?? EXTERNAL;
  }
}

/** A semaphore that starts with no permits is a signal: a task that takes one and keeps it leaks nothing. */
function mustBeReleased(stats: SiteStats): boolean {
  return stats.kind !== 'Semaphore' || stats.capacity > 0;
}

/**
 * How a cycle's message introduces its locks and then names them: by the name the code gives them where
 * they are made (`a` in `{ a: new Lock() }`, `#lock` in `readonly #lock = new Lock()`) and where that is;
 * locks made by one line (one per account) by their place among the locks that line made.
 */
function describeLocks(nodes: readonly LockNode[]): { intro: string; names: string[] } {
  const sites = [...new Map(nodes.map((node) => [node.site.key, node.site])).values()];
  if (sites.length === 1) {
    const site = sites[0]!;
    const name = lockName(site);
    return {
      intro: `${nodes.length === 2 ? 'two' : nodes.length} locks made at ${formatSite(site)}${name ? ` (\`${name}\`)` : ''}`,
      names: nodes.map((node) => `the ${ordinalWord(node.ordinal + 1)}`),
    };
  }
  const names = nodes.map((node) => {
    const name = lockName(node.site);
    const shared = nodes.filter((other) => other.site.key === node.site.key).length > 1;
    const base = name ? `\`${name}\`` : `the lock made at ${formatSite(node.site)}`;
    return shared ? `the ${ordinalWord(node.ordinal + 1)} ${base}` : base;
  });
  const intro = list(
    nodes
      .map((node, i) => (lockName(node.site) ? `${names[i]} (made at ${formatSite(node.site)})` : names[i]!))
      .filter((text, i, all) => all.indexOf(text) === i),
    'and',
  );
  return { intro, names };
}

/** The variable or property a `new Lock()` is assigned to, read off the source line before it. */
export function lockName(site: SiteRef): string | undefined {
  const before = site.text.slice(0, Math.max(0, site.column - 1));
  return /([#A-Za-z_$][\w$]*)\s*(?:\?\?=|=|:)\s*$/.exec(before)?.[1];
}

function compareNodes(a: LockNode, b: LockNode): number {
  const x = a.site;
  const y = b.site;
  return x.file < y.file ? -1 : x.file > y.file ? 1 : x.line - y.line || x.column - y.column || a.ordinal - b.ordinal;
}

function rotate<T>(items: readonly T[], start: number): T[] {
  return [...items.slice(start), ...items.slice(0, start)];
}

function ordinalWord(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function list(items: readonly string[], last = ','): string {
  if (items.length <= 1) return items.join('');
  return last === ',' ? items.join(', ') : `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}

function dedupe(sites: readonly (SiteRef | null)[]): SiteRef[] {
  const seen = new Map<string, SiteRef>();
  for (const site of sites) if (site && !seen.has(formatSite(site))) seen.set(formatSite(site), site);
  return [...seen.values()];
}

function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function runs(n: number): string {
  return n === 1 ? '1 run' : `${count(n)} runs`;
}
