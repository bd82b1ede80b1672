import { real } from './context.js';

/** Watches real I/O through Node's list of active resources. */
export interface IoWatch {
  /** Whether real I/O may be under way: a request in flight, or more open handles than when the watch began. */
  busy(): boolean;
  /**
   * Waits, with real macrotask turns, until requests have landed and open handles stayed quiet for a few
   * turns, or `until` holds, or the deadline (real ms, performance.now) passes. With `patient` (nothing else
   * could happen meanwhile), open handles are polled until `until` holds, or they stayed quiet for
   * PATIENCE_MS (a socket kept alive for reuse is open but expects nothing), or the deadline passes.
   */
  settle(deadline: number, until?: () => boolean, patient?: boolean): Promise<void>;
}

type IoState = 'idle' | 'requests' | 'handles';

/** libuv requests: one operation in flight (a read, a write, a connect, a lookup, a close). */
const REQUEST = /Req|ConnectWrap|WriteWrap|ShutdownWrap|SendWrap|Job$/;
/** Real timers belong to Node's internals or to racecheck itself: waiting for them would wait for real time. */
const IGNORED = new Set(['Timeout']);
const QUIET_TURNS = 2;
/** How long open handles may stay quiet before a patient wait concludes nothing more is coming. */
const PATIENCE_MS = 50;

/** Starts watching; handles open now (a server started in setup, the worker's port) are the baseline. */
export function createIoWatch(): IoWatch {
  // Counted on first use: most runs never ask.
  const snapshot = process.getActiveResourcesInfo();
  let baseline: Map<string, number> | undefined;
  let baselineSize = 0;

  const state = (): IoState => {
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
    async settle(deadline, until = () => false, patient = false) {
      let quietTurns = 0;
      let quietSince = real.performanceNow();
      let seen = 0;
      for (let time = quietSince; time < deadline; time = real.performanceNow()) {
        const now = state();
        if (now === 'idle' || until()) return;
        if (now === 'handles') {
          if (quietTurns >= QUIET_TURNS && !patient) return;
          quietTurns++;
          // Handles opening or closing is activity: the quiet period starts again.
          const count = process.getActiveResourcesInfo().length;
          if (count !== seen) {
            seen = count;
            quietSince = time;
          } else if (time - quietSince > PATIENCE_MS) {
            return;
          }
        } else {
          quietSince = time;
        }
        if (now === 'handles' && quietTurns > QUIET_TURNS) await new Promise((resolve) => real.setTimeout(resolve, 1));
        else await new Promise((resolve) => real.setImmediate(resolve));
      }
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
