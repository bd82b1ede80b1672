/**
 * Timers a run leaves pending (src/scheduler/clock.ts): dropped from their run, and carried for a later
 * run that would otherwise be a deadlock (adoptCarried), as long as Node would still fire them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { adoptCarried, VirtualClock } from '../../src/scheduler/clock.js';

const noop = () => undefined;

/** A clock whose run ended at `now` with the timers `arm` created, and a fresh clock for the next run. */
function endedRun(arm: (clock: VirtualClock) => void, now = 0): VirtualClock {
  const clock = new VirtualClock();
  clock.now = now;
  arm(clock);
  clock.dispose();
  return new VirtualClock();
}

afterEach(() => {
  // Nothing carried from one test into the next.
  adoptCarried(new VirtualClock(), 0);
});

describe('timers an ended run left pending', () => {
  it('are taken over by a later run, each due as long after its now as it had left', () => {
    const next = endedRun((clock) => {
      clock.add('timeout', noop, 100, [], 0);
      clock.now = 30;
    });
    next.now = 500;
    expect(adoptCarried(next, 3)).toBe(1);
    const timer = next.peek()!;
    expect(timer.due).toBe(570);
    expect(timer.taskIndex).toBe(3);
    expect(timer.adopted).toBe(true);
    expect(adoptCarried(new VirtualClock(), 0)).toBe(0);
  });

  it('are not taken over once the program cleared them, nor when unref\'d', () => {
    const cleared = new VirtualClock();
    const handle = cleared.add('timeout', noop, 10, [], 0);
    const unrefd = cleared.add('timeout', noop, 10, [], 0).unref();
    cleared.dispose();
    handle.close();
    const next = new VirtualClock();
    expect(adoptCarried(next, 0)).toBe(0);
    unrefd.ref();
    expect(adoptCarried(next, 0)).toBe(1);
  });

  it('are carried once, by the last run that ended with them pending', () => {
    const first = new VirtualClock();
    const timer = first.add('timeout', noop, 10, [], 0);
    first.dispose();
    const second = new VirtualClock();
    timer.adopt(second, 0, 0);
    second.dispose();
    // Carried once, by the second run's end, not twice.
    expect(adoptCarried(new VirtualClock(), 0)).toBe(1);
  });

  it('fire an adopted interval once in the run that took it over, and carry it on', () => {
    const next = endedRun((clock) => void clock.add('interval', noop, 10, [], 0));
    adoptCarried(next, 0);
    const interval = next.peek()!;
    next.advance();
    next.take(interval);
    expect(next.pending).toBe(0);
    const later = new VirtualClock();
    expect(adoptCarried(later, 0)).toBe(1);
    expect(later.peek()).toBe(interval);
  });

  it('keep at most the 256 newest', () => {
    const next = endedRun((clock) => {
      for (let i = 0; i < 300; i++) clock.add('timeout', noop, i + 1, [], 0);
    });
    expect(adoptCarried(next, 0)).toBe(256);
    expect(next.peek()!.delay).toBe(45);
  });
});

describe('numeric ids', () => {
  it('of a run\'s own timers are not those of timers an earlier run left, carried or taken over', () => {
    const next = endedRun((clock) => {
      clock.add('timeout', noop, 100, [], 0);
      clock.add('timeout', noop, 200, [], 0);
    });
    const own = next.add('timeout', noop, 50, [], 0);
    expect(Number(own)).toBe(3);
    expect(adoptCarried(next, 0)).toBe(2);
    // A timer created after the takeover does not take the number of one taken over either.
    const later = next.add('timeout', noop, 50, [], 0);
    expect(Number(later)).toBe(4);
    // Clearing a taken-over timer by its number clears that timer, not one of the run's own.
    next.clear(1);
    expect(next.pending).toBe(3);
    expect(next.owns(1)).toBe(false);
    expect(next.owns(3)).toBe(true);
  });

  it('start again at 1 once nothing is carried', () => {
    const clock = new VirtualClock();
    expect(Number(clock.add('timeout', noop, 1, [], 0))).toBe(1);
  });
});
