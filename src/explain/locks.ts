/**
 * Locks in the explained state. A racecheck/sync Lock (or Semaphore) keeps who holds it in private fields
 * of uninstrumented code, so the recording cannot read it; instead, while it runs, the methods of every
 * lock class it meets in the state are wrapped, and each acquire, hand-over and release is noted as an
 * access to the lock (`this.#lock`): who asked for it, who got it, who gave it back, and who released it
 * without holding it. Classes are recognised by their shape (acquire, release, and a lock's name), so
 * racecheck's own copy and a published @racecheck/sync both count.
 */
import type { SiteRef } from '../site.js';
import { callerFrame, siteOf } from './sites.js';
import type { AccessNote, StatePath } from './access.js';

/** The lock's state as its accesses show it. */
export const LOCK_VALUES = { asks: 'asked for it', got: 'acquired', gaveUp: 'gave up waiting', released: 'released', wrongRelease: 'released it without holding it' } as const;

export interface LockHost {
  pathOf(object: object): StatePath | undefined;
  note(access: AccessNote): void;
  /** The name of the lane running now, for the holder a release by another lane names. */
  laneId(): number;
}

const LOCK_NAMES = /^(?:Lock|Mutex|Semaphore|BoundedSemaphore)$/;

/** Wraps lock classes as they are met; `restore` unwraps all of them. */
export class LockWatch {
  private readonly wrapped = new Set<object>();
  private readonly restores: (() => void)[] = [];
  /** Who holds each lock: lane ids, several for a semaphore. */
  private readonly holders = new WeakMap<object, number[]>();

  constructor(private readonly host: LockHost) {}

  /** If `object` is a lock, wraps its class (once) so that its operations are noted. */
  consider(object: object): boolean {
    const proto = lockPrototype(object);
    if (!proto) return false;
    if (!this.wrapped.has(proto)) {
      this.wrapped.add(proto);
      this.wrap(proto);
    }
    return true;
  }

  restore(): void {
    for (let i = this.restores.length - 1; i >= 0; i--) this.restores[i]!();
    this.restores.length = 0;
  }

  private wrap(proto: object): void {
    const watch = this;
    const acquire = Object.getOwnPropertyDescriptor(proto, 'acquire');
    const release = Object.getOwnPropertyDescriptor(proto, 'release');
    if (acquire && typeof acquire.value === 'function') {
      const original = acquire.value as (this: object, ...args: unknown[]) => unknown;
      Object.defineProperty(proto, 'acquire', {
        ...acquire,
        value: function (this: object, ...args: unknown[]): unknown {
          const path = watch.host.pathOf(this);
          const result = original.apply(this, args);
          if (!path) return result;
          const lane = watch.host.laneId();
          const frame = callerFrame();
          const site = frame ? siteOf(frame) : undefined;
          watch.note(path, 'read', LOCK_VALUES.asks, site);
          if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
            // Noted when the caller has it, which is not when it asked if someone else held it.
            (result as Promise<unknown>).then(
              () => {
                watch.holdersOf(this).push(lane);
                watch.note(path, 'write', LOCK_VALUES.got, site);
              },
              () => watch.note(path, 'read', LOCK_VALUES.gaveUp, site),
            );
          }
          return result;
        },
      });
      this.restores.push(() => Object.defineProperty(proto, 'acquire', acquire));
    }
    if (release && typeof release.value === 'function') {
      const original = release.value as (this: object, ...args: unknown[]) => unknown;
      Object.defineProperty(proto, 'release', {
        ...release,
        value: function (this: object, ...args: unknown[]): unknown {
          const path = watch.host.pathOf(this);
          if (path) {
            const holders = watch.holdersOf(this);
            const lane = watch.host.laneId();
            const mine = holders.indexOf(lane);
            if (mine !== -1) holders.splice(mine, 1);
            else holders.shift();
            watch.note(path, 'write', mine === -1 ? LOCK_VALUES.wrongRelease : LOCK_VALUES.released);
          }
          return original.apply(this, args);
        },
      });
      this.restores.push(() => Object.defineProperty(proto, 'release', release));
    }
  }

  private holdersOf(lock: object): number[] {
    let holders = this.holders.get(lock);
    if (!holders) this.holders.set(lock, (holders = []));
    return holders;
  }

  private note(path: StatePath, op: 'read' | 'write', value: string, site?: SiteRef): void {
    const access: AccessNote = { op, key: `${path.key}#lock`, target: path.display, value, check: false, group: `${path.key}#lock` };
    this.host.note(site ? { ...access, site } : access);
  }
}

/** The prototype that defines acquire and release, on a class named like a lock; undefined otherwise. */
function lockPrototype(object: object): object | undefined {
  for (let proto = Object.getPrototypeOf(object) as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor');
    const name = ctor && 'value' in ctor && typeof ctor.value === 'function' ? String((ctor.value as Function).name) : '';
    if (!LOCK_NAMES.test(name)) continue;
    const acquire = Object.getOwnPropertyDescriptor(proto, 'acquire');
    const release = Object.getOwnPropertyDescriptor(proto, 'release');
    if (acquire && typeof acquire.value === 'function' && release && typeof release.value === 'function') return proto;
  }
  return undefined;
}

/** A lock's accesses replayed in order: who holds it, who waits, what went wrong first. */
export interface LockHistory<A> {
  readonly target: string;
  /** Holders at the end, with the access by which each got it. */
  readonly holders: readonly A[];
  /** Lanes still waiting at the end, with their request. */
  readonly waiting: readonly A[];
  /** The first release by a lane that did not hold it, with the holder it took the lock from. */
  readonly wrongRelease?: { readonly release: A; readonly holder: A | undefined; readonly gaveUp: A | undefined; readonly next: A | undefined };
}

export function lockHistories<A extends { readonly key: string; readonly target: string; readonly value: string; readonly lane: object }>(accesses: readonly A[]): LockHistory<A>[] {
  const byLock = new Map<string, A[]>();
  for (const access of accesses) {
    if (!access.key.endsWith('#lock')) continue;
    const list = byLock.get(access.key);
    if (list) list.push(access);
    else byLock.set(access.key, [access]);
  }
  const histories: LockHistory<A>[] = [];
  for (const events of byLock.values()) {
    const holders: A[] = [];
    const waiting: A[] = [];
    const gaveUp = new Map<object, A>();
    let wrong: { release: A; holder: A | undefined; gaveUp: A | undefined; next: A | undefined } | undefined;
    const drop = (list: A[], lane: object): A | undefined => {
      const at = list.findIndex((access) => access.lane === lane);
      return at === -1 ? undefined : list.splice(at, 1)[0];
    };
    for (const event of events) {
      switch (event.value) {
        case LOCK_VALUES.asks:
          waiting.push(event);
          break;
        case LOCK_VALUES.got:
          drop(waiting, event.lane);
          holders.push(event);
          // Someone got in after the wrong release: while the lock's holder still thought it had it.
          if (wrong && wrong.next === undefined) wrong.next = event;
          break;
        case LOCK_VALUES.gaveUp:
          drop(waiting, event.lane);
          gaveUp.set(event.lane, event);
          break;
        case LOCK_VALUES.released:
          drop(holders, event.lane);
          break;
        case LOCK_VALUES.wrongRelease: {
          // The lock it freed was someone else's: that holder still thinks it has it.
          const holder = holders.shift();
          wrong ??= { release: event, holder, gaveUp: gaveUp.get(event.lane), next: undefined };
          break;
        }
      }
    }
    histories.push({ target: events[0]!.target, holders, waiting, ...(wrong ? { wrongRelease: wrong } : {}) });
  }
  return histories;
}
