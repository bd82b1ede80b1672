import { real } from './context.js';
import { threadJobsInFlight } from './thread-pool.js';

/**
 * How a wait for I/O ended: `until` held (`progress`); nothing is in flight any more (`idle`); only open
 * handles are left and they stayed quiet (`quiet`); or the deadline passed with a request still in flight
 * (`requests`) or handles still active (`handles`).
 */
export type SettleOutcome = 'progress' | 'idle' | 'quiet' | 'requests' | 'handles';

/** Watches real I/O through Node's list of active resources. */
export interface IoWatch {
  /** Whether real I/O may be under way: a request in flight, or more open handles than when the watch began. */
  busy(): boolean;
  /** Whether a request (a file system, DNS, zlib or crypto operation, a connect, a write) is in flight. */
  requesting(): boolean;
  /**
   * Waits, with real macrotask turns, until every request in flight has landed and open handles stayed
   * quiet for a few turns, or the deadline (real ms, performance.now) passes. With `patient` (nothing else
   * could happen meanwhile), open handles get until `progressed` holds or they stayed quiet for PATIENCE_MS
   * (a socket kept alive for reuse is open but expects nothing). Requests are waited for whatever
   * `progressed` says: which tasks are ready must not depend on how fast one of two reads came back.
   */
  settle(deadline: number, progressed?: () => boolean, patient?: boolean): Promise<SettleOutcome>;
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

/** Starts watching; handles open now (a server started in setup, the worker's port) are the baseline. */
export function createIoWatch(): IoWatch {
  // Counted on first use: most runs never ask.
  const snapshot = process.getActiveResourcesInfo();
  let baseline: Map<string, number> | undefined;
  let baselineSize = 0;

  const state = (): IoState => {
    if (threadJobsInFlight() > 0) return 'requests';
    const resources = process.getActiveResourcesInfo();
    if (resources.length === 0 || sameList(resources, snapshot)) return 'idle';
    let handles = 0;
    for (const name of resources) {
      if (isRequest(name)) return 'requests';
      if (!IGNORED.has(name)) handles++;
    }
    if (!baseline) {
      baseline = countHandles(snapshot);
      for (const n of baseline.values()) baselineSize += n;
    }
    if (handles <= baselineSize && sameOrFewer(countHandles(resources), baseline)) return 'idle';
    return 'handles';
  };

  return {
    busy: () => state() !== 'idle',
    requesting: () => state() === 'requests',
    async settle(deadline, progressed = () => false, patient = false) {
      let handleTurns = 0;
      let quietSince = real.performanceNow();
      /** Whether the patience had already run out at the check before this one (see below). */
      let outOfPatience = false;
      let seen = -1;
      let now: IoState = state();
      for (let turn = 0, time = quietSince; time < deadline; turn++, time = real.performanceNow()) {
        if (turn > 0) now = state();
        if (now === 'idle') return progressed() ? 'progress' : 'idle';
        if (now === 'handles') {
          // Handles opening or closing is activity: the quiet period starts again.
          const count = process.getActiveResourcesInfo().length;
          if (count !== seen) {
            seen = count;
            quietSince = time;
            outOfPatience = false;
          }
          handleTurns++;
          // What lands at once has landed after a few turns; only a run with nothing else to do waits longer,
          // and not once something became ready.
          if (handleTurns > QUIET_TURNS && (!patient || progressed())) return progressed() ? 'progress' : 'quiet';
          // Quiet only if the patience had run out at the check before too: a process the machine starved wakes
          // in a phase of the event loop before the poll phase that reads what arrived meanwhile, and the
          // next turn comes after that poll phase. (A busy machine must not make a request's data look late.)
          if (time - quietSince > PATIENCE_MS) {
            if (outOfPatience) return progressed() ? 'progress' : 'quiet';
            outOfPatience = true;
          }
        } else {
          // A request in flight always lands before the next decision.
          handleTurns = 0;
          quietSince = time;
          outOfPatience = false;
        }
        // A few turns catch what lands at once; past them, poll once a millisecond rather than spin.
        if (turn < SPIN_TURNS) await new Promise((resolve) => real.setImmediate(resolve));
        else await new Promise((resolve) => real.setTimeout(resolve, 1));
      }
      return progressed() ? 'progress' : now;
    },
  };
}

const requestNames = new Map<string, boolean>();

function isRequest(name: string): boolean {
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
