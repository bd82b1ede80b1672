/**
 * issue 9: false reds found by running correct programs against real peers (a server in another process),
 * each a wrong verdict racecheck 0.1.0 gave. Each test names the bug it pins; an `it.fails` is one that
 * still stands, with the reason. The peer's own are in false-reds-peer.test.ts (a file of their own, so
 * that their real waits for the peer run beside this file's).
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseReport, ROOT, runMain } from '../cli/helpers.js';
import { describeVerdict, verdicts, verdictsOfFile } from '../support/verdicts.js';

const FILE_LEFT_OVER = 'test/fixtures/trust/left-over-timers.ts';
const FILE_LOADING_IO = 'test/fixtures/trust/loading-io.ts';

describe('a server of this process', () => {
  // Was an exception every run: the server's write of a line it pushes unasked did not count as data on its way
  // to the client of this process (only a client's write did), so the clock moved to the client's 5 s timeout
  // before the push, due at 300 ms, was read (thread-pool.ts now marks the client a server here writes to).
  it('passes a client that waits for what the server pushes, under a setTimeout or an AbortSignal.timeout', async () => {
    for (const filter of ['pushUnderSetTimeout', 'pushUnderAbortSignal']) {
      const [verdict] = await verdicts('server-push.ts', ['--seed', '1', '--filter', filter], 100);
      expect(verdict!.status, `${filter}: ${describeVerdict(verdict!)}`).toBe('pass');
    }
  });
});

describe('promises made by hand around a stream\'s listener', () => {
  // Were an exception or a deadlock every run: racecheck let I/O land while the continuation of such a promise
  // was ready, so a flowing stream's next chunk went by with no listener, or a file stream's 'close' came before
  // the task listened for it. A stream's event to a `once` listener now ties what it settles (stream-events.ts).
  it('passes a file read chunk by chunk with stream.once("data"), and a "finish" then a "close" awaited by hand', async () => {
    for (const filter of ['chunks', 'finishThenClose']) {
      for (const seed of ['1', '2']) {
        const [verdict] = await verdicts('hand-made-once.ts', ['--seed', seed, '--filter', filter], 100);
        expect(verdict!.status, `${filter}, seed ${seed}: ${describeVerdict(verdict!)}`).toBe('pass');
      }
    }
  });
});

describe('the thread pool', () => {
  // Was a deadlock: a gzip stream's work on the thread pool is not counted (thread-pool.ts counts zlib's callback
  // functions); the stream's callbacks come a turn later, which run.ts's lastLook gives.
  it('passes a stream.pipeline through zlib.createGzip()', async () => {
    const [verdict] = await verdicts('zlib-streams.ts', ['--seed', '1', '--filter', 'gzipPipeline']);
    expect(verdict!.status, describeVerdict(verdict!)).toBe('pass');
  });

  // Was a deadlock even with lastLook's turns: each chunk of a zlib stream now counts as a thread-pool job.
  it('passes a pipeline through gzip that takes the thread pool hundreds of milliseconds', async () => {
    const [verdict] = await verdicts('zlib-streams.ts', ['--seed', '1', '--filter', 'largeGzipPipeline']);
    expect(verdict!.status, describeVerdict(verdict!)).toBe('pass');
  });

  it('passes a CompressionStream (a zlib stream underneath)', async () => {
    const [verdict] = await verdicts('zlib-streams.ts', ['--seed', '1', '--filter', 'compressionStream']);
    expect(verdict!.status, describeVerdict(verdict!)).toBe('pass');
  });
});

describe('I/O that loading the file started', () => {
  // Was realIo, so never complete: the first run of a file's first scenario found tsx's connect and cache
  // write still in flight when its tasks waited for timers, and counted them as its own I/O. A search now
  // lets requests in flight land before its first run (io.ts settleIoBeforeSearch).
  // In a project of its own (racecheck in its node_modules), as a user's file is: in this repository tsx's
  // connect has landed by the first run.
  it('is not the first scenario\'s: an exhaustive search of it is complete', async () => {
    const project = mkdtempSync(path.join(tmpdir(), 'racecheck-loading-io-'));
    try {
      mkdirSync(path.join(project, 'node_modules'));
      symlinkSync(ROOT, path.join(project, 'node_modules/racecheck'));
      copyFileSync(path.join(ROOT, FILE_LOADING_IO), path.join(project, 'loading-io.ts'));
      for (let i = 0; i < 2; i++) {
        const { stdout } = await runMain(['loading-io.ts', '--seed', '1', '--strategy', 'exhaustive', '--json'], { cwd: project });
        const [scenario] = parseReport(stdout).scenarios;
        expect(scenario, `try ${i + 1}`).toMatchObject({ status: 'pass', search: { strategy: 'exhaustive', schedules: 6, complete: true } });
        expect(scenario!.search, `try ${i + 1}`).not.toHaveProperty('realIo');
      }
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('state a run leaves behind', () => {
  // Was realIo in every later run, each sleep real (a scenario after it hundreds of times slower): a socket an
  // earlier run wrote to and left open unanswered counted as I/O under way for good. It now gets one hold of a
  // later run's timer to be answered (thread-pool.ts forgetEarlierAsks).
  it('forgets a question an earlier run left unanswered once a later run held a timer back for it', async () => {
    const found = new Map((await verdicts('leaked-socket.ts', ['--seed', '1', '--strategy', 'exhaustive'])).map((v) => [v.name.replace(/.*#/, ''), v]));
    for (const verdict of found.values()) expect(verdict.status, describeVerdict(verdict)).toBe('pass');
    expect((found.get('thenSleeps') as unknown as { search: object }).search).toMatchObject({ realIo: true });
    expect((found.get('thenSleepsAgain') as unknown as { search: object }).search).toEqual({ strategy: 'exhaustive', schedules: 6, complete: true });
  });

  // Was a deadlock (dropped timer, module state): a run that ends with a module-level timer pending drops it, as
  // SPEC §2 says ("timers still pending later are dropped"), and the module still waited for it in every later
  // run of the process; alone, the same scenario passed. In Node the timer fires: a run that would be a
  // deadlock now takes over the timers earlier runs left pending first (clock.ts adoptCarried), once.
  it('passes a scenario awaiting a module-level batch flush after one that did not wait for it, in a task or in setup', async () => {
    const all = await verdicts('module-timer.ts', ['--seed', '1']);
    expect(all.map((v) => v.name.replace(/.*#/, ''))).toEqual(['logAndGo', 'logAndWait', 'setupLeaves', 'setupWaits']);
    for (const verdict of all) expect(verdict.status, `${verdict.name}: ${describeVerdict(verdict)}`).toBe('pass');
  });

  it('passes the same scenario run alone', async () => {
    const [alone] = await verdicts('module-timer.ts', ['--seed', '1', '--filter', 'logAndWait']);
    expect(alone!.status, describeVerdict(alone!)).toBe('pass');
  });

  it('still reports a true deadlock once the timers earlier runs left have fired, a stale interval once', async () => {
    const [, stuck, after] = await verdicts('left-over-timers.ts', ['--seed', '1']);
    expect(stuck!.violation?.kind, describeVerdict(stuck!)).toBe('deadlock');
    // Their steps say where the timers came from: no task of this run started them.
    const trace = (stuck!.violation as unknown as { trace: { task: string; origin?: string }[] }).trace;
    expect(trace.slice(1).map((step) => [step.task, step.origin])).toEqual([['callback', 'an earlier run'], ['callback', 'an earlier run']]);
    expect(after!.status, describeVerdict(after!)).toBe('pass');

    // Replayed alone, the scenario has no such timers: its replay says so where it stops fitting, not that
    // the program changed, and a strict replay's error says the same.
    const replay = (stuck!.violation as unknown as { replay: string }).replay;
    const alone = await runMain([FILE_LEFT_OVER, '--replay', replay]);
    expect(alone.stdout).toMatch(/diverges at step 2: from there the recorded run fired timers an earlier run of its process had left pending, which a replay of the scenario alone does not have/);
    expect(alone.stdout).not.toMatch(/your change/);
    const json = parseReport((await runMain([FILE_LEFT_OVER, '--replay', replay, '--json'])).stdout);
    expect(json.scenarios[0]!.search).toMatchObject({ divergedAt: { step: 2, earlierRunTimers: true } });
    const strict = await runMain([FILE_LEFT_OVER, '--replay', replay, '--replay-strict']);
    expect(strict.stdout + strict.stderr).toMatch(/no longer fits this program: .*\(from step 2 the recorded run fired timers an earlier run of its process had left pending/);
  });
});

describe('worker threads', () => {
  // Was a deadlock: a running worker is not among process.getActiveResourcesInfo(); thread-pool.ts counts the
  // workers alive, and io.ts treats them as open handles.
  it('passes a task awaiting a worker\'s exit', async () => {
    const [verdict] = await verdicts('worker-threads.ts', ['--seed', '1', '--filter', 'workerExit']);
    expect(verdict!.status, describeVerdict(verdict!)).toBe('pass');
  });

  it('passes await worker.terminate()', async () => {
    const [verdict] = await verdicts('worker-threads.ts', ['--seed', '1', '--filter', 'terminateInTask']);
    expect(verdict!.status, describeVerdict(verdict!)).toBe('pass');
  });

  // Was an exception every run: an unref'd worker did not count (thread-pool.ts), so nothing held the virtual
  // clock back while it worked; one started during a run now counts for that run.
  it('passes a task waiting for what an unref\'d worker of its run writes, as pino.transport\'s does', async () => {
    const [verdict] = await verdicts('worker-threads.ts', ['--seed', '1', '--filter', 'unrefdWorkerWrites'], 100);
    expect(verdict!.status, describeVerdict(verdict!)).toBe('pass');
  });
});

describe('teardown after a run that took its whole time', () => {
  // Was an error, "left 1 process running after its runs": teardown had only what was left of the run's
  // timeout, none after a run the machine had slowed past it, and was cut off at its first await (phases.ts;
  // run.ts phaseDeadline). The replay of that run passed, so the scenario passed, but for what was left.
  it('ends what setup started, and the scenario passes', async () => {
    const [verdict] = await verdicts('wall-clock.ts', ['--seed', '1', '--filter', 'timesOutOnceBeforeTeardown'], 5_000);
    expect(verdict!.status, describeVerdict(verdict!)).toBe('pass');
  });
});

describe('a busy machine', () => {
  // Was a confirmed timeout: the run loop's confirming replays leave out the main thread's waits for a CPU,
  // but the child's watchdog timed them by the wall clock alone, reported a hang in the first replay, and
  // the replay of that hang in a fresh child, as busy, "confirmed" it (with no step and no token). The
  // watchdog now leaves out the same waits (run-queue.ts). Linux only: the fixture pins cores with taskset.
  it.runIf(process.platform === 'linux')('passes a run whose CPU time fits its timeout, though waiting for a core makes its wall time several times longer', async () => {
    const [verdict] = await verdicts('contended.ts', ['--seed', '1', '--filter', 'longRunSharesItsCpu']);
    expect(verdict!.status, describeVerdict(verdict!)).toBe('pass');
  });
});

describe('the virtual clock', () => {
  // Was a check failure: performance.now() was 0 at a run's first instant, which a real process never reads;
  // lru-cache takes a start of 0 to mean "no TTL". It reads 3,600,000 now.
  it('passes a TTL cache that treats a start of 0 as unset (lru-cache does)', async () => {
    const [verdict] = await verdicts('clock-zero.ts', ['--seed', '1']);
    expect(verdict!.status, describeVerdict(verdict!)).toBe('pass');
  });
});

describe('child processes', () => {
  // Were an exception every run: a child started in setup and asked in a task held no timer back, so the clock
  // moved to the task's 5 s timeout before the answer, 200 ms later, was read. A child's stdin cannot be read
  // (its answer comes on its stdout) and its IPC channel is no net.Socket: neither counted as awaiting an
  // answer. A write to a child's stdin now marks its stdout, a message sent marks the child until one comes
  // back (thread-pool.ts watchChildExchanges). A child started in the task passed already.
  it('passes a child started in setup, asked on its stdin or its IPC channel under a 5 s setTimeout timeout', async () => {
    const found = await verdictsOfFile('child-exchanges.ts', ['--seed', '1'], 100);
    for (const name of ['stdinOfChildFromSetup', 'channelOfChildFromSetup', 'childFromTask']) expect(found.get(name)?.status, `${name}: ${describeVerdict(found.get(name)!)}`).toBe('pass');
    const silent = found.get('silentChild')!;
    expect(silent.violation, describeVerdict(silent)).toMatchObject({ kind: 'exception', message: expect.stringContaining('timed out after 5000 ms') });
  });

  // Was a deadlock in 3 of 8 seeds: the stream's end starts a shutdown of the pipe (a request in flight),
  // and racecheck waited for it before resuming the task the end made ready, so the pipe's close and the
  // child's exit came first and 'close' was emitted with no listener. Node resumes the await in the
  // microtask checkpoint of the callback that settled it: racecheck now does too (io.ts wake), unless a
  // request that answers something is in flight while another continuation waits on I/O (which are ready
  // must not depend on a disk's speed). A file stream's 'finish' then 'close' was a deadlock every run: the
  // stream starts closing the file (a request) as it emits 'finish'; nothing else waits on I/O there.
  it('passes a for await over a child\'s stdout then once(child, "close"), and once(stream, "finish") then "close"', async () => {
    for (const seed of ['1', '2', '5', '6']) {
      const found = await verdicts('child-close.ts', ['--seed', seed, '--runs', '20']);
      expect(found.map((verdict) => verdict.name)).toEqual(['readThenClose', 'writeFinishThenClose']);
      for (const verdict of found) expect(verdict.status, `seed ${seed}: ${describeVerdict(verdict)}`).toBe('pass');
    }
  });

  // Was a deadlock in most runs (request-close.ts says why): I/O was let in while a task's loop over the
  // response was ready to go on. Not while a continuation awaiting an emitter's event is ready now.
  it('passes two tasks that each read a response to its end, then await the request\'s "close"', async () => {
    for (const seed of ['1', '2', '3']) {
      const [verdict] = await verdicts('request-close.ts', ['--seed', seed, '--runs', '30']);
      expect(verdict!.status, `seed ${seed}: ${describeVerdict(verdict!)}`).toBe('pass');
    }
  });

  // Was a deadlock every run: when the first stream's 'finish' landed, the other task's writes were in
  // flight, and racecheck let them land before it resumed the first task; its file's 'close' came
  // meanwhile. A continuation awaiting an emitter's event (events.once, a for await over a stream) now
  // resumes before the next I/O callback, as in Node (Pause.eventTied).
  it('passes two tasks that each await a file stream\'s "finish" and then its "close"', async () => {
    for (const seed of ['1', '2', '3', '4']) {
      const [verdict] = await verdicts('two-streams.ts', ['--seed', seed]);
      expect(verdict!.status, `seed ${seed}: ${describeVerdict(verdict!)}`).toBe('pass');
    }
  });
});
