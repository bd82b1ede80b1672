/**
 * Seed article 000 ("When do I need locks"), "Experiment 2: When I Actually Need a Lock": AsyncRateLimiter
 * allows 2 requests per 1 s window and 5 requests arrive at once. Without the lock every caller passes the
 * length check before any of them appends its timestamp, so all 5 are granted (the article saw 3). With the
 * lock exactly 2 are. The window is real time to the limiter and virtual time to racecheck: the second of
 * waiting costs nothing, and fixedWindowReopens shows grants resuming once the window has passed.
 */
import { defineScenario, type TaskResults } from 'racecheck';
import { LockedRateLimiter, RateLimiter } from './app/rate-limiter.js';

function granted(results: TaskResults, names = Object.keys(results)): number {
  return names.filter((name) => {
    const result = results[name];
    return result?.status === 'fulfilled' && result.value === true;
  }).length;
}

const burst = (name: string, create: () => RateLimiter) =>
  defineScenario({
    name,
    setup: create,
    tasks: Object.fromEntries(['A', 'B', 'C', 'D', 'E'].map((caller) => [caller, (limiter: RateLimiter) => limiter.acquire()])),
    check: (_limiter, results) => granted(results) === 2 || `granted ${granted(results)} of 5 requests; the limit is 2 per 1000 ms`,
  });

export const buggyBurstWithoutLock = burst('rate limiter: 5 concurrent requests, no lock', () => new RateLimiter(2, 1000));

export const fixedBurstWithLock = burst('rate limiter: 5 concurrent requests, under the lock', () => new LockedRateLimiter(2, 1000));

export const fixedWindowReopens = defineScenario({
  name: 'rate limiter: denied inside the window, granted again once it has passed',
  setup: () => ({ limiter: new LockedRateLimiter(2, 1000), startedAt: performance.now() }),
  tasks: {
    A: (s) => s.limiter.acquire(),
    B: (s) => s.limiter.acquire(),
    C: (s) => s.limiter.acquire(),
    inWindow: async (s, ctx) => {
      await ctx.sleep(999);
      return s.limiter.acquire();
    },
    afterWindow: async (s, ctx) => {
      await ctx.sleep(1000);
      return s.limiter.acquire();
    },
  },
  check: (s, results) => {
    if (granted(results, ['A', 'B', 'C']) !== 2) return `granted ${granted(results, ['A', 'B', 'C'])} of the first 3 requests, expected 2`;
    if (granted(results, ['inWindow']) !== 0) return 'the request at 999 ms was granted, inside the window of the first 2 grants';
    if (granted(results, ['afterWindow']) !== 1) return 'the request at 1000 ms was denied, though the first grant had left the window';
    const elapsed = performance.now() - s.startedAt;
    return elapsed >= 1000 || `the clock advanced only ${elapsed} ms`;
  },
});
