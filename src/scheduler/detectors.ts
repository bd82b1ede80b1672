/**
 * How each violation the run loop detects is worded, and what a deadlock report holds. The run loop
 * decides when; these say what.
 */
import { formatSite as formatSourceSite, type Site } from '../site.js';
import type { BlockedTask } from './run-record.js';

/** A site in a message: racecheck's own scheduling points (line 0) say what they are, not `racecheck:0:0`. */
function formatSite(site: Site): string {
  return site.line === 0 ? site.text : formatSourceSite(site);
}

export function maxStepsMessage(maxSteps: number): string {
  return `more than ${maxSteps} steps in one run: a livelock or an unbounded loop`;
}

/** The run kept stepping past its deadline: the event loop was busy with the scenario's own work. */
export function busyTimeoutMessage(timeoutMs: number, steps: number): string {
  return `the run took longer than ${timeoutMs} ms of real time while busy: it was still taking steps (${steps} so far), so the time went into the scenario's own work, not into waiting`;
}

/** The run waited past its deadline for I/O that never settled. */
export function idleTimeoutMessage(timeoutMs: number, pending: 'requests' | 'handles', blocked: readonly BlockedTask[]): string {
  const what = pending === 'requests' ? 'a request still in flight (file system, DNS, zlib or crypto)' : 'sockets or other handles open, on which nothing arrived';
  const waits = blocked.map(({ task, sites }) => `${task} waits at ${sites[0] ? formatSite(sites[0]) : 'an await outside instrumented code'}`);
  return `the run took longer than ${timeoutMs} ms of real time while idle, waiting on I/O that never came: ${what}${waits.length > 0 ? `; ${waits.join('; ')}` : ''}`;
}

/** The check was still waiting when the run's time was up: a timeout, which a busy machine can give too. */
export function checkTimeoutMessage(timeoutMs: number): string {
  return `the run took longer than ${timeoutMs} ms of real time: its check had not finished`;
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
