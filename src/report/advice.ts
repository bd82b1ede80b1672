/**
 * Advice as a report carries it: a lock-needed finding's schedule becomes a replay token (which makes the
 * same locks no-ops again when it is replayed) and a command that runs it.
 */
import { encodeReplayToken } from './replay-token.js';
import type { Advice, ReportAdvice } from '../scheduler/advice.js';

export function toReportAdvice(advice: readonly Advice[], id: string, command: (replay: string) => string): ReportAdvice[] {
  return advice.map((item): ReportAdvice => {
    if (item.code !== 'lock-needed') return item;
    const { choices, counts, bypass, carriedFrom, seed, strategy, kind, message, explanation } = item.violation;
    // Like the violation's own token (build.ts): a replay of the variant alone knows where it may diverge.
    const replay = encodeReplayToken({ id, strategy, seed, choices, counts, bypass, ...(carriedFrom === undefined ? {} : { carriedFrom }) });
    return { ...item, violation: { kind, message, replay, command: command(replay), ...(explanation === undefined ? {} : { explanation }) } };
  });
}
