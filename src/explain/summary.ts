/**
 * The explanation's one sentence: what a reviewer would say about the conflict, with the values and the
 * lines, e.g. "t6 read s.value (3) at counter.ts:12, t7 wrote s.value (4) at counter.ts:14 while t6 was
 * suspended at counter.ts:13, then t6 wrote s.value (4) from its stale read: a lost update".
 */
import path from 'node:path';
import type { SiteRef } from '../site.js';
import type { TraceStep } from '../scheduler/result.js';
import type { Conflict } from './patterns.js';
import type { RecordedAccess } from './recorder.js';

export interface SummaryContext {
  readonly trace: readonly TraceStep[];
  /** The name a lane has in the trace. */
  laneName(access: RecordedAccess): string;
  /** Short names of files (base names where unambiguous). */
  readonly files: ReadonlyMap<string, string>;
}

export function summarize(conflict: Conflict, context: SummaryContext): string {
  const who = (access: RecordedAccess) => context.laneName(access);
  const at = (access: RecordedAccess) => where(access.site, context.files);
  const suspended = (access: RecordedAccess, before: RecordedAccess) => suspension(context, who(access), access.step, before.step);
  switch (conflict.pattern) {
    case 'lost-update': {
      const { read, foreign, write } = conflict;
      return (
        `${who(read)} read ${read.target} (${read.value})${at(read)}, ` +
        `${who(foreign)} wrote ${foreign.target} (${foreign.value})${at(foreign)}${suspended(read, foreign)}, ` +
        `then ${who(write)} wrote ${write.target} (${write.value})${at(write)} from its stale read: a lost update`
      );
    }
    case 'stale-check': {
      const { check, foreign, act } = conflict;
      return (
        `${who(check)} checked ${check.target} (${check.value})${at(check)}, ` +
        `${who(foreign)} wrote ${foreign.target} (${foreign.value})${at(foreign)}${suspended(check, foreign)}, ` +
        `then ${who(act)} acted on what it had checked and wrote ${act.target} (${act.value})${at(act)}: a stale check`
      );
    }
    case 'torn-read': {
      const { first, reads, second } = conflict;
      const [one, two] = reads;
      return (
        `${who(first)} wrote ${first.target} (${first.value})${at(first)} and ${second.target} (${second.value})${at(second)} in two steps; ` +
        `in between, ${who(one)} read ${one.target} (${one.value})${at(one)} and ${two.target} (${two.value})${at(two)}: a torn read, part new and part old`
      );
    }
    case 'other': {
      const { first, foreign, second } = conflict;
      return (
        `${who(first)} wrote ${first.target} in two steps (${first.value}${at(first)}, then ${second.value}${at(second)}) ` +
        `and ${who(foreign)} wrote it (${foreign.value})${at(foreign)} in between${suspended(first, foreign)}: the writes interleaved`
      );
    }
  }
}

/** ` at counter.ts:12`, or nothing when the site is not known. */
export function where(site: SiteRef | null, files: ReadonlyMap<string, string>): string {
  return site ? ` at ${files.get(site.file) ?? site.file}:${site.line}` : '';
}

/**
 * ` while t6 was suspended at counter.ts:13`: where the lane waited between its step `from` and its next
 * step after `until` (the await that step resumed at).
 */
function suspension(context: SummaryContext, lane: string, from: number, until: number): string {
  if (from >= until) return '';
  // Its timer firing is not where it waited: the await that timer woke is.
  let timer = false;
  for (let i = until; i < context.trace.length; i++) {
    const step = context.trace[i]!;
    if (step.task !== lane) continue;
    if (step.kind === 'timer') {
      timer = true;
      continue;
    }
    if (step.site) return ` while ${lane} was suspended${where(step.site, context.files)}`;
    break;
  }
  return timer ? ` while ${lane} waited for a timer` : '';
}

/** Base names for files whose base name is unique among `files`; the path otherwise. */
export function shortFileNames(files: Iterable<string>): Map<string, string> {
  const unique = [...new Set(files)];
  const bases = unique.map((file) => path.posix.basename(file));
  const counts = new Map<string, number>();
  for (const base of bases) counts.set(base, (counts.get(base) ?? 0) + 1);
  return new Map(unique.map((file, i) => [file, counts.get(bases[i]!) === 1 ? bases[i]! : file]));
}
