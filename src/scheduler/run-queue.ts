/**
 * How long a thread has waited for a CPU while it was ready to run. On a busy machine a step's wall
 * time includes that wait: a step of 60 ms takes 120 ms when four processes share two cores. Minus the
 * wait, what is left is the time the step itself took, running or blocked by its own doing (a synchronous
 * read, `Atomics.wait`, `execSync`), the same as on an idle machine.
 *
 * Linux keeps the figure per thread in /proc/<pid>/task/<tid>/schedstat (its second field, in nanoseconds).
 * The file is opened once and read in place: a read costs about 2 µs, so the run loop reads it only in the
 * replays that confirm a wall-clock verdict (confirm.ts), and the child's watchdog only once a run has gone
 * past its timeout. Where there is no such file (not Linux, a kernel without scheduler statistics) it reads
 * 0 and nothing is discounted.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** One thread's figure, read from its schedstat file. */
export class RunQueueWait {
  private fd: number | null | undefined;
  private readonly buffer = Buffer.alloc(96);

  constructor(private readonly path: string) {}

  /** Milliseconds the thread has spent ready to run but waiting for a CPU, since it started (0 where unknown). */
  ms(): number {
    if (this.fd === undefined) this.fd = openOrNull(this.path);
    if (this.fd === null) return 0;
    try {
      const length = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
      const waitNs = Number(this.buffer.toString('latin1', 0, length).split(' ')[1]);
      return Number.isFinite(waitNs) ? waitNs / 1e6 : 0;
    } catch {
      const open = this.fd;
      this.fd = null;
      try {
        closeSync(open);
      } catch {
        // Already unusable: nothing more to do with it.
      }
      return 0;
    }
  }
}

/** The calling thread's (a worker thread reads its own). */
const self = new RunQueueWait('/proc/thread-self/schedstat');

/** Milliseconds this thread has spent ready to run but waiting for a CPU, since it started (0 where unknown). */
export function runQueueWaitMs(): number {
  return self.ms();
}

/** The process's main thread, read from any of its threads: its thread id is the process id. */
export function mainThreadRunQueue(): RunQueueWait {
  return new RunQueueWait(`/proc/self/task/${process.pid}/schedstat`);
}

function openOrNull(path: string): number | null {
  try {
    return openSync(path, 'r');
  } catch {
    return null;
  }
}
