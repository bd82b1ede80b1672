import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Event, LockTimeoutError } from '@racecheck/sync';
import { flush, track } from './track.js';

describe('Event', () => {
  it('starts clear; set and clear flip it', () => {
    const event = new Event();
    expect(event.isSet()).toBe(false);
    event.set();
    event.set();
    expect(event.isSet()).toBe(true);
    event.clear();
    expect(event.isSet()).toBe(false);
  });

  it('wakes every waiter on set, in the order they came', async () => {
    const event = new Event();
    const order: string[] = [];
    for (const name of ['a', 'b', 'c']) void event.wait().then(() => order.push(name));
    await flush();
    expect(order).toEqual([]);
    event.set();
    await flush();
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('resolves a wait at once while set', async () => {
    const event = new Event();
    event.set();
    const waiter = track(event.wait());
    await flush();
    expect(waiter.state).toBe('fulfilled');
  });

  it('makes wait wait again after clear', async () => {
    const event = new Event();
    event.set();
    event.clear();
    const waiter = track(event.wait());
    await flush();
    expect(waiter.state).toBe('pending');
    event.set();
    await flush();
    expect(waiter.state).toBe('fulfilled');
  });

  it('still wakes the waiters of a set that clear follows in the same tick', async () => {
    const event = new Event();
    const waiter = track(event.wait());
    event.set();
    event.clear();
    await flush();
    expect(waiter.state).toBe('fulfilled');
    expect(event.isSet()).toBe(false);
  });

  describe('timeout', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('rejects with LockTimeoutError, and a later set wakes the others', async () => {
      const event = new Event();
      const timed = track(event.wait({ timeoutMs: 30 }));
      const patient = track(event.wait());
      vi.advanceTimersByTime(30);
      await flush();
      expect(timed.state).toBe('rejected');
      expect(timed.error).toBeInstanceOf(LockTimeoutError);
      expect(timed.error).toMatchObject({ code: 'RACECHECK_LOCK_TIMEOUT', message: 'Event.wait(): not set within 30 ms' });
      expect(patient.state).toBe('pending');
      event.set();
      await flush();
      expect(patient.state).toBe('fulfilled');
    });

    it('cancels the timer of waiters woken by set', async () => {
      const event = new Event();
      const timed = track(event.wait({ timeoutMs: 30 }));
      event.set();
      expect(vi.getTimerCount()).toBe(0);
      await flush();
      expect(timed.state).toBe('fulfilled');
    });
  });

  describe('abort', () => {
    it('rejects at once with an already-aborted signal', async () => {
      await expect(new Event().wait({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    });

    it('takes an aborted waiter out, and set wakes the others', async () => {
      const event = new Event();
      const controller = new AbortController();
      const aborted = track(event.wait({ signal: controller.signal }));
      const other = track(event.wait());
      controller.abort();
      await flush();
      expect(aborted.state).toBe('rejected');
      expect(other.state).toBe('pending');
      event.set();
      await flush();
      expect([aborted.state, other.state]).toEqual(['rejected', 'fulfilled']);
    });
  });
});
