import { real } from './context.js';
import { liveWorkers, threadJobsInFlight } from './thread-pool.js';

/**
 * How a wait for I/O ended: `until` held (`progress`); nothing is in flight any more (`idle`); only open
 * handles are left and they stayed quiet (`quiet`); or the deadline passed with a request still in flight
 * (`requests`) or handles still active (`handles`).
 */
export type SettleOutcome = 'progress' | 'idle' | 'quiet' | 'requests' | 'handles';

/**
 * How long open handles may stay quiet before a wait concludes nothing more is coming:
 * - `eager`: a few turns (what lands at once has landed; other tasks are ready meanwhile);
 * - `patient`: PATIENCE_MS of the thread's own turns (nothing else can happen, and a virtual timer is due
 *   next: the I/O then stands for a latency longer than that timer);
 * - `until-deadline`: never (nothing else can happen and nothing virtual is pending: only I/O can wake a
 *   task, and the run's deadline gives the verdict).
 */
export type Patience = 'eager' | 'patient' | 'until-deadline';

/** Watches real I/O through Node's list of active resources. */
export interface IoWatch {
  /**
   * Whether real I/O may be under way: a request in flight, or handles open beyond the thread's own and
   * the listening servers the run began with. A socket open before the run (a pool's connection, a
   * keep-alive socket of an earlier run) counts: a task may be waiting for its answer.
   */
  busy(): boolean;
  /** Whether handles were opened since the run began (beyond those it began with). */
  grew(): boolean;
  /** Whether a request (a file system, DNS, zlib or crypto operation, a connect, a write) is in flight. */
  requesting(): boolean;
  /**
   * Waits, with real macrotask turns, until every request in flight has landed and open handles stayed
   * quiet as long as `patience` asks, or `progressed` holds once handles are all that is left, or the
   * deadline (real ms, performance.now) passes. Requests are waited for whatever `progressed` says: which
   * tasks are ready must not depend on how fast one of two reads came back. A patient wait does not call
   * quiet handles quiet before `holdUntil` (real ms): the time a virtual timer would really have taken.
   */
  settle(deadline: number, progressed?: () => boolean, patience?: Patience, holdUntil?: number): Promise<SettleOutcome>;
  /**
   * Called when I/O made a task ready during a wait: the wait ends in the microtask checkpoint of the I/O
   * callback that did it, as Node resumes an await there, before the next I/O callback (a child's exit after
   * its stdout's end, a file stream's 'close' after its 'finish': the task attaches its listener first).
   * Unless `alone` (no other continuation waits on I/O), a request that answers something (not a stream's
   * own write or end) still in flight is waited for: which continuations are ready must not depend on a
   * disk's speed.
   */
  wake(alone: boolean): void;
}

type IoState = 'idle' | 'requests' | 'handles';

/** libuv requests: one operation in flight (a read, a write, a connect, a lookup, a close). */
const REQUEST = /Req|ConnectWrap|WriteWrap|ShutdownWrap|SendWrap|Job$/;
/**
 * Real timers and immediates belong to Node's internals or to racecheck itself (inside a run, the scenario's
 * are virtual): waiting for them would wait for racecheck, and counting them would make a run's I/O verdict
 * depend on when racecheck's own turn fell.
 */
const IGNORED = new Set(['Timeout', 'Immediate']);
const QUIET_TURNS = 2;
/** Turns a wait polls at once before it polls once a millisecond (a big file read, a slow peer). */
const SPIN_TURNS = 16;
/** How long open handles may stay quiet before a patient wait concludes nothing more is coming. */
const PATIENCE_MS = 50;
/**
 * The most one turn of the event loop adds to a quiet period. A machine that starves this process also
 * starves the peer that would answer (a server in this thread, the kernel's loopback delivery, a process
 * beside it): quiet is counted in the thread's own turns, so a wait on a busy machine lasts as many
 * turns as on an idle one, not as many milliseconds.
 */
const TURN_CREDIT_MS = 2;
/**
 * A stream's own write or end in flight: it completes when the kernel takes the bytes and answers nothing.
 * (Ending a socket whose peer ended it is one: a wait for it would let the next I/O callbacks in first.)
 */
const OUTBOUND = /WriteWrap$|ShutdownWrap$/;
/** Listening servers: they accept only when a client connects, and a client in this thread has a socket of its own. */
const LISTENER = /ServerWrap$/;

/**
 * Starts watching. The baseline is the thread's own handles plus the listening servers open now (one
 * started in setup); sockets open now are not in it.
 */
