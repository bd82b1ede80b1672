/**
 * Map and Set operations on tracked state. Their receivers must be the real collections (a Proxy of a Map
 * throws on every method), so instead the prototype methods are wrapped for the duration of a recording
 * replay, and report an operation when its receiver is one the tracker has named. Every other Map and
 * Set, racecheck's own included, pays a WeakMap lookup and nothing else, and only in that one replay.
 */
import type { StatePath } from './access.js';
import type { StateTracker } from './state.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** Wraps the methods; returns the function that puts the originals back. */
export function watchCollections(tracker: StateTracker): () => void {
  const restores: (() => void)[] = [];
  const replace = (proto: object, name: PropertyKey, wrap: (original: Method) => Method): void => {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
    const original = descriptor.value as Method;
    const wrapped = wrap(original);
    Object.defineProperty(wrapped, 'name', { value: original.name });
    Object.defineProperty(proto, name, { ...descriptor, value: wrapped });
    restores.push(() => Object.defineProperty(proto, name, descriptor));
  };
  const replaceGetter = (proto: object, name: string, wrap: (original: () => unknown) => () => unknown): void => {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
    Object.defineProperty(proto, name, { ...descriptor, get: wrap(descriptor.get as () => unknown) });
    restores.push(() => Object.defineProperty(proto, name, descriptor));
  };
  const named = (receiver: unknown): StatePath | undefined =>
    tracker.listening && receiver !== null && typeof receiver === 'object' ? tracker.pathOf(receiver) : undefined;

  for (const proto of [Map.prototype, Set.prototype]) {
    const isMap = proto === Map.prototype;
    const sizeOf = Object.getOwnPropertyDescriptor(proto, 'size')!.get as (this: unknown) => number;
    const hasOf = proto.has as Method;
    const entry = (path: StatePath, key: unknown) => {
      const name = tracker.keyName(key);
      return { key: `${path.key}.get(${name.key})`, lookup: name.display };
    };
    replace(proto, 'has', (original) =>
      function (this: unknown, key: unknown) {
        const result = original.call(this, key);
        const path = named(this);
        if (path) {
          const { key: id, lookup } = entry(path, key);
          tracker.note({ op: 'read', key: id, target: `${path.display}.has(${lookup})`, value: result, check: true, group: path.key });
        }
        return result;
      },
    );
    if (isMap) {
      replace(proto, 'get', (original) =>
        function (this: unknown, key: unknown) {
          const result = original.call(this, key);
          const path = named(this);
          if (path) {
            const { key: id, lookup } = entry(path, key);
            const target = `${path.display}.get(${lookup})`;
            tracker.note({ op: 'read', key: id, target, value: result, check: false, group: path.key });
            tracker.expose(result, { key: id, display: target });
          }
          return result;
        },
      );
      replace(proto, 'set', (original) =>
        function (this: unknown, key: unknown, value: unknown) {
          const path = named(this);
          const raw = tracker.unwrap(value);
          if (!path) return original.call(this, key, value);
          const added = !hasOf.call(this, key);
          const result = original.call(this, key, raw);
          const { key: id, lookup } = entry(path, key);
          const target = `${path.display}.get(${lookup})`;
          tracker.note({ op: 'write', key: id, target, value: raw, check: false, group: path.key });
          if (added) tracker.note({ op: 'write', key: `${path.key}.size`, target: `${path.display}.size`, value: sizeOf.call(this), check: false, group: path.key });
          tracker.expose(raw, { key: id, display: target });
          return result;
        },
      );
    } else {
      replace(proto, 'add', (original) =>
        function (this: unknown, value: unknown) {
          const path = named(this);
          if (!path) return original.call(this, value);
          const added = !hasOf.call(this, value);
          const result = original.call(this, value);
          const { key: id, lookup } = entry(path, value);
          tracker.note({ op: 'write', key: id, target: `${path.display}.has(${lookup})`, value: true, check: false, group: path.key });
          if (added) tracker.note({ op: 'write', key: `${path.key}.size`, target: `${path.display}.size`, value: sizeOf.call(this), check: false, group: path.key });
          return result;
        },
      );
    }
    replace(proto, 'delete', (original) =>
      function (this: unknown, key: unknown) {
        const result = original.call(this, key);
        const path = named(this);
        if (path && result === true) {
          const { key: id, lookup } = entry(path, key);
          tracker.note({ op: 'write', key: id, target: isMap ? `${path.display}.get(${lookup})` : `${path.display}.has(${lookup})`, value: isMap ? undefined : false, check: false, group: path.key });
          tracker.note({ op: 'write', key: `${path.key}.size`, target: `${path.display}.size`, value: sizeOf.call(this), check: false, group: path.key });
        }
        return result;
      },
    );
    replace(proto, 'clear', (original) =>
      function (this: unknown) {
        const path = named(this);
        const before = path ? sizeOf.call(this) : 0;
        const result = original.call(this);
        if (path && before > 0) tracker.note({ op: 'write', key: `${path.key}.size`, target: `${path.display}.clear()`, value: 0, check: false, group: path.key });
        return result;
      },
    );
    replaceGetter(proto, 'size', (original) =>
      function (this: unknown) {
        const result = original.call(this);
        const path = named(this);
        if (path) tracker.note({ op: 'read', key: `${path.key}.size`, target: `${path.display}.size`, value: result, check: true, group: path.key });
        return result;
      },
    );
    for (const name of ['forEach', 'entries', 'keys', 'values', Symbol.iterator] as const) {
      if (!Object.prototype.hasOwnProperty.call(proto, name)) continue;
      replace(proto, name, (original) =>
        function (this: unknown, ...args: unknown[]) {
          const result = original.apply(this, args);
          const path = named(this);
          if (path) {
            const what = typeof name === 'symbol' ? 'entries' : name;
            tracker.note({ op: 'read', key: `${path.key}.*`, target: `${path.display}.${what}()`, value: sizeOf.call(this), check: false, group: path.key });
          }
          return result;
        },
      );
    }
  }
  return () => {
    for (let i = restores.length - 1; i >= 0; i--) restores[i]!();
  };
}
