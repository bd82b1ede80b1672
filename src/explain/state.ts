/**
 * Watches shared state during a recording replay: the object setup returned and what is reachable from
 * it, the variables and private fields the rewrite reports (instrument/state-access.ts), and the Map, Set
 * and array operations on any of them. Each access is handed to an `AccessLog` with a readable target
 * (`s.value`, `this.#cache.get("user:1")`, `requests.length`) and a key that says which accesses touch
 * the same thing.
 *
 * How, without changing what the program does:
 * - plain objects and instances of the user's own classes keep their identity: their own data properties
 *   become accessors over the same value (restored afterwards). A Proxy would break `this.#field` in
 *   methods called on it, and identity comparisons.
 * - arrays are proxied (their `length` cannot become an accessor); the proxy is what tracked reads return.
 * - Map and Set are named in a WeakMap; their prototype methods are wrapped for the replay only
 *   (`collections.ts`), and report operations on named receivers.
 * - anything else (a Lock, a database client, a socket) is left alone and named as not visible.
 */
import type { StateEntry } from '../instrument/abi.js';
import type { AccessTracker } from '../scheduler/observer.js';
import { userClasses } from '../scheduler/context.js';
import { displayPath } from '../paths.js';
import type { SiteRef } from '../site.js';
import type { AccessNote, RenderedAccess, StatePath } from './access.js';
import { LibraryWatch, type JobHost } from './libraries.js';
import { LockWatch } from './locks.js';
import { fileOf, sourceLine } from './sites.js';
import { quote, renderValue } from './values.js';

export interface AccessLog extends JobHost {
  note(access: RenderedAccess): void;
  /** The lane running now, as a number (locks note who holds them). */
  laneId(): number;
}

