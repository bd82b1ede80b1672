/**
 * How each violation the run loop detects is worded, and what a deadlock report holds. The run loop
 * decides when; these say what.
 */
import { formatSite, type Site } from '../site.js';
import type { BlockedTask } from './run-record.js';

export function maxStepsMessage(maxSteps: number): string {
  return `more than ${maxSteps} steps in one run: a livelock or an unbounded loop`;
}

export function timeoutMessage(timeoutMs: number): string {
  return `the run took longer than ${timeoutMs} ms of real time`;
}

export function blockedLoopMessage(step: number, task: string, site: Site | null, blockedMs: number, limitMs: number): string {
  const where = site ? ` after ${formatSite(site)}` : '';
  return `step ${step} (${task}${where}) blocked the event loop for ${Math.round(blockedMs)} ms (limit ${limitMs} ms)`;
}

/** Every unfinished task and where it waits, and the one-line message naming them. */
export function describeDeadlock(blocked: readonly BlockedTask[]): string {
  const parts = blocked.map(({ task, sites }) => `${task} waits at ${sites[0] ? formatSite(sites[0]) : 'an await outside instrumented code'}`);
  const count = blocked.length === 1 ? 'a task is' : `${blocked.length} tasks are`;
  return `${count} blocked with nothing left to wake ${blocked.length === 1 ? 'it' : 'them'}: ${parts.join('; ')}`;
}
