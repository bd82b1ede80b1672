/**
 * How long this thread has waited for a CPU while it was ready to run. On a busy machine a step's wall
 * time includes that wait: a step of 60 ms takes 120 ms when four processes share two cores. Minus the
 * wait, what is left is the time the step itself took, running or blocked by its own doing (a synchronous
 * read, `Atomics.wait`, `execSync`), the same as on an idle machine.
 *
 * Linux keeps the figure per thread in /proc/thread-self/schedstat (its second field, in nanoseconds).
 * The file is opened once per thread and read in place: a read costs about 2 µs, so the run loop reads it
 * only in the replays that confirm a wall-clock verdict (confirm.ts). Where there is no such file (not
 * Linux, a kernel without scheduler statistics) it reads 0 and nothing is discounted.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const SCHEDSTAT = '/proc/thread-self/schedstat';

let fd: number | null | undefined;
const buffer = Buffer.alloc(96);

/** Milliseconds this thread has spent ready to run but waiting for a CPU, since it started (0 where unknown). */
export function runQueueWaitMs(): number {
  if (fd === undefined) fd = openSchedstat();
  if (fd === null) return 0;
  try {
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    const waitNs = Number(buffer.toString('latin1', 0, length).split(' ')[1]);
    return Number.isFinite(waitNs) ? waitNs / 1e6 : 0;
  } catch {
    const open = fd;
    fd = null;
    try {
      closeSync(open);
    } catch {
      // Already unusable: nothing more to do with it.
    }
    return 0;
  }
}

function openSchedstat(): number | null {
  try {
    return openSync(SCHEDSTAT, 'r');
  } catch {
    return null;
  }
}
