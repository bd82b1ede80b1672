/**
 * Jobs that a library runs for its callers. p-queue starts a queued job when a slot frees up, usually from
 * the end of another caller's job; async-mutex runs a runExclusive callback once its caller's turn comes.
 * Neither is the caller's own code running: while a recording replay runs, the functions handed to these
 * libraries are wrapped so that each runs in an activity lane of its own (`p-queue job`), created by the
 * lane that handed it over. The libraries are recognised by shape when the state tracker meets one of
 * their objects (a class name and its methods), so no copy of them is imported here.
 */

type Method = (this: unknown, ...args: unknown[]) => unknown;

export interface JobHost {
  /** Wraps `fn` so that it runs in a new activity lane named `label`, created by the lane running now. */
  job(label: string, fn: Function): Function;
}

interface Adapter {
  readonly label: string;
  /** Whether `proto` (with this constructor name) is the library's class. */
  matches(name: string, proto: object): boolean;
  /** The methods whose function arguments are jobs, and which argument positions hold them. */
  readonly methods: Readonly<Record<string, 'first' | 'each-of-first'>>;
}

const has = (proto: object, name: string) => typeof (proto as Record<string, unknown>)[name] === 'function';

const ADAPTERS: readonly Adapter[] = [
  { label: 'p-queue job', matches: (name, proto) => name === 'PQueue' && has(proto, 'add') && has(proto, 'onIdle'), methods: { add: 'first', addAll: 'each-of-first' } },
  // async-mutex's Mutex and Semaphore; racecheck's own (no `isLocked`) run the callback as the caller's own continuation.
  { label: 'runExclusive callback', matches: (name, proto) => (name === 'Mutex' || name === 'Semaphore') && has(proto, 'runExclusive') && has(proto, 'isLocked'), methods: { runExclusive: 'first' } },
];

export class LibraryWatch {
  private readonly wrapped = new Set<object>();
  private readonly restores: (() => void)[] = [];

  constructor(private readonly host: JobHost) {}

  /** If `object` belongs to a known library, wraps its class (once); true if it did. */
  consider(object: object): boolean {
    for (let proto = Object.getPrototypeOf(object) as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
      const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor');
      const name = ctor && 'value' in ctor && typeof ctor.value === 'function' ? String((ctor.value as Function).name) : '';
      const adapter = ADAPTERS.find((candidate) => candidate.matches(name, proto!));
      if (!adapter) continue;
      if (!this.wrapped.has(proto)) {
        this.wrapped.add(proto);
        this.wrap(proto, adapter);
      }
      return true;
    }
    return false;
  }

  restore(): void {
    for (let i = this.restores.length - 1; i >= 0; i--) this.restores[i]!();
    this.restores.length = 0;
  }

  private wrap(proto: object, adapter: Adapter): void {
    const host = this.host;
    for (const [name, where] of Object.entries(adapter.methods)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (!descriptor || typeof descriptor.value !== 'function') continue;
      const original = descriptor.value as Method;
      const wrapped = function (this: unknown, first: unknown, ...rest: unknown[]): unknown {
        let jobs = first;
        if (where === 'first' && typeof first === 'function') jobs = host.job(adapter.label, first);
        else if (where === 'each-of-first' && first != null && typeof (first as Iterable<unknown>)[Symbol.iterator] === 'function') {
          jobs = [...(first as Iterable<unknown>)].map((job) => (typeof job === 'function' ? host.job(adapter.label, job) : job));
        }
        return original.call(this, jobs, ...rest);
      };
      Object.defineProperty(wrapped, 'name', { value: original.name });
      Object.defineProperty(proto, name, { ...descriptor, value: wrapped });
      this.restores.push(() => Object.defineProperty(proto, name, descriptor));
    }
  }
}
