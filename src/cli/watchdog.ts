/**
 * The watchdog thread inside each child process. The child's main thread runs the scenarios (so they get
 * real process semantics: signals, process.chdir, native addons); this thread stays responsive whatever
 * they do. It reads the parent's messages (fd 4) and hands them to the main thread, watches the heartbeat
 * the main thread writes at every step, and when a run has not come back to the event loop for longer than
 * its timeout it writes the hang, with the step, its site and the schedule so far, straight to the parent
 * (fd 3). A run's time leaves out what the main thread spent waiting for a CPU (run-queue.ts), as the run
 * loop's confirming replays do: on a busy machine a correct run that takes its timeout's worth of CPU
 * stretches past the timeout in wall time, and that is the machine, not the scenario. Messages the main thread posted here (the sites its modules registered) arrive even once that
 * thread is stuck. If the parent goes away, it ends the whole process group.
 */
import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { mainThreadRunQueue } from '../scheduler/run-queue.js';
import type { SiteRef } from '../site.js';
import { pulseOf, readHeartbeat } from './heartbeat.js';
import { createMessageReader, encodeMessage, FROM_PARENT_FD, TO_PARENT_FD, type FromChild, type ToChild } from './protocol.js';

export interface WatchdogData {
  readonly heartbeat: SharedArrayBuffer;
  /** Slack on top of a run's timeout, so that the run loop's own timeout check wins when it can. */
  readonly graceMs: number;
}

/** What the main thread tells the watchdog. */
export type ToWatchdog =
  | { readonly type: 'sites'; readonly sites: readonly (SiteRef & { readonly id: number })[] }
  | { readonly type: 'scenario'; readonly id: string | undefined; readonly timeoutMs: number };

const POLL_MS = 20;
const BEAT_MS = 1000;
/** While runs go, a beat at most this often: where the search is, should the process be lost without a word. */
const RUN_BEAT_MS = 100;

const port = parentPort!;
const { heartbeat, graceMs } = workerData as WatchdogData;
const sites = new Map<number, SiteRef>();
let scenario: { id: string; timeoutMs: number } | undefined;

const send = (message: FromChild): void => {
  const bytes = Buffer.from(encodeMessage(message));
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(TO_PARENT_FD, bytes, offset);
  } catch {
    endProcessGroup();
  }
};

port.on('message', (message: ToWatchdog) => {
  if (message.type === 'sites') for (const { id, file, line, column, text } of message.sites) sites.set(id, { file, line, column, text });
  else scenario = message.id === undefined ? undefined : { id: message.id, timeoutMs: message.timeoutMs };
});

const input = new Socket({ fd: FROM_PARENT_FD, readable: true, writable: false });
input.on('data', createMessageReader<ToChild>((message) => port.postMessage(message), () => undefined));
// The parent is gone (it crashed, or was killed): nobody will read a report or end these processes.
input.on('end', endProcessGroup);
input.on('error', endProcessGroup);

const mainQueue = mainThreadRunQueue();
let generation = -1;
let since = performance.now();
/** The main thread's wait for a CPU when the run began (read at the same poll as `since`). */
let queuedSince = 0;
let hangReported = false;
let lastBeat = 0;
let lastBeatRun = -1;
setInterval(() => {
  const pulse = pulseOf(heartbeat);
  const now = performance.now();
  if (pulse.generation !== generation) {
    generation = pulse.generation;
    since = now;
    queuedSince = mainQueue.ms();
    hangReported = false;
  }
  // The schedstat file is read only once the wall clock alone says the run is late.
  const late = (limit: number): boolean => now - since > limit && now - since - (mainQueue.ms() - queuedSince) > limit;
  if (scenario && pulse.active && !hangReported && late((pulse.timeoutMs || scenario.timeoutMs) + graceMs)) {
    hangReported = true;
    const reading = readHeartbeat(heartbeat);
    const named: Record<number, SiteRef> = {};
    for (const step of reading.recent) {
      const site = sites.get(step.siteId);
      if (site) named[step.siteId] = site;
    }
    send({ type: 'hang', id: scenario.id, timeoutMs: pulse.timeoutMs || scenario.timeoutMs, snapshot: { reading, sites: named } });
    return;
  }
  const running = scenario !== undefined && pulse.active;
  if (now - lastBeat >= BEAT_MS || (running && pulse.run !== lastBeatRun && now - lastBeat >= RUN_BEAT_MS)) {
    lastBeat = now;
    lastBeatRun = pulse.run;
    send({ type: 'beat', id: scenario?.id, run: pulse.run, step: pulse.step, seed: pulse.seed, active: running });
  }
}, POLL_MS);

function endProcessGroup(): void {
  // The child leads its own process group (it was spawned detached): this ends what the scenario started too.
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.kill(process.pid, 'SIGKILL');
  }
}
