/**
 * `--advise`: is each lock needed? For every construction site whose locks the runs acquired, the scenario
 * is searched again with that site's locks made no-ops (the primitives' `bypassed()`): the same settings,
 * the same seed, the same strategy. A violation means the lock is needed (and its schedule replays the
 * variant); none means it is not, and a search that covered every schedule proves it.
 */
import { firstEarlierRunStep, type ScenarioResult } from '../scheduler/result.js';
import type { LockAdvisor } from './advisor.js';
import type { Advice, VariantViolation } from '../scheduler/advice.js';
import { count, plural } from '../words.js';

/** Runs the scenario's search with the locks made at `site` (a `file:line:column` key) as no-ops. */
export type VariantSearch = (bypass: readonly string[]) => Promise<ScenarioResult>;

export async function adviseVariants(advisor: LockAdvisor, search: VariantSearch): Promise<Advice[]> {
  const found: Advice[] = [];
  for (const site of advisor.lockSites()) {
    const bypass = [site.key];
    const result = await search(bypass);
    // An interrupted variant proves nothing, and the search it belongs to is being stopped.
    if (result.interrupted) break;
    const kind = advisor.kindOf(site.key);
    const noun = kind === 'Lock' ? 'lock' : 'semaphore';
    const base = { lock: { file: site.file, line: site.line, column: site.column, text: site.text }, sites: advisor.acquireSites(site.key), primitive: kind };
    if (result.status === 'fail') {
      const v = result.violation;
      const explanation = (v as { explanation?: { summary?: unknown; accesses?: unknown } | null }).explanation;
      // An explanation that names no access (racecheck saw no conflict it could tell) says less than the violation.
      const named = Array.isArray(explanation?.accesses) && explanation.accesses.length > 0;
      const summary = named && typeof explanation?.summary === 'string' ? explanation.summary : undefined;
      const carriedFrom = firstEarlierRunStep(v.trace);
      const violation: VariantViolation = {
        kind: v.kind,
        message: v.message,
        run: v.run,
        seed: v.seed,
        strategy: v.strategy,
        choices: v.choices,
        counts: v.counts,
        bypass,
        ...(carriedFrom === undefined ? {} : { carriedFrom }),
        ...(explanation === undefined ? {} : { explanation }),
      };
      found.push({
        ...base,
        code: 'lock-needed',
        message: `this ${noun} is needed: without it, ${summary ?? `${describeKind(v.kind)}: ${firstLine(v.message)}`}`,
        violation,
      });
    } else if (result.status === 'pass') {
      const { schedules, complete } = result.search;
      const tried = complete
        ? schedules === 1
          ? 'the one schedule there is passes'
          : `all ${count(schedules)} schedules pass, every one there is`
        : `none of the ${plural(schedules, 'schedule')} tried fails (not every schedule: a longer search may still find one)`;
      const atomic = advisor.withoutAwait(site.key) ? `; it protects no await: the code inside is atomic, and the ${noun} can go` : '';
      found.push({ ...base, code: 'lock-unneeded', message: `this ${noun} is not needed here: with it made a no-op, ${tried}${atomic}`, search: { schedules, complete } });
    }
    // A variant that could not run (its setup failed without the lock) proves nothing either way.
  }
  return found;
}

function describeKind(kind: string): string {
  switch (kind) {
    case 'check':
      return 'the check fails';
    case 'invariant':
      return 'the invariant breaks';
    case 'exception':
      return 'a task throws';
    case 'deadlock':
      return 'it deadlocks';
    default:
      return kind;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
