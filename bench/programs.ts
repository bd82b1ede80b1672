/**
 * Racy programs of known difficulty, each with a correct twin, written once and run by racecheck and by
 * fast-check's scheduler alike. Every place where a task gives way is `await pause()`: racecheck controls
 * every await (so these and any others), fast-check controls the promises `pause` hands to it.
 */
import { Lock } from 'racecheck/sync';

export type Pause = () => Promise<unknown>;

export interface Program<S> {
  readonly tasks: number;
  setup(): S;
  task(index: number, state: S, pause: Pause): Promise<unknown>;
  /** true, or why the run is wrong. */
  check(state: S, results: readonly PromiseSettledResult<unknown>[]): true | string;
}

export interface BenchProgram {
  readonly name: string;
  readonly difficulty: 'shallow' | 'deep';
  readonly description: string;
  readonly buggy: Program<any>;
  readonly correct: Program<any>;
}

const fulfilled = (results: readonly PromiseSettledResult<unknown>[]) =>
  results.filter((r): r is PromiseFulfilledResult<unknown> => r.status === 'fulfilled');
const rejected = (results: readonly PromiseSettledResult<unknown>[]) => results.find((r) => r.status === 'rejected');

/** 10 tasks read a counter, give way, write it back plus one. */
function counter(locked: boolean): Program<{ value: number; lock: Lock }> {
  return {
    tasks: 10,
    setup: () => ({ value: 0, lock: new Lock() }),
    async task(_i, s, pause) {
      if (locked) await s.lock.acquire();
      try {
        const current = s.value;
        await pause();
        s.value = current + 1;
      } finally {
        if (locked) s.lock.release();
      }
    },
    check: (s) => s.value === 10 || `expected 10, got ${s.value}`,
  };
}

/** 5 calls to a limiter that grants 2 per second; the check and the write are separated by work. */
function rateLimiter(locked: boolean): Program<{ requests: number[]; lock: Lock }> {
  const acquire = async (s: { requests: number[] }, pause: Pause) => {
    const now = Date.now();
    s.requests = s.requests.filter((t) => t > now - 1000);
    if (s.requests.length >= 2) return false;
    await pause();
    s.requests.push(now);
    return true;
  };
  return {
    tasks: 5,
    setup: () => ({ requests: [], lock: new Lock() }),
    async task(_i, s, pause) {
      if (!locked) return acquire(s, pause);
      await s.lock.acquire();
      try {
        return await acquire(s, pause);
      } finally {
        s.lock.release();
      }
    },
    check: (_s, results) => {
      const granted = fulfilled(results).filter((r) => r.value === true).length;
      return granted === 2 || `granted ${granted} of 5, limit 2`;
    },
  };
}

/** 5 gets of one key through a check-then-act cache; the fetch gives way. Fixed by double-checked locking. */
function cache(locked: boolean): Program<{ cache: Map<string, string>; fetches: number; lock: Lock }> {
  const fetch = async (s: { fetches: number }, pause: Pause) => {
    s.fetches++;
    await pause();
    return 'value';
  };
  return {
    tasks: 5,
    setup: () => ({ cache: new Map(), fetches: 0, lock: new Lock() }),
    async task(_i, s, pause) {
      if (s.cache.has('key')) return s.cache.get('key');
      if (locked) await s.lock.acquire();
      try {
        if (locked && s.cache.has('key')) return s.cache.get('key');
        const value = await fetch(s, pause);
        s.cache.set('key', value);
        return value;
      } finally {
        if (locked) s.lock.release();
      }
    },
    check: (s) => s.fetches === 1 || `fetched ${s.fetches} times`,
  };
}

/**
 * A request passes a ten-step middleware chain, then writes a config snapshot in two halves with a step
 * between; a reload that reads in that one gap sees a torn snapshot. The reload must be held back across the
 * whole chain and then run at exactly the right step. Fixed by writing both halves under a lock the reload
 * also takes.
 */
function tornSnapshot(locked: boolean): Program<{ version: number; copy: number; seen: string[]; lock: Lock }> {
  return {
    tasks: 2,
    setup: () => ({ version: 0, copy: 0, seen: [], lock: new Lock() }),
    async task(index, s, pause) {
      if (index === 0) {
        for (let i = 0; i < 10; i++) await pause();
        if (locked) await s.lock.acquire();
        s.version = 1;
        await pause();
        s.copy = 1;
        if (locked) s.lock.release();
        return;
      }
      for (let i = 0; i < 2; i++) await pause();
      if (locked) await s.lock.acquire();
      s.seen.push(`${s.version}/${s.copy}`);
      if (locked) s.lock.release();
    },
    check: (s) => !s.seen.includes('1/0') || `reload saw the torn snapshot version 1 / copy 0`,
  };
}

interface Node {
  readonly value: string;
  next: Node | null;
}

/**
 * ABA on a stack popped with compare-and-set: the slow popper reads top = A (next B) and gives way; then
 * another task pops A, a third pops B, a fourth pushes A back; the slow popper's compare sees A on top and
 * installs B, which is gone. Three events in one order inside one window. Fixed with a version tag.
 */
