// async-mutex 0.3.2 → 0.4.0: `waitForUnlock()` resolved when the holder released the mutex even though another
// waiter took it over at once, so it resolved while the mutex was locked.
// https://github.com/DirtyHairy/async-mutex/issues/52 ("mutex.waitForUnlock() bug?"): "if there are more tasks
// blocked in the queue, then the semaphore will have decremented again before the waiter is resolved"; "Fixed in
// 0.4.0".
//
// NOTE: async-mutex is transpiled TypeScript (`__awaiter`/`__generator`, ES5) in both versions, so `--include`
// finds no native await in it; the race is reachable because the critical sections are scenario code.
//
// Two jobs append to a log file, each inside `mutex.runExclusive()`; a backup task waits for the mutex to be free
// with `waitForUnlock()` (the readme's promise style) before it copies the log. When its callback runs, the
// mutex must not be held. Real files.
import { appendFile, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Mutex as MutexBuggy } from 'async-mutex-buggy';
import { Mutex as MutexFixed } from 'async-mutex-fixed';

function scenario(Mutex, version) {
  const job = (line) => async (state) =>
    state.mutex.runExclusive(async () => {
      const before = await readFile(state.log, 'utf8');
      await appendFile(state.log, `${line} (after ${before.split('\n').length - 1} lines)\n`);
    });
  return {
    name: `async-mutex@${version}: a backup waits for the log's mutex to be free while two jobs write the log`,
    setup: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'rc-corpus-log-'));
      const log = path.join(dir, 'app.log');
      await writeFile(log, '');
      return { dir, log, mutex: new Mutex(), lockedWhenWoken: undefined };
    },
    tasks: {
      jobA: job('job A'),
      jobB: job('job B'),
      backup: async (state) => {
        await state.mutex.waitForUnlock().then(() => {
          state.lockedWhenWoken = state.mutex.isLocked();
        });
        await copyFile(state.log, `${state.log}.bak`);
      },
    },
    check: (state) => state.lockedWhenWoken === false || 'waitForUnlock() resolved while the mutex was locked',
    teardown: (state) => rm(state.dir, { recursive: true, force: true }),
  };
}

export const buggy = scenario(MutexBuggy, '0.3.2');
export const fixed = scenario(MutexFixed, '0.4.0');
