/**
 * Files as shared state. Two tasks that read a file, await, and write it back lose each other's lines just
 * as two that read a counter do; the state is on disk, where no accessor can see it. So while a recording
 * replay runs, the promise API of node:fs (what `node:fs/promises` exports, and FileHandle) reports reads
 * and writes of files: a write when it is asked for (with what it writes), a read when its content
 * arrives. The wrappers return the very promises the originals return, so nothing waits a tick longer.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import type { SiteRef } from '../site.js';
import { callerFrame, siteOf } from './sites.js';
import type { AccessNote } from './access.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;

const require = createRequire(import.meta.url);

/** Wraps the file functions; returns the function that puts the originals back. */
export function watchFiles(note: (access: AccessNote) => void): () => void {
  const fsp = require('node:fs/promises') as Record<string, unknown>;
  const restores: (() => void)[] = [];
  const handles = new WeakMap<object, string>();
  const wrappedProtos = new WeakSet<object>();

  const name = (file: unknown): string | undefined => {
    if (typeof file === 'string') return path.resolve(file);
    if (file instanceof URL && file.protocol === 'file:') return path.resolve(decodeURIComponent(file.pathname));
    if (file !== null && typeof file === 'object') return handles.get(file);
    return undefined;
  };
  const site = (): SiteRef | undefined => {
    const frame = callerFrame();
    return frame ? siteOf(frame) : undefined;
  };
  const record = (op: 'read' | 'write', file: string, value: unknown, where: SiteRef | undefined): void => {
    const key = `file:${file}`;
    const access: AccessNote = { op, key, target: `file ${path.basename(file)}`, value: shorten(value), check: false, group: key };
    note(where ? { ...access, site: where } : access);
  };
  const reads = (method: Method, fileOf: (self: unknown, args: unknown[]) => string | undefined): Method =>
    function (this: unknown, ...args: unknown[]) {
      const file = fileOf(this, args);
      const where = file === undefined ? undefined : site();
      const result = method.apply(this, args);
      if (file !== undefined && result instanceof Promise) result.then((content) => record('read', file, content, where), () => undefined);
      return result;
    };
  const writes = (method: Method, fileOf: (self: unknown, args: unknown[]) => string | undefined, data: (args: unknown[]) => unknown): Method =>
    function (this: unknown, ...args: unknown[]) {
      const file = fileOf(this, args);
      if (file !== undefined) record('write', file, data(args), site());
      return method.apply(this, args);
    };
  const replace = (target: Record<string, unknown>, key: string, wrap: (original: Method) => Method): void => {
    const original = target[key];
    if (typeof original !== 'function') return;
    target[key] = wrap(original as Method);
    restores.push(() => {
      target[key] = original;
    });
  };
  const byPath = (_self: unknown, args: unknown[]) => name(args[0]);
  const bySelf = (self: unknown) => (self !== null && typeof self === 'object' ? handles.get(self) : undefined);

  replace(fsp, 'readFile', (original) => reads(original, byPath));
  replace(fsp, 'writeFile', (original) => writes(original, byPath, (args) => args[1]));
  replace(fsp, 'appendFile', (original) => writes(original, byPath, (args) => args[1]));
  replace(fsp, 'open', (original) =>
    function (this: unknown, ...args: unknown[]) {
      const file = name(args[0]);
      const result = original.apply(this, args);
      if (file !== undefined && result instanceof Promise) {
        // Runs before the caller's own continuation: the handle is known before its first use.
        result.then((handle: object) => {
          handles.set(handle, file);
          const proto = Object.getPrototypeOf(handle) as Record<string, unknown> | null;
          if (proto && !wrappedProtos.has(proto)) {
            wrappedProtos.add(proto);
            replace(proto, 'readFile', (method) => reads(method, bySelf));
            replace(proto, 'writeFile', (method) => writes(method, bySelf, (a) => a[0]));
            replace(proto, 'appendFile', (method) => writes(method, bySelf, (a) => a[0]));
            replace(proto, 'write', (method) => writes(method, bySelf, (a) => a[0]));
          }
        }, () => undefined);
      }
      return result;
    },
  );
  syncBuiltinESMExports();
  return () => {
    for (let i = restores.length - 1; i >= 0; i--) restores[i]!();
    syncBuiltinESMExports();
  };
}

/** File contents as a value: text (a Buffer's too), with its end kept when it is long (what was appended last). */
function shorten(value: unknown): unknown {
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
  if (text === undefined) return value;
  return text.length <= 40 ? text : `…${text.slice(-39)}`;
}
