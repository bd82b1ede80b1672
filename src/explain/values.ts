/**
 * Short renderings of the values an explanation shows: `3`, `"user:1"`, `[1, 2]`, `Map(2)`. They never run
 * user code (no getters, no toString, no Proxy traps): a rendering must not change what it describes.
 */
import { types } from 'node:util';

const MAX = 40;

export function renderValue(value: unknown, depth = 0): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'string':
      return quote(value);
    case 'symbol':
      return value.description === undefined ? 'Symbol()' : `Symbol(${cut(value.description, 20)})`;
    case 'function':
      return value.name ? `[function ${cut(value.name, 24)}]` : '[function]';
  }
  if (value === null) return 'null';
  const object = value as object;
  if (types.isProxy(object)) return 'Proxy';
  if (Array.isArray(object)) return renderArray(object, depth);
  if (object instanceof Map) return `Map(${sizeOf(object)})`;
  if (object instanceof Set) return `Set(${sizeOf(object)})`;
  if (types.isDate(object)) return safe(() => (object as Date).toISOString(), 'Date');
  if (types.isNativeError(object)) return cut(`${(object as Error).name}: ${(object as Error).message}`, MAX);
  if (types.isPromise(object)) return 'Promise';
  if (types.isRegExp(object)) return cut(String(object), MAX);
  const name = constructorName(object);
  return name === 'Object' || name === '' ? '{…}' : `${cut(name, 24)} {…}`;
}

function renderArray(array: readonly unknown[], depth: number): string {
  const length = safe(() => array.length, 0);
  if (length === 0) return '[]';
  if (depth > 0 || length > 4) return `[…${length}]`;
  const parts: string[] = [];
  for (let i = 0; i < length; i++) {
    const descriptor = Object.getOwnPropertyDescriptor(array, i);
    parts.push(descriptor && 'value' in descriptor ? renderValue(descriptor.value, depth + 1) : '…');
  }
  const text = `[${parts.join(', ')}]`;
  return text.length <= MAX ? text : `[…${length}]`;
}

/** Map and Set sizes through the original getter: the recording replay may have wrapped the prototype's. */
const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!;
const setSize = Object.getOwnPropertyDescriptor(Set.prototype, 'size')!.get!;

function sizeOf(collection: Map<unknown, unknown> | Set<unknown>): number {
  return safe(() => (collection instanceof Map ? mapSize.call(collection) : setSize.call(collection)) as number, 0);
}

function constructorName(object: object): string {
  const proto: object | null = safe(() => Object.getPrototypeOf(object) as object | null, null);
  if (proto === null) return '';
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'constructor');
  const ctor = descriptor && 'value' in descriptor ? descriptor.value : undefined;
  return typeof ctor === 'function' && typeof ctor.name === 'string' ? ctor.name : '';
}

export function quote(text: string, max = 30): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function safe<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