function aba(tagged: boolean): Program<{ top: Node | null; version: number; popped: string[]; poppedA: Promise<Node | null>; gotA: (n: Node | null) => void; poppedB: Promise<void>; gotB: () => void }> {
  const pop = async (s: { top: Node | null; version: number }, pause: Pause): Promise<Node | null> => {
    for (;;) {
      const top = s.top;
      const version = s.version;
      if (!top) return null;
      const next = top.next;
      await pause();
      if (s.top === top && (!tagged || s.version === version)) {
        s.top = next;
        s.version++;
        return top;
      }
    }
  };
  const push = async (s: { top: Node | null; version: number }, node: Node, pause: Pause) => {
    for (;;) {
      const top = s.top;
      const version = s.version;
      await pause();
      if (s.top === top && (!tagged || s.version === version)) {
        node.next = top;
        s.top = node;
        s.version++;
        return;
      }
    }
  };
  return {
    tasks: 4,
    setup() {
      const c: Node = { value: 'C', next: null };
      const b: Node = { value: 'B', next: c };
      const a: Node = { value: 'A', next: b };
      let gotA!: (n: Node | null) => void;
      let gotB!: () => void;
      const poppedA = new Promise<Node | null>((resolve) => (gotA = resolve));
      const poppedB = new Promise<void>((resolve) => (gotB = resolve));
      return { top: a, version: 0, popped: [], poppedA, gotA, poppedB, gotB };
    },
    async task(index, s, pause) {
      if (index === 0) {
        const node = await pop(s, pause);
        if (node) s.popped.push(node.value);
      } else if (index === 1) {
        await pause();
        const node = await pop(s, pause);
        s.gotA(node);
      } else if (index === 2) {
        await s.poppedA;
        const node = await pop(s, pause);
        if (node) s.popped.push(node.value);
        s.gotB();
      } else {
        const node = await s.poppedA;
        await s.poppedB;
        if (node) await push(s, node, pause);
      }
    },
    check(s) {
      const onStack: string[] = [];
      for (let node = s.top; node; node = node.next) onStack.push(node.value);
      const all = [...s.popped, ...onStack].sort();
      return all.join('') === 'ABC' || `popped ${s.popped.join(',')} and left ${onStack.join(',') || 'nothing'}: B came back after it was popped`;
    },
  };
}

/**
 * A pool of one connection that promises first-come, first-served. The holder releases it while a waiter
 * is queued; the buggy release puts it back in the free list and wakes the waiter, which takes from the
 * free list only when it resumes (and queues again if it is gone). A third request, routed in once the
 * connection is released, passes ten steps of middleware and overtakes the queued waiter if the waiter is
 * held back all that time. Fixed by handing the connection straight to the waiter.
 */
function poolHandoff(handoff: boolean): Program<{ pool: Pool }> {
  return {
    tasks: 3,
    setup: () => ({ pool: new Pool(handoff) }),
    async task(index, s, pause) {
      const { pool } = s;
      if (index === 0) {
        await pool.acquire('holder', pause);
        for (let i = 0; i < 3; i++) await pause();
        pool.release();
        return;
      }
      if (index === 1) {
        await pause();
        await pool.acquire('waiter', pause);
        await pause();
        pool.release();
        return;
      }
      await pool.released;
      for (let i = 0; i < 10; i++) await pause();
      await pool.acquire('newcomer', pause);
      await pause();
      pool.release();
    },
    check: (s, results) => {
      const failure = rejected(results);
      if (failure) return `a task failed: ${String((failure as PromiseRejectedResult).reason)}`;
      return s.pool.overtaken() ?? true;
    },
  };
}

class Pool {
  private free = true;
  private readonly waiters: (() => void)[] = [];
  private readonly queuedAt = new Map<string, number>();
  private readonly arrivedAt = new Map<string, number>();
  private readonly acquiredAt = new Map<string, number>();
  private clock = 0;
  private onRelease!: () => void;
  /** Settles at the first release (the load balancer routes the third request then). */
  readonly released = new Promise<void>((resolve) => (this.onRelease = resolve));

  constructor(private readonly handoff: boolean) {}

  async acquire(who: string, pause: Pause): Promise<void> {
    this.arrivedAt.set(who, this.clock++);
    if (this.free && this.waiters.length === 0) return this.take(who);
    this.queuedAt.set(who, this.clock++);
    for (;;) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      // Woken up: the waiter resumes later, when the scheduler gets to it.
      await pause();
      if (this.handoff) return this.take(who);
      if (this.free) return this.take(who);
    }
  }

  release(): void {
    this.onRelease();
    const waiter = this.waiters.shift();
    if (this.handoff && waiter) return waiter();
    this.free = true;
    waiter?.();
  }

  /** Who was overtaken: queued before another arrived, yet acquired after it. */
  overtaken(): string | undefined {
    for (const [who, queued] of this.queuedAt) {
      for (const [other, arrived] of this.arrivedAt) {
        if (other !== who && queued < arrived && (this.acquiredAt.get(other) ?? Infinity) < (this.acquiredAt.get(who) ?? Infinity)) {
          return `${other} arrived after ${who} had queued, but took the connection first`;
        }
      }
    }
    return undefined;
  }

  private take(who: string): void {
    this.free = false;
    this.acquiredAt.set(who, this.clock++);
  }
}

export const PROGRAMS: readonly BenchProgram[] = [
  { name: 'counter', difficulty: 'shallow', description: '10-task lost update', buggy: counter(false), correct: counter(true) },
  { name: 'rate-limiter', difficulty: 'shallow', description: '5 calls, 2 per window', buggy: rateLimiter(false), correct: rateLimiter(true) },
  { name: 'cache', difficulty: 'shallow', description: '5 gets, check-then-act', buggy: cache(false), correct: cache(true) },
  { name: 'torn-snapshot', difficulty: 'deep', description: 'reload held back across a 10-step chain', buggy: tornSnapshot(false), correct: tornSnapshot(true) },
  { name: 'aba', difficulty: 'deep', description: '4-task ABA, three events in one order', buggy: aba(false), correct: aba(true) },
  { name: 'pool-handoff', difficulty: 'deep', description: 'three-party pool handoff', buggy: poolHandoff(false), correct: poolHandoff(true) },
];
