import type { SearchSummary } from '../scheduler/result.js';
import { carriedWhy } from '../scheduler/strategies/replay.js';
import { plural } from '../words.js';

/**
 * What a replay says when its recording stopped fitting the program (the user changed the code since):
 * the step and the user's code where it went another way, and what the search that went on found. Runs of
 * the same choices that differed by themselves (real I/O) are `nondeterministic`, and not a replay's news.
 */
export function formatDivergence(search: SearchSummary, runs: number, failedRun?: number): string | undefined {
  const at = search.divergedAt;
  if (!at || search.nondeterministic) return undefined;
  const where = at.site ? ` (${at.site.file.slice(at.site.file.lastIndexOf('/') + 1)}:${at.site.line})` : '';
  const after = failedRun === undefined ? `${plural(runs - 1, 'further schedule')} passed` : `run ${failedRun} of the search that went on fails`;
  const why = at.earlierRunTimers ? carriedWhy('from there') : 'your change altered the interleaving';
  return `the recorded schedule diverges at step ${at.step}${where}: ${why}; ${after}`;
}

