/**
 * issue 9: a red result must always be a real bug. Real I/O (src/scheduler/io.ts) is let in before every
 * decision and is never a deadlock. Each test runs real scenario files (test/fixtures/trust).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { useSlowPeer } from '../support/slow-peer.js';
import { loadScenarios, runScenario, type LoadedScenario, type ScenarioResult } from 'racecheck';
import { isRequest } from '../../src/scheduler/io.js';

async function scenario(file: string, name: string): Promise<LoadedScenario> {
  const found = (await loadScenarios(`test/fixtures/trust/${file}`)).find((s) => s.exportName === name);
  if (!found) throw new Error(`no scenario ${name} in ${file}`);
  return found;
}

/**
 * For the tests that are not about blocking the event loop: a step that a busy machine stalls must not turn
 * them red (a blocked-loop is confirmed by replays, but the point here is something else).
 */
const PINNED = { maxBlockingMs: 10_000 } as const;

/**
 * Waits (5 s at most) until this process has no I/O request in flight, so that a run sees only what its test
 * opened. Two requests are often still there: the connect of a socket just connected (its ConnectWrap stays
 * listed until the connect callback's microtask checkpoint is over; a run started from it on Node 24 saw it),
 * and tsx's disk cache at work in this thread after it compiled a fixture: its writes and the scan of the
 * cache it then starts (on Node 22 with a cold cache, /tmp/tsx-<uid> removed, every run of this file saw
 * them). A run rightly counts them as real I/O (src/scheduler/io.ts).
 */
async function noRequestInFlight(): Promise<void> {
  const until = performance.now() + 5_000;
  while (process.getActiveResourcesInfo().some(isRequest) && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const message = (result: ScenarioResult): string => (result.status === 'fail' ? result.violation.message : result.status === 'error' ? result.error.message : 'pass');

describe('real I/O never causes a wrong verdict', () => {
  it('never calls a request still in flight a deadlock: a crypto job, a zlib job, a file read that lands 1.5 s later', async () => {
    for (const name of ['cryptoJob', 'zlibJob', 'slowFileRead']) {
      const result = await runScenario(await scenario('long-requests.ts', name), { seed: 1, ...PINNED });
      expect(result.status, `${name}: ${message(result)}`).toBe('pass');
    }
  });

  it('passes the node:http handler behind a Lock, run after run, under every strategy', async () => {
    const handler = await scenario('http-handler.ts', 'handlerBehindLock');
    for (const strategy of ['portfolio', 'random', 'pct', 'exhaustive'] as const) {
      const result = await runScenario(handler, { seed: 1, strategy, runs: 60, ...PINNED });
      expect(result.status, `${strategy}: ${message(result)}`).toBe('pass');
    }
  });

  it('never calls a search with real I/O in flight complete: interleavings inside the I/O were not explored', async () => {
    const correct = await runScenario(await scenario('real-io.ts', 'separateFiles'), { seed: 1, strategy: 'exhaustive', runs: 1000, ...PINNED });
    expect(correct).toMatchObject({ status: 'pass', search: { complete: false, realIo: true } });
    // The torn read is a real bug: found, or at least never proved absent.
    const torn = await runScenario(await scenario('real-io.ts', 'readerBesideWriter'), { seed: 1, strategy: 'exhaustive', runs: 1000, ...PINNED });
    if (torn.status === 'pass') expect(torn.search).toMatchObject({ complete: false, realIo: true });
    else expect(torn.status).toBe('fail');
  });

  it('lets both of two file reads land before it decides, so it can resume the one that landed last first', async () => {
    // A continuation I/O made ready resumes at once only if nothing else waits on I/O (io.ts wake): here the
    // other read is in flight, so both land first, and the exhaustive search resumes the big one first.
    for (const seed of [1, 2, 3]) {
      const result = await runScenario(await scenario('real-io.ts', 'bigReadFirst'), { seed, strategy: 'exhaustive', runs: 50, ...PINNED });
      expect(result.status, message(result)).toBe('fail');
      expect(result.violation!.message).toBe('the big read was handled first');
    }
  });
});

describe('a slow peer is no deadlock', () => {
  useSlowPeer();

  it('passes requests that a server in another process answers 300 ms later', async () => {
    const result = await runScenario(await scenario('slow-peers.ts', 'slowServer'), { seed: 1, runs: 4, ...PINNED });
    expect(result.status, message(result)).toBe('pass');
  });

  it('passes a question asked on a socket opened in setup (a pool\'s connection), answered 200 ms later', async () => {
    const result = await runScenario(await scenario('slow-peers.ts', 'pooledSocket'), { seed: 1, runs: 4, ...PINNED });
    expect(result.status, message(result)).toBe('pass');
  });

  it('reports a deadlock on locks beside a socket open since setup, and does not wait for the socket', async () => {
    const result = await runScenario(await scenario('slow-peers.ts', 'deadlockBesideSocket'), { seed: 1, runs: 50, timeoutMs: 60_000, ...PINNED });
    expect(result.status).toBe('fail');
    if (result.status !== 'fail') return;
    expect(result.violation.kind).toBe('deadlock');
  });

  it('does not wait on a socket left open and idle: the clock moves at once, and the search has no real I/O', async () => {
    const { tcp } = JSON.parse(process.env.RACECHECK_SLOW_PEER!) as { tcp: number };
    const idle = net.connect(tcp, '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    try {
      const found = (await loadScenarios('test/fixtures/core/rate-limiter.ts')).find((s) => s.exportName === 'window')!;
      await noRequestInFlight();
      const result = await runScenario(found, { seed: 8, runs: 20, ...PINNED });
      expect(result.status).toBe('pass');
      expect((result.search as { realIo?: boolean }).realIo).not.toBe(true);
    } finally {
      idle.destroy();
    }
  });

  it('calls a request that is never answered a timeout once the deadline passed, not a deadlock', async () => {
    const result = await runScenario(await scenario('slow-peers.ts', 'silentServer'), { seed: 1, runs: 1, ...PINNED });
    expect(result.status).toBe('fail');
    if (result.status !== 'fail') return;
    expect(result.violation.kind).toBe('timeout');
    expect(result.violation.message).toContain('sockets or other handles open, on which nothing arrived');
  });
});
