import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BoundedSemaphore, LockTimeoutError, Semaphore, SemaphoreOverReleaseError } from '@racecheck/sync';
import { flush, track } from './track.js';

describe('Semaphore', () => {
  it('starts with one permit by default and refuses a negative or fractional value', () => {
    expect(new Semaphore().value).toBe(1);
    expect(new Semaphore(0).locked()).toBe(true);
    for (const value of [-1, 1.5, Number.NaN, Infinity]) expect(() => new Semaphore(value)).toThrow(RangeError);
  });

  it('counts permits down on acquire and up on release, and is locked at zero', async () => {
    const semaphore = new Semaphore(2);
    await semaphore.acquire();
    expect(semaphore.value).toBe(1);
    expect(semaphore.locked()).toBe(false);
    await semaphore.acquire();
    expect(semaphore.value).toBe(0);
    expect(semaphore.locked()).toBe(true);
    semaphore.release();
    semaphore.release();
    expect(semaphore.value).toBe(2);
  });

  it('lets release raise the value above the initial one, as asyncio does', () => {
    const semaphore = new Semaphore(1);
    semaphore.release();
    expect(semaphore.value).toBe(2);
  });

  it('serves waiters in the order they came, one per release', async () => {
    const semaphore = new Semaphore(2);
    await semaphore.acquire();
    await semaphore.acquire();
    const order: string[] = [];
    for (const name of ['a', 'b', 'c']) void semaphore.acquire().then(() => order.push(name));
    await flush();
    expect(order).toEqual([]);
    semaphore.release();
    await flush();
    expect(order).toEqual(['a']);
    semaphore.release();
    semaphore.release();
    await flush();
    expect(order).toEqual(['a', 'b', 'c']);
    expect(semaphore.value).toBe(0);
  });

  it('hands a released permit to a waiter, so a late acquirer in the same tick does not overtake it', async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    const first = track(semaphore.acquire());
    semaphore.release();
    expect(semaphore.value).toBe(0);
    expect(semaphore.locked()).toBe(true);
    const late = track(semaphore.acquire());
    await flush();
    expect(first.state).toBe('fulfilled');
    expect(late.state).toBe('pending');
    semaphore.release();
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

    it('rejects with LockTimeoutError and takes no permit', async () => {
      const semaphore = new Semaphore(1);
      await semaphore.acquire();
      const timed = track(semaphore.acquire({ timeoutMs: 20 }));
      vi.advanceTimersByTime(20);
      await flush();
      expect(timed.state).toBe('rejected');
      expect(timed.error).toBeInstanceOf(LockTimeoutError);
      expect(timed.error).toMatchObject({ timeoutMs: 20, message: 'Semaphore.acquire(): no permit within 20 ms' });
      expect(semaphore.locked()).toBe(true);
      semaphore.release();
      expect(semaphore.value).toBe(1);
      expect(semaphore.locked()).toBe(false);
    });

    it('keeps a permit handed over before the timer fires', async () => {
      const semaphore = new Semaphore(0);
      const timed = track(semaphore.acquire({ timeoutMs: 5 }));
      semaphore.release();
      vi.advanceTimersByTime(5);
      await flush();
      expect(timed.state).toBe('fulfilled');
      expect(semaphore.value).toBe(0);
      semaphore.release();
      expect(semaphore.value).toBe(1);
    });
  });

  describe('abort', () => {
    it('rejects at once with an already-aborted signal and takes no permit', async () => {
      const semaphore = new Semaphore(1);
      await expect(semaphore.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
      expect(semaphore.value).toBe(1);
    });

    it('takes an aborted waiter out of the queue, so releases skip it', async () => {
      const semaphore = new Semaphore(0);
      const controller = new AbortController();
      const a = track(semaphore.acquire());
      const b = track(semaphore.acquire({ signal: controller.signal }));
      const c = track(semaphore.acquire());
      controller.abort();
      semaphore.release();
      semaphore.release();
      await flush();
      expect([a.state, b.state, c.state]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(semaphore.value).toBe(0);
      expect(semaphore.locked()).toBe(true);
      semaphore.release();
      expect(semaphore.value).toBe(1);
    });

    it('returns the permit to the pool when the only waiter is aborted just before the release', async () => {
      const semaphore = new Semaphore(0);
      const controller = new AbortController();
      const waiter = track(semaphore.acquire({ signal: controller.signal }));
      controller.abort();
      semaphore.release();
      await flush();
      expect(waiter.state).toBe('rejected');
      expect(semaphore.value).toBe(1);
      expect(semaphore.locked()).toBe(false);
    });

    it('leaves the permit with the waiter, and the others queued, when the abort comes just after the release', async () => {
      const semaphore = new Semaphore(0);
      const controller = new AbortController();
      const waiter = track(semaphore.acquire({ signal: controller.signal }));
      const other = track(semaphore.acquire());
      semaphore.release();
      controller.abort();
      await flush();
      expect(waiter.state).toBe('fulfilled');
      expect(other.state).toBe('pending');
      expect(semaphore.value).toBe(0);
      semaphore.release();
      await flush();
      expect(other.state).toBe('fulfilled');
      semaphore.release();
      expect(semaphore.value).toBe(1);
    });
  });

  describe('runExclusive', () => {
    it('runs at most `value` fns at once and gives every permit back', async () => {
      const semaphore = new Semaphore(2);
      let running = 0;
      let most = 0;
      const job = () =>
        semaphore.runExclusive(async () => {
          most = Math.max(most, ++running);
          await flush();
          running--;
        });
      await Promise.all(Array.from({ length: 5 }, job));
      expect(most).toBe(2);
      expect(semaphore.value).toBe(2);
    });

    it('releases when fn throws', async () => {
      const semaphore = new Semaphore(1);
      await expect(
        semaphore.runExclusive(() => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(semaphore.value).toBe(1);
    });
  });
});

describe('BoundedSemaphore', () => {
  it('is a Semaphore', async () => {
    const semaphore = new BoundedSemaphore(2);
    expect(semaphore).toBeInstanceOf(Semaphore);
    await semaphore.acquire();
    expect(semaphore.value).toBe(1);
    semaphore.release();
    expect(semaphore.value).toBe(2);
  });

  it('throws SemaphoreOverReleaseError on a release above the initial value, and changes nothing', async () => {
    const semaphore = new BoundedSemaphore(1);
    expect(() => semaphore.release()).toThrow(SemaphoreOverReleaseError);
    expect(semaphore.value).toBe(1);
    await semaphore.acquire();
    semaphore.release();
    expect(() => semaphore.release()).toThrow(expect.objectContaining({ code: 'RACECHECK_OVER_RELEASE', bound: 1 }));
    expect(() => new BoundedSemaphore(0).release()).toThrow(SemaphoreOverReleaseError);
  });

  it('hands permits to waiters like a Semaphore', async () => {
    const semaphore = new BoundedSemaphore(1);
    await semaphore.acquire();
    const waiter = track(semaphore.acquire());
    semaphore.release();
    await flush();
    expect(waiter.state).toBe('fulfilled');
    semaphore.release();
    expect(() => semaphore.release()).toThrow(SemaphoreOverReleaseError);
  });

  it('releases once when runExclusive fn throws, without over-releasing', async () => {
    const semaphore = new BoundedSemaphore(1);
    await expect(semaphore.runExclusive(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(semaphore.value).toBe(1);
  });
});
