import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Lock, LockNotHeldError, LockTimeoutError } from '@racecheck/sync';
import { flush, track } from './track.js';

describe('Lock', () => {
  it('is held from acquire to release', async () => {
    const lock = new Lock();
    expect(lock.locked()).toBe(false);
    await lock.acquire();
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(lock.locked()).toBe(false);
  });

  it('throws LockNotHeldError when released while not held', async () => {
    const lock = new Lock();
    expect(() => lock.release()).toThrow(LockNotHeldError);
    await lock.acquire();
    lock.release();
    expect(() => lock.release()).toThrow(expect.objectContaining({ code: 'RACECHECK_LOCK_NOT_HELD' }));
  });

  it('serves waiters in the order they came', async () => {
    const lock = new Lock();
    await lock.acquire();
    const order: string[] = [];
    for (const name of ['a', 'b', 'c']) void lock.acquire().then(() => order.push(name));
    await flush();
    expect(order).toEqual([]);
    for (const expected of [['a'], ['a', 'b'], ['a', 'b', 'c']]) {
      lock.release();
      await flush();
      expect(order).toEqual(expected);
    }
    expect(lock.locked()).toBe(true);
  });

  it('stays locked through a hand-off, so a late acquirer queues behind the woken waiter', async () => {
    const lock = new Lock();
    await lock.acquire();
    const first = track(lock.acquire());
    lock.release();
    expect(lock.locked()).toBe(true);
    const late = track(lock.acquire());
    await flush();
    expect(first.state).toBe('fulfilled');
    expect(late.state).toBe('pending');
    lock.release();
    await flush();
    expect(late.state).toBe('fulfilled');
  });

  describe('timeout', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('rejects with LockTimeoutError and leaves the queue', async () => {
      const lock = new Lock();
      await lock.acquire();
      const timed = track(lock.acquire({ timeoutMs: 50 }));
      const next = track(lock.acquire());
      vi.advanceTimersByTime(49);
      await flush();
      expect(timed.state).toBe('pending');
      vi.advanceTimersByTime(1);
      await flush();
      expect(timed.state).toBe('rejected');
      expect(timed.error).toBeInstanceOf(LockTimeoutError);
      expect(timed.error).toMatchObject({ code: 'RACECHECK_LOCK_TIMEOUT', timeoutMs: 50, message: 'Lock.acquire(): not acquired within 50 ms' });
      lock.release();
      await flush();
      expect(next.state).toBe('fulfilled');
      lock.release();
      expect(lock.locked()).toBe(false);
    });

    it('does not start a timer when the lock is free', async () => {
      const lock = new Lock();
      await lock.acquire({ timeoutMs: 10 });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('cancels the timer when the lock is handed over first', async () => {
      const lock = new Lock();
      await lock.acquire();
      const timed = track(lock.acquire({ timeoutMs: 10 }));
      lock.release();
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(10);
      await flush();
      expect(timed.state).toBe('fulfilled');
      expect(lock.locked()).toBe(true);
    });

    it('waits forever with timeoutMs Infinity, which setTimeout alone would turn into 1 ms', async () => {
      const lock = new Lock();
      await lock.acquire();
      const forever = track(lock.acquire({ timeoutMs: Infinity }));
      vi.advanceTimersByTime(100_000);
      await flush();
      expect(forever.state).toBe('pending');
      lock.release();
      await flush();
      expect(forever.state).toBe('fulfilled');
    });
  });

  it('rejects a negative, NaN or oversized timeout with a RangeError, even when the lock is free', async () => {
    const lock = new Lock();
    for (const timeoutMs of [-1, Number.NaN, 2 ** 31]) {
      await expect(lock.acquire({ timeoutMs })).rejects.toThrow(RangeError);
    }
    expect(lock.locked()).toBe(false);
  });

  describe('abort', () => {
    it('rejects at once with an already-aborted signal, even when the lock is free', async () => {
      const lock = new Lock();
      const reason = new Error('stop');
      await expect(lock.acquire({ signal: AbortSignal.abort(reason) })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason });
      expect(lock.locked()).toBe(false);
    });

    it('takes an aborted waiter out of the queue, so the next release skips it', async () => {
      const lock = new Lock();
      await lock.acquire();
      const controller = new AbortController();
      const aborted = track(lock.acquire({ signal: controller.signal }));
      const next = track(lock.acquire());
      controller.abort();
      await flush();
      expect(aborted.state).toBe('rejected');
      expect(aborted.error).toMatchObject({ name: 'AbortError' });
      lock.release();
      await flush();
      expect(next.state).toBe('fulfilled');
      lock.release();
      expect(lock.locked()).toBe(false);
    });

    it('keeps the lock with a waiter it was handed to, if the abort comes after in the same tick', async () => {
      const lock = new Lock();
      await lock.acquire();
      const controller = new AbortController();
      const waiter = track(lock.acquire({ signal: controller.signal }));
      lock.release();
      controller.abort();
      await flush();
      expect(waiter.state).toBe('fulfilled');
      expect(lock.locked()).toBe(true);
      lock.release();
      expect(lock.locked()).toBe(false);
    });
  });

  describe('runExclusive', () => {
    it('returns what fn returns and releases', async () => {
      const lock = new Lock();
      await expect(lock.runExclusive(() => (expect(lock.locked()).toBe(true), 42))).resolves.toBe(42);
      expect(lock.locked()).toBe(false);
    });

    it('releases when fn throws or rejects', async () => {
      const lock = new Lock();
      await expect(
        lock.runExclusive(() => {
          throw new Error('sync');
        }),
      ).rejects.toThrow('sync');
      expect(lock.locked()).toBe(false);
      await expect(lock.runExclusive(async () => Promise.reject(new Error('async')))).rejects.toThrow('async');
      expect(lock.locked()).toBe(false);
    });

    it('runs fns one at a time, in order', async () => {
      const lock = new Lock();
      const events: string[] = [];
      const job = (name: string) =>
        lock.runExclusive(async () => {
          events.push(`${name} in`);
          await flush();
          events.push(`${name} out`);
        });
      await Promise.all([job('a'), job('b'), job('c')]);
      expect(events).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
    });

    it('does not run fn, nor release, when the acquire is aborted', async () => {
      const lock = new Lock();
      await lock.acquire();
      const controller = new AbortController();
      let ran = false;
      const run = lock.runExclusive(() => (ran = true), { signal: controller.signal });
      controller.abort();
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
      expect(ran).toBe(false);
      expect(lock.locked()).toBe(true);
    });
  });
});
