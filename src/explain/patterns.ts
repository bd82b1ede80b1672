/**
 * Finds the conflict in a recording: the reads and writes of one piece of state by two lanes that an
 * await let interleave. One pass over the accesses, in the order they happened, with a little state per
 * target and lane; nothing is compared pairwise.
 *
 * - lost update: A reads X, B writes X while A is suspended, then A writes X without reading it again;
 * - stale check: A tests X (`has`, `size`, `length`), or reads X again only right before acting, B writes
 *   X in between, then A writes X: it acted on what it checked before B's write;
 * - torn read: B writes X and, in a later step, Y of the same object, and A reads both in between: half
 *   new, half old;
 * - interleaved writes (`other`): A writes X in two steps and B writes X in between.
 */
import type { ConflictPattern } from '../scheduler/result.js';
import type { Lane, RecordedAccess } from './recorder.js';

export type Conflict =
  | { readonly pattern: 'lost-update'; readonly read: RecordedAccess; readonly foreign: RecordedAccess; readonly write: RecordedAccess }
  | { readonly pattern: 'stale-check'; readonly check: RecordedAccess; readonly foreign: RecordedAccess; readonly act: RecordedAccess }
  | { readonly pattern: 'torn-read'; readonly first: RecordedAccess; readonly reads: readonly [RecordedAccess, RecordedAccess]; readonly second: RecordedAccess }
  | { readonly pattern: 'other'; readonly first: RecordedAccess; readonly foreign: RecordedAccess; readonly second: RecordedAccess };

interface Mark {
  readonly access: RecordedAccess;
  /** How many writes of the target there were before it. */
  readonly writesBefore: number;
}

interface Target {
  readonly writes: RecordedAccess[];
  /** Per lane: its first and its last read since its last write of the target. */
  readonly reads: Map<Lane, { first: Mark; last: Mark }>;
  readonly lastWrite: Map<Lane, Mark>;
}

/** How far back a torn read is looked for from each write: beyond that the writes hardly belong together. */
const TORN_WINDOW = 2_000;
const RANK: Record<ConflictPattern, number> = { 'lost-update': 0, 'stale-check': 1, 'torn-read': 2, other: 3 };

/** Every conflict in the recording, in the order their last access happened. */
export function findConflicts(accesses: readonly RecordedAccess[]): Conflict[] {
  const conflicts: Conflict[] = [];
  const targets = new Map<string, Target>();
  const groups = new Map<string, { readonly accesses: RecordedAccess[]; readonly lastWrite: Map<Lane, number> }>();
  for (const access of accesses) {
    // A lock's own accesses are its history (locks.ts), not data that can be lost.
    if (access.key.endsWith('#lock')) continue;
    let target = targets.get(access.key);
    if (!target) {
      target = { writes: [], reads: new Map(), lastWrite: new Map() };
      targets.set(access.key, target);
    }
    let group = groups.get(access.group);
    if (!group) {
      group = { accesses: [], lastWrite: new Map() };
      groups.set(access.group, group);
    }
    group.accesses.push(access);
    if (access.op === 'read') {
      const mark = { access, writesBefore: target.writes.length };
      const reads = target.reads.get(access.lane);
      if (reads) reads.last = mark;
      else target.reads.set(access.lane, { first: mark, last: mark });
      continue;
    }
    const conflict = readConflict(target, access) ?? writeConflict(target, access);
    if (conflict) conflicts.push(conflict);
    target.reads.delete(access.lane);
    target.lastWrite.set(access.lane, { access, writesBefore: target.writes.length });
    target.writes.push(access);
    const torn = tornRead(group, access);
    if (torn) conflicts.push(torn);
    group.lastWrite.set(access.lane, group.accesses.length - 1);
  }
  return conflicts;
}

