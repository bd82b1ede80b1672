// limiter 3.0.0 → 4.0.0: RateLimiter.removeTokens() checked the interval's allowance, then awaited the token
// bucket, and only then counted the tokens against the interval. Callers that arrived during that await all
// passed the check, so more than `tokensPerInterval` removals could happen within one interval.
// CHANGELOG 4.0.0, "Fixed": "Reserve interval allowance before asynchronous calls yield; recheck it after
// waiting." https://github.com/jhurliman/node-rate-limiter/blob/main/CHANGELOG.md
//
// Three workers share a limiter for an API that allows 2 requests per second (`tokensPerInterval: 2, interval:
// 'second'`, the readme's example) and each sends one request. The API's rule: no more than 2 requests in any
// one-second window. Timers (the limiter's waits), on racecheck's virtual clock.
import { RateLimiter as RateLimiterBuggy } from 'limiter-buggy';
import { RateLimiter as RateLimiterFixed } from 'limiter-fixed';

const PER_SECOND = 2;

function scenario(RateLimiter, version) {
  const worker = async (state, ctx) => {
    await state.limiter.removeTokens(1);
    state.sent.push({ worker: ctx.name, at: Date.now() });
  };
  return {
    name: `limiter@${version}: three workers share a 2-requests-per-second limiter`,
    setup: () => ({ limiter: new RateLimiter({ tokensPerInterval: PER_SECOND, interval: 'second' }), sent: [] }),
    tasks: { a: worker, b: worker, c: worker },
    check: (state) => {
      const times = state.sent.map((r) => r.at).sort((x, y) => x - y);
      for (let i = 0; i < times.length; i++) {
        const inWindow = times.filter((t) => t >= times[i] && t < times[i] + 1000).length;
        if (inWindow > PER_SECOND) return `${inWindow} requests within one second (at ${times.map((t) => t - times[0]).join(', ')} ms)`;
      }
      return state.sent.length === 3 || `only ${state.sent.length} requests were sent`;
    },
  };
}

export const buggy = scenario(RateLimiterBuggy, '3.0.0');
export const fixed = scenario(RateLimiterFixed, '4.0.0');