/** How many objects one replay looks into at most: beyond that, state is named but not watched. */
const MAX_OBJECTS = 20_000;
const MUTATORS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin']);
const CHECKS = new Set(['includes', 'indexOf', 'lastIndexOf', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex']);
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

type Restore = () => void;

export class StateTracker implements AccessTracker {
  private readonly paths = new WeakMap<object, StatePath>();
  private readonly proxies = new WeakMap<object, object>();
  private readonly raws = new WeakMap<object, object>();
  private readonly ids = new WeakMap<object, number>();
  private readonly entrySites = new WeakMap<StateEntry, SiteRef>();
  private readonly restores: Restore[] = [];
  private nextId = 1;
  private objects = 0;
  /** Named state racecheck did not look into, with what it is: `s.lock (Lock)`. */
  readonly opaque = new Map<string, string>();
  /** Set while racecheck itself reads state (rendering a value): those reads are not the program's. */
  private muted = 0;

  private readonly locks: LockWatch;
  private readonly libraries: LibraryWatch;

  constructor(private readonly log: AccessLog) {
    // A lock's notes carry words, not values: they are not rendered.
    const note = (access: AccessNote) => {
      if (this.muted === 0) log.note({ ...access, value: String(access.value) });
    };
    this.locks = new LockWatch({ pathOf: (object) => this.pathOf(object), note, laneId: () => log.laneId() });
    this.libraries = new LibraryWatch(log);
  }

  /** Starts watching the state setup returned; returns what the tasks should get (a proxy for an array). */
  watchRoot(state: unknown, name: string): unknown {
    return this.expose(state, { key: 'state', display: name });
  }

  /** Puts every converted property back as a plain data property holding its current value. */
  restore(): void {
    this.locks.restore();
    this.libraries.restore();
    for (let i = this.restores.length - 1; i >= 0; i--) {
      try {
        this.restores[i]!();
      } catch {
        // An object frozen by the program since: its property stays an accessor over the same value.
      }
    }
    this.restores.length = 0;
  }

  pathOf(object: object): StatePath | undefined {
    return this.paths.get(this.raws.get(object) ?? object);
  }

  /** A name for a value used as a Map key or Set member. */
  keyName(value: unknown): { key: string; display: string } {
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
      const path = this.pathOf(value);
      return { key: `@${this.idOf(value)}`, display: path?.display ?? renderValue(value) };
    }
    if (typeof value === 'string') return { key: `s:${value}`, display: quote(value) };
    return { key: `${typeof value}:${String(value)}`, display: renderValue(value) };
  }

  unwrap<T>(value: T): T {
    return value !== null && typeof value === 'object' ? ((this.raws.get(value) as T | undefined) ?? value) : value;
  }

  quiet<T>(read: () => T): T {
    this.muted++;
    try {
      return read();
    } finally {
      this.muted--;
    }
  }

  get listening(): boolean {
    return this.muted === 0;
  }

  note(access: AccessNote): void {
    if (this.muted !== 0) return;
    const value = this.quiet(() => renderValue(this.unwrap(access.value)));
    this.log.note({ ...access, value });
  }

  // AccessTracker: what rewritten reads and writes call.

  read(entry: StateEntry, value: unknown, owner: unknown): unknown {
    try {
      const path = this.entryPath(entry, owner);
      this.note({ op: 'read', key: path.key, target: path.display, value, check: false, group: this.groupOf(entry, owner), site: this.entrySite(entry) });
      return this.expose(value, path, entry.made);
    } catch {
      return value;
    }
  }

  write(entry: StateEntry, value: unknown, owner: unknown): unknown {
    const raw = this.unwrap(value);
    try {
      const path = this.entryPath(entry, owner);
      this.note({ op: 'write', key: path.key, target: path.display, value: raw, check: false, group: this.groupOf(entry, owner), site: this.entrySite(entry) });
      this.expose(raw, path);
    } catch {
      // Never let watching change the program: the write goes through as written.
    }
    return raw;
  }

  compound(entry: StateEntry, old: unknown, result: unknown, logical: boolean, owner: unknown): unknown {
    if (logical && Object.is(this.unwrap(old), this.unwrap(result))) return result;
    this.write(entry, result, owner);
    return result;
  }

  update(entry: StateEntry, result: unknown, delta: number, prefix: boolean, owner: unknown): unknown {
    try {
      const path = this.entryPath(entry, owner);
      const shift = (value: unknown, by: number): unknown => (typeof value === 'bigint' ? value + BigInt(by) : Number(value) + by);
      const before = prefix ? shift(result, -delta) : result;
      const after = prefix ? result : shift(result, delta);
      const site = this.entrySite(entry);
      const group = this.groupOf(entry, owner);
      this.note({ op: 'read', key: path.key, target: path.display, value: before, check: false, group, site });
      this.note({ op: 'write', key: path.key, target: path.display, value: after, check: false, group, site });
    } catch {
      // As in write().
    }
    return result;
  }

  // Objects.

  /**
   * What a tracked read hands to the program: the value itself, named and watched from now on; an array
   * comes back as its proxy.
   */
  expose(value: unknown, path: StatePath, made?: string): unknown {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value;
    const raw = this.raws.get(value) ?? value;
    if (!this.paths.has(raw)) this.adopt(raw, path, made);
    return this.proxies.get(raw) ?? raw;
  }

  /** `made`: the class the code constructed it with, a better name than a bundled package's minified one. */
  private adopt(raw: object, path: StatePath, made?: string): void {
    this.paths.set(raw, path);
    if (++this.objects > MAX_OBJECTS) {
      this.opaque.set(path.display, `one of more than ${MAX_OBJECTS.toLocaleString('en-US')} objects`);
      return;
    }
    if (Array.isArray(raw)) {
      const proxy = this.arrayProxy(raw, path);
      this.proxies.set(raw, proxy);
      this.raws.set(proxy, raw);
      return;
    }
    if (raw instanceof Map || raw instanceof Set) return;
    if (this.isUserObject(raw)) this.convert(raw, path);
    else if (!this.libraries.consider(raw) && !this.locks.consider(raw)) this.opaque.set(path.display, made ?? (constructorName(raw) || typeof raw));
  }

  /** Plain objects and functions, and instances of classes declared in instrumented modules. */
  private isUserObject(raw: object): boolean {
    const proto = Object.getPrototypeOf(raw) as object | null;
    if (proto === null || proto === Object.prototype || proto === Function.prototype || proto === AsyncFunctionPrototype) return true;
    for (let current: object | null = proto; current !== null && current !== Object.prototype; current = Object.getPrototypeOf(current) as object | null) {
      const descriptor = Object.getOwnPropertyDescriptor(current, 'constructor');
      if (descriptor && 'value' in descriptor && typeof descriptor.value === 'function' && userClasses.has(descriptor.value as Function)) return true;
    }
    return false;
  }

  /** Own data properties become accessors over the same value, each read and write reported. */
  private convert(object: object, path: StatePath): void {
    for (const key of Object.getOwnPropertyNames(object)) {
      const descriptor = Object.getOwnPropertyDescriptor(object, key);
      if (!descriptor || !('value' in descriptor) || !descriptor.writable || !descriptor.configurable) continue;
      if (typeof descriptor.value === 'function') continue;
      const child = childPath(path, key);
      const tracker = this;
      let current: unknown = descriptor.value;
      const get = function (this: unknown): unknown {
        if (this !== object && this !== tracker.proxies.get(object)) return current;
        tracker.note({ op: 'read', key: child.key, target: child.display, value: current, check: false, group: path.key });
        return tracker.expose(current, child);
      };
      const set = function (this: unknown, value: unknown): void {
        const raw = tracker.unwrap(value);
        // An object that inherits from this one gets a property of its own, as it would have.
        if (this !== object && this !== null && typeof this === 'object') {
          Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
          return;
        }
        current = raw;
        tracker.note({ op: 'write', key: child.key, target: child.display, value: raw, check: false, group: path.key });
        tracker.expose(raw, child);
      };
      Object.defineProperty(object, key, { get, set, enumerable: descriptor.enumerable, configurable: true });
      this.restores.push(() => {
        const now = Object.getOwnPropertyDescriptor(object, key);
        if (now?.get !== get) return;
        Object.defineProperty(object, key, { value: current, writable: true, enumerable: descriptor.enumerable, configurable: true });
      });
    }
  }

  private arrayProxy(raw: unknown[], path: StatePath): object {
    const tracker = this;
    const contents = `${path.key}[]`;
    const methods = new Map<PropertyKey, Function>();
    const method = (name: string, original: Function): Function => {
      let wrapped = methods.get(name);
      if (wrapped) return wrapped;
      const mutates = MUTATORS.has(name);
      wrapped = function (this: unknown, ...args: unknown[]): unknown {
        if (this !== raw && this !== tracker.proxies.get(raw)) return original.apply(this, args);
        const values = args.map((arg) => tracker.unwrap(arg));
        const result = original.apply(raw, values) as unknown;
        // A change of contents is reported as what a check of it reads: the length it leaves.
        if (mutates) tracker.note({ op: 'write', key: contents, target: `${path.display}.length`, value: raw.length, check: false, group: path.key });
        else tracker.note({ op: 'read', key: contents, target: `${path.display}.${name}(${values.length > 0 ? '…' : ''})`, value: CHECKS.has(name) ? result : raw, check: CHECKS.has(name), group: path.key });
        return result;
      };
      Object.defineProperty(wrapped, 'name', { value: name });
      methods.set(name, wrapped);
      return wrapped;
    };
    return new Proxy(raw, {
      get(target, property, receiver) {
        if (property === 'length') {
          tracker.note({ op: 'read', key: contents, target: `${path.display}.length`, value: target.length, check: true, group: path.key });
          return target.length;
        }
        if (typeof property === 'string' && isIndex(property)) {
          const value = target[Number(property)];
          const child = { key: contents, display: `${path.display}[${property}]` };
          tracker.note({ op: 'read', key: contents, target: child.display, value, check: false, group: path.key });
          return tracker.expose(value, { key: `${path.key}[${property}]`, display: child.display });
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value === 'function' && typeof property === 'string' && (Array.prototype as unknown as Record<string, unknown>)[property] === value) return method(property, value);
        return value;
      },
      set(target, property, value) {
        const raw = tracker.unwrap(value);
        if (property === 'length' || (typeof property === 'string' && isIndex(property))) {
          const display = property === 'length' ? `${path.display}.length` : `${path.display}[${property}]`;
          tracker.note({ op: 'write', key: contents, target: display, value: raw, check: false, group: path.key });
        }
        return Reflect.set(target, property, raw);
      },
      deleteProperty(target, property) {
        if (typeof property === 'string' && isIndex(property)) {
          tracker.note({ op: 'write', key: contents, target: `${path.display}[${property}]`, value: undefined, check: false, group: path.key });
        }
        return Reflect.deleteProperty(target, property);
      },
    });
  }

  // Names.

  private entryPath(entry: StateEntry, owner: unknown): StatePath {
    if (entry.field === undefined) return { key: entry.key, display: entry.display };
    return { key: `${this.ownerKey(owner)}.${entry.field}`, display: entry.display };
  }

  private groupOf(entry: StateEntry, owner: unknown): string {
    return entry.field === undefined ? `module:${entry.url}` : this.ownerKey(owner);
  }

  private ownerKey(owner: unknown): string {
    if (owner === null || (typeof owner !== 'object' && typeof owner !== 'function')) return `value:${String(owner)}`;
    const path = this.pathOf(owner);
    return path ? path.key : `@${this.idOf(owner)}`;
  }

  private idOf(value: object): number {
    const raw = this.raws.get(value) ?? value;
    let id = this.ids.get(raw);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(raw, id);
    }
    return id;
  }

  private entrySite(entry: StateEntry): SiteRef {
    let site = this.entrySites.get(entry);
    if (!site) {
      site = { file: displayPath(entry.url), line: entry.line, column: entry.column, text: sourceLine(fileOf(entry.url), entry.line) };
      this.entrySites.set(entry, site);
    }
    return site;
  }
}

const AsyncFunctionPrototype = Object.getPrototypeOf(async function () {}) as object;

export function childPath(parent: StatePath, key: string): StatePath {
  const part = IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return { key: `${parent.key}${part}`, display: `${parent.display}${part}` };
}

function isIndex(property: string): boolean {
  if (property === '') return false;
  const code = property.charCodeAt(0);
  if (code < 48 || code > 57) return false;
  const n = Number(property);
  return Number.isInteger(n) && n >= 0 && String(n) === property;
}

function constructorName(object: object): string {
  const proto = Object.getPrototypeOf(object) as object | null;
  if (proto === null) return '';
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'constructor');
  return descriptor && 'value' in descriptor && typeof descriptor.value === 'function' ? String((descriptor.value as Function).name) : '';
}