export function createIoWatch(): IoWatch {
  const atStart = process.getActiveResourcesInfo();
  // Counted on first use: most runs never ask.
  let counted: { atStart: Map<string, number>; baseline: Map<string, number> } | undefined;
  const counts = () => {
    if (counted) return counted;
    const start = countHandles(atStart);
    const baseline = new Map(INFRASTRUCTURE);
    for (const [name, count] of start) if (LISTENER.test(name)) baseline.set(name, Math.max(baseline.get(name) ?? 0, count));
    return (counted = { atStart: start, baseline });
  };
  /** The last list judged idle: the common case is the same list again. */
  let idleList: readonly string[] | undefined;

  const state = (): IoState => {
    if (threadJobsInFlight() > 0) return 'requests';
    const resources = process.getActiveResourcesInfo();
    const workers = liveWorkers() > 0;
    if (!workers && (resources.length === 0 || (idleList !== undefined && sameList(resources, idleList)))) return 'idle';
    for (const name of resources) if (isRequest(name)) return 'requests';
    if (workers) return 'handles';
    if (!sameOrFewer(countHandles(resources), counts().baseline)) return 'handles';
    idleList = resources;
    return 'idle';
  };

  /** Ends the current turn of a wait at once; set while a wait is in a turn. */
  let endTurn: (() => void) | undefined;
  let woken: 'alone' | 'shared' | undefined;
  const nextTurn = (spin: boolean) =>
    new Promise<void>((resolve) => {
      endTurn = resolve;
      if (spin) real.setImmediate(resolve);
      else real.setTimeout(resolve, 1);
    });

  /** A request whose completion is an answer (a read, a lookup, a connect, a thread-pool job) is in flight. */
  const answerPending = (): boolean => {
    if (threadJobsInFlight() > 0) return true;
    for (const name of process.getActiveResourcesInfo()) if (isRequest(name) && !OUTBOUND.test(name)) return true;
    return false;
  };

  return {
    busy: () => state() !== 'idle',
    wake(alone) {
      if (endTurn === undefined) return;
      if (woken !== 'alone') woken = alone ? 'alone' : 'shared';
      endTurn();
    },
    grew: () => !sameOrFewer(countHandles(process.getActiveResourcesInfo()), counts().atStart),
    requesting: () => state() === 'requests',
    async settle(deadline, progressed = () => false, patience = 'eager', holdUntil = 0) {
      let handleTurns = 0;
      /** The quiet period's length in credited turn time (see TURN_CREDIT_MS). */
      let quietFor = 0;
      /** Whether the patience had already run out at the check before this one (see below). */
      let outOfPatience = false;
      let seen = -1;
      let now: IoState = state();
      let last = real.performanceNow();
      woken = undefined;
      for (let turn = 0, time = last; time < deadline; turn++, time = real.performanceNow()) {
        if (turn > 0) now = state();
        if (now === 'idle') return progressed() ? 'progress' : 'idle';
        // Once I/O readied a continuation, the wait ends at the first check with no answer still to come
        // (or at once, if nothing else waits on I/O), not after the quiet turns.
        if (woken !== undefined && progressed() && (woken === 'alone' || !answerPending())) return 'progress';
        if (now === 'handles') {
          // Handles opening or closing is activity: the quiet period starts again.
          const count = process.getActiveResourcesInfo().length + liveWorkers();
          if (count !== seen) {
            seen = count;
            quietFor = 0;
            outOfPatience = false;
          } else {
            quietFor += Math.min(time - last, TURN_CREDIT_MS);
          }
          handleTurns++;
          // What lands at once has landed after a few turns; only a run with nothing else to do waits longer,
          // and not once something became ready.
          if (handleTurns > QUIET_TURNS && (patience === 'eager' || progressed())) return progressed() ? 'progress' : 'quiet';
          // Quiet only if the patience had run out at the check before too: a process the machine starved wakes
          // in a phase of the event loop before the poll phase that reads what arrived meanwhile, and the
          // next turn comes after that poll phase. (A busy machine must not make a request's data look late.)
          if (patience === 'patient' && quietFor > PATIENCE_MS && time >= holdUntil) {
            if (outOfPatience) return progressed() ? 'progress' : 'quiet';
            outOfPatience = true;
          }
        } else {
          // A request in flight always lands before the next decision.
          handleTurns = 0;
          quietFor = 0;
          outOfPatience = false;
        }
        last = time;
        // A few turns catch what lands at once; past them, poll once a millisecond rather than spin.
        await nextTurn(turn < SPIN_TURNS);
        endTurn = undefined;
      }
      return progressed() ? 'progress' : now;
    },
  };
}

/** How long a search waits, at most, for requests started before it (settleIoBeforeSearch). */
const BEFORE_SEARCH_MS = 500;

/**
 * Lets the requests in flight before a search's first run land first: what loading the scenario's modules
 * started (tsx's connect to a watcher's pipe, a cache write, a module's own read at import) is not I/O of
 * the scenario's runs, and counted in the first run it made that run's verdict realIo and an exhaustive
 * search incomplete, depending on how fast it landed.
 */
export async function settleIoBeforeSearch(): Promise<void> {
  const watch = createIoWatch();
  if (watch.requesting()) await watch.settle(real.performanceNow() + BEFORE_SEARCH_MS);
}

const requestNames = new Map<string, boolean>();

/** Whether an active resource's name (process.getActiveResourcesInfo()) is a libuv request: one operation in flight. */
export function isRequest(name: string): boolean {
  let request = requestNames.get(name);
  if (request === undefined) {
    request = REQUEST.test(name);
    requestNames.set(name, request);
  }
  return request;
}

function countHandles(resources: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of resources) {
    if (isRequest(name) || IGNORED.has(name)) continue;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** The common case, without counting: exactly the resources there were at the start (requests among them have landed since, or will be seen next time). */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] || isRequest(a[i]!)) return false;
  return true;
}

function sameOrFewer(now: Map<string, number>, baseline: Map<string, number>): boolean {
  for (const [name, count] of now) if (count > (baseline.get(name) ?? 0)) return false;
  return true;
}

/**
 * The thread's own handles, open before any of the program's code ran (a worker's port, the pipes to the
 * parent, a test runner's channel): counted when the runtime's module loads.
 */
const INFRASTRUCTURE: ReadonlyMap<string, number> = countHandles(process.getActiveResourcesInfo());