/** The conflict a report should show: one on what the check read if any, then by pattern, then the first. */
export function chooseConflict(conflicts: readonly Conflict[], relevant: (key: string) => boolean): Conflict | undefined {
  let best: Conflict | undefined;
  let bestScore = Infinity;
  for (const conflict of conflicts) {
    const score = (accessesOf(conflict).some((access) => relevant(access.key)) ? 0 : 10) + RANK[conflict.pattern];
    if (score < bestScore) {
      best = conflict;
      bestScore = score;
    }
  }
  return best;
}

export function accessesOf(conflict: Conflict): RecordedAccess[] {
  switch (conflict.pattern) {
    case 'lost-update':
      return [conflict.read, conflict.foreign, conflict.write];
    case 'stale-check':
      return [conflict.check, conflict.foreign, conflict.act];
    case 'torn-read':
      return [conflict.first, ...conflict.reads, conflict.second].sort((a, b) => a.seq - b.seq);
    case 'other':
      return [conflict.first, conflict.foreign, conflict.second];
  }
}

function readConflict(target: Target, write: RecordedAccess): Conflict | undefined {
  const reads = target.reads.get(write.lane);
  if (!reads) return undefined;
  const { first, last } = reads;
  // The last read came before another lane's write, in an earlier step: the write is from a stale read.
  if (last.access.step < write.step && target.writes.length > last.writesBefore) {
    const foreign = invalidating(target, last.writesBefore, last.access);
    return last.access.check ? { pattern: 'stale-check', check: last.access, foreign, act: write } : { pattern: 'lost-update', read: last.access, foreign, write };
  }
  // It read again after the other write, but what it tested first was stale by then.
  if (first.access.step < write.step && target.writes.length > first.writesBefore) {
    const foreign = invalidating(target, first.writesBefore, first.access);
    return { pattern: 'stale-check', check: first.access, foreign, act: write };
  }
  return undefined;
}

/**
 * The other lane's write that made `read` stale: the first after it that wrote another value than the one
 * read (a clamp that wrote back what was there changed nothing), else the first after it.
 */
function invalidating(target: Target, from: number, read: RecordedAccess): RecordedAccess {
  for (let i = from; i < target.writes.length; i++) {
    const write = target.writes[i]!;
    if (write.lane !== read.lane && write.value !== read.value) return write;
  }
  return target.writes[from]!;
}

function writeConflict(target: Target, write: RecordedAccess): Conflict | undefined {
  const previous = target.lastWrite.get(write.lane);
  if (!previous || previous.access.step >= write.step) return undefined;
  const between = target.writes[previous.writesBefore + 1];
  if (!between || between.lane === write.lane) return undefined;
  return { pattern: 'other', first: previous.access, foreign: between, second: write };
}

function tornRead(group: { readonly accesses: readonly RecordedAccess[]; readonly lastWrite: Map<Lane, number> }, second: RecordedAccess): Conflict | undefined {
  const at = group.lastWrite.get(second.lane);
  if (at === undefined) return undefined;
  const first = group.accesses[at]!;
  if (first.key === second.key || first.step >= second.step) return undefined;
  const end = group.accesses.length - 1;
  const start = Math.max(at + 1, end - TORN_WINDOW);
  // Per other lane: its reads, in between, of what was written first (new by then) and of what is written now (still old).
  const seen = new Map<Lane, { fresh?: RecordedAccess; stale?: RecordedAccess }>();
  for (let i = start; i < end; i++) {
    const read = group.accesses[i]!;
    if (read.op !== 'read' || read.lane === second.lane || (read.key !== first.key && read.key !== second.key)) continue;
    let reads = seen.get(read.lane);
    if (!reads) seen.set(read.lane, (reads = {}));
    if (read.key === first.key) reads.fresh ??= read;
    else reads.stale ??= read;
    if (reads.fresh && reads.stale) {
      const pair: [RecordedAccess, RecordedAccess] = reads.fresh.seq < reads.stale.seq ? [reads.fresh, reads.stale] : [reads.stale, reads.fresh];
      return { pattern: 'torn-read', first, reads: pair, second };
    }
  }
  return undefined;
}
