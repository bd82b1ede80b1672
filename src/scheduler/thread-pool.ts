/**
 * zlib and crypto do their work on libuv's thread pool, which Node's list of active resources does not
 * show: a run waiting on a gzip or a pbkdf2 would look deadlocked. Their asynchronous entry points are
 * wrapped to count the jobs in flight. Jobs are counted only while a run is active and per run, so a job a
 * failed run abandoned cannot make a later run wait.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { context, real } from './context.js';

type Fn = (...args: unknown[]) => unknown;

const state = shared('racecheck.thread-pool', () => ({ installed: false, run: null as object | null, inFlight: 0, workers: 0 }));

/**
 * Worker threads started since racecheck was installed that have not exited. A running worker keeps the
 * event loop alive without being among process.getActiveResourcesInfo(): a task awaiting its exit, its
 * answer or `terminate()` waits on I/O like a socket's.
 */
export function liveWorkers(): number {
  if (unrefdOfRuns.size === 0) return state.workers;
  let count = state.workers;
  for (const [worker, run] of unrefdOfRuns) if (run === context.run) count++;
  return count;
}

/**
 * Unref'd workers started during a run, with their run: the run waits on them as on any worker (a task that
 * waits for what pino.transport's worker writes to a file). Those started outside a run are libraries' helpers.
 */
const unrefdOfRuns = new Map<object, object>();

/**
 * Client sockets written to since they last received anything (a request whose answer may still come), those
 * a server of this process wrote to since (its data is on the way), and those whose answer began to come in
 * the last ANSWER_GAP_MS during this run (its next part may be on the way). An open socket by itself (a
 * pool's idle connection, a keep-alive socket another test left) is no sign of any.
 */
export function socketsAwaitingAnswer(): number {
  let count = awaiting.size;
  if (answering.size === 0) return count;
  const since = real.performanceNow() - ANSWER_GAP_MS;
  for (const [socket, part] of answering) {
    if (part.at < since || part.run !== context.run) answering.delete(socket);
    else count++;
  }
  return count;
}

/** Asked and not answered yet, with the run that asked (null: outside any run). */
const awaiting = new Map<object, object | null>();

/**
 * Forgets the questions earlier runs asked that are still unanswered, once a later run held a timer back
 * its whole length for them (a wait for I/O that ended at its hold). A socket an earlier run wrote to and
 * left open, never answered (a leaked client), otherwise counted as I/O under way in every later run of the
 * process, each of whose sleeps was then real: a scenario after it ran hundreds of times slower. An answer
 * on its way for a client that module state shares across runs has that one hold to land, as the run's own
 * question has for each wait.
 */
export function forgetEarlierAsks(): void {
  for (const [owner, run] of awaiting) if (run !== context.run) awaiting.delete(owner);
}

/**
 * Sockets asked something (in `awaiting`) whose answer has begun to arrive: when its last part came (real ms),
 * and in which run. Whether an answer is whole is the protocol's business: a database's result, an HTTP body
 * after its headers, come in parts some milliseconds apart, and the task waits for all of them.
 */
const answering = new Map<object, { at: number; run: object | null }>();
/**
 * How long after a part of an answer its next part may still be taken for on its way (real ms). A wait that
 * begins within it holds the next timer back as for an answer not begun, so a timeout does not fire between
 * two parts; after an exchange that is over, a virtual sleep begun within it is real (one hold at most, as
 * every sleep is while a connection the run opened is open).
 */
const ANSWER_GAP_MS = 1000;
/** `owner` (a socket, a child process) was asked something: it awaits an answer not begun. */
function asked(owner: object): void {
  awaiting.set(owner, context.run);
  answering.delete(owner);
}

/** A part of `owner`'s answer came: if it was asked something, it may await the next part (see `answering`). */
function partOfAnswer(owner: object): void {
  if (awaiting.delete(owner) || answering.has(owner)) answering.set(owner, { at: real.performanceNow(), run: context.run });
}

/** Nothing more comes from `owner`: its answer ended, or it closed, disconnected or exited. */
function exchangeOver(owner: object): void {
  awaiting.delete(owner);
  answering.delete(owner);
}

/** Sockets that already have the close listener: one each, however many exchanges a kept-alive socket has. */
const listening = new WeakSet<object>();
/**
 * The client sockets of this process by their local port: a server of this process that writes to one of
 * them (an answer, or a message it pushes unasked) has data on its way to this process.
 */
const clients = new Map<number, WeakRef<WatchedSocket>>();

interface WatchedSocket {
  once(event: string, listener: () => void): unknown;
  /** Set by net.Server on the sockets it accepts: the server's side of a connection. */
  server?: unknown;
  readable?: boolean;
  destroyed?: boolean;
  localPort?: number;
  remotePort?: number;
}

/** `socket` has data to come: it counts until data arrives or it closes. */
function expectData(socket: WatchedSocket): void {
  asked(socket);
  if (!listening.has(socket)) {
    listening.add(socket);
    socket.once('close', function (this: WatchedSocket) {
      exchangeOver(this);
      const port = this.localPort;
      if (port !== undefined && clients.get(port)?.deref() === this) clients.delete(port);
    });
  }
}

/** Records a client socket under its local port, once it has one. */
function rememberClient(socket: WatchedSocket): void {
  const port = socket.localPort;
  if (port !== undefined) clients.set(port, new WeakRef(socket));
  else socket.once('connect', () => rememberClient(socket));
}

/** The client socket of this process at the other end of a server's socket, if there is one. */
function peerOf(socket: WatchedSocket): WatchedSocket | undefined {
  const port = socket.remotePort;
  const peer = port === undefined ? undefined : clients.get(port)?.deref();
  return peer && !peer.destroyed && peer.remotePort === socket.localPort ? peer : undefined;
}

/**
 * Marks a client socket on every write, unmarks it when its answer has come or it closes (net.Socket's write
 * and push: see `answering`), and marks the client of this process that a server of this process writes to:
 * a WebSocket server pushing a message, the next chunk of a streamed response, each on its way to a task here.
 */
function watchSocketExchanges(net: { Socket: { prototype: Record<string, unknown> } }): void {
  const proto = net.Socket.prototype;
  const write = proto.write as Fn;
  const push = proto.push as Fn;
  const connect = proto.connect as Fn;
  proto.write = function (this: WatchedSocket, ...args: unknown[]): unknown {
    // A server's side of a connection answers; after its answer it waits for the next request, which no task
    // awaits, unless its client is here. A socket that cannot be read (stdout and stderr on a pipe) gets no
    // answer at all, but a child's stdin gets one on the child's stdout.
    if (this.server) {
      const peer = peerOf(this);
      if (peer) expectData(peer);
    } else if (this.readable) {
      expectData(this);
    } else {
      const answers = answersOf.get(this);
      if (answers && answers.readable && !answers.destroyed) expectData(answers);
    }
    return write.apply(this, args);
  };
  proto.push = function (this: object, ...args: unknown[]): unknown {
    // A part of the answer (push(null) is its end of stream: nothing more comes).
    if (args[0] === null) exchangeOver(this);
    else partOfAnswer(this);
    return push.apply(this, args);
  };
  // Every client is remembered, one that only reads (a server greets it first) too.
  proto.connect = function (this: WatchedSocket, ...args: unknown[]): unknown {
    const result = connect.apply(this, args);
    if (!this.server) rememberClient(this);
    return result;
  };
}

/**
 * HTTP/2 sessions write and read through nghttp2, straight on the socket's handle: neither net.Socket's write
 * nor its push sees a request or its answer. Each stream a client session opens (a request) awaits its answer
 * until its readable side ends or it closes, whatever session it is on (one opened in setup, one of this
 * process's server). The session's class is not exported: its request method is wrapped at the first connect.
 */
function watchHttp2Requests(http2: Record<string, unknown>): void {
  const connect = http2.connect;
  if (typeof connect !== 'function') return;
  let watched = false;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const session = (connect as Fn).apply(this, args);
    if (!watched && session !== null && typeof session === 'object') {
      watched = true;
      const proto = Object.getPrototypeOf(session) as Record<string, unknown>;
      const request = proto.request;
      if (typeof request === 'function') {
        proto.request = function (this: unknown, ...requestArgs: unknown[]): unknown {
          const stream = (request as Fn).apply(this, requestArgs) as StreamOfSession;
          awaitAnswer(stream);
          return stream;
        };
      }
    }
    return session;
  };
  copyIdentity(wrapped, connect as Fn);
  http2.connect = wrapped;
}

interface StreamOfSession {
  on(event: string, listener: () => void): unknown;
  readableEnded?: boolean;
  destroyed?: boolean;
}

/** A request's stream awaits its answer until it ends or closes (plain listeners: a `once` would tie them, see stream-events.ts). */
function awaitAnswer(stream: StreamOfSession): void {
  if (stream.destroyed || stream.readableEnded) return;
  awaiting.set(stream, context.run);
  const done = () => awaiting.delete(stream);
  stream.on('end', done);
  stream.on('close', done);
}

/**
 * A child process answers elsewhere than it is asked: a line written to its stdin comes back on its stdout, a
 * message sent on its IPC channel comes back as a 'message'. A child's stdin cannot be read, so its writes
 * marked nothing, and the channel is no net.Socket: a child started in setup (a pool of worker processes, a
 * language server) asked in a task held no timer back. A write to a child's stdin now marks its stdout, and a
 * message sent marks the child until a message comes back (then its answer is `answering`, as a socket's
 * part is), it disconnects or exits.
 */
function watchChildExchanges(childProcess: { ChildProcess: { prototype: Record<string, unknown> } }): void {
  const proto = childProcess.ChildProcess.prototype;
  const spawn = proto.spawn as Fn;
  const emit = proto.emit as Fn;
  proto.spawn = function (this: ChildLike, ...args: unknown[]): unknown {
    const result = spawn.apply(this, args);
    if (this.stdin && this.stdout) answersOf.set(this.stdin, this.stdout);
    const send = this.send;
    if (typeof send === 'function') {
      const wrapped = function (this: ChildLike, ...sendArgs: unknown[]): unknown {
        asked(this);
        return send.apply(this, sendArgs);
      };
      copyIdentity(wrapped, send);
      this.send = wrapped;
    }
    return result;
  };
  proto.emit = function (this: object, event: unknown, ...args: unknown[]): unknown {
    if (event === 'message') partOfAnswer(this);
    else if (event === 'disconnect' || event === 'exit') exchangeOver(this);
    return emit.call(this, event, ...args);
  };
}

interface ChildLike {
  stdin?: object | null;
  stdout?: WatchedSocket | null;
  send?: Fn;
}

/** A child's stdin, and the stdout its answers come on. */
const answersOf = new WeakMap<object, WatchedSocket>();

/** Jobs of the active run still on the thread pool. */
export function threadJobsInFlight(): number {
  return state.run === context.run ? state.inFlight : 0;
}

const CRYPTO_CALLBACKS = ['pbkdf2', 'scrypt', 'randomBytes', 'randomFill', 'randomInt', 'generateKeyPair', 'generateKey', 'generatePrime', 'checkPrime', 'hkdf'];
const ZLIB_CALLBACKS = ['deflate', 'deflateRaw', 'gzip', 'gunzip', 'inflate', 'inflateRaw', 'unzip', 'brotliCompress', 'brotliDecompress', 'zstdCompress', 'zstdDecompress'];
const SUBTLE_METHODS = ['encrypt', 'decrypt', 'sign', 'verify', 'digest', 'generateKey', 'deriveKey', 'deriveBits', 'importKey', 'exportKey', 'wrapKey', 'unwrapKey'];

/** Wraps the entry points, once per thread. */
export function trackThreadPool(): void {
  if (state.installed) return;
  state.installed = true;
  const require = createRequire(import.meta.url);
  const crypto = require('node:crypto') as Record<string, unknown>;
  const zlib = require('node:zlib') as Record<string, unknown>;
  for (const name of CRYPTO_CALLBACKS) wrapCallbackApi(crypto, name);
  for (const name of ZLIB_CALLBACKS) wrapCallbackApi(zlib, name);
  wrapZlibStreams(zlib);
  const subtle = (crypto.webcrypto as { subtle?: object } | undefined)?.subtle;
  const proto = subtle ? (Object.getPrototypeOf(subtle) as Record<string, unknown>) : undefined;
  if (proto) for (const name of SUBTLE_METHODS) wrapPromiseApi(proto, name);
  countWorkers(require('node:worker_threads') as { Worker: WorkerClass });
  watchSocketExchanges(require('node:net') as { Socket: { prototype: Record<string, unknown> } });
  watchHttp2Requests(require('node:http2') as Record<string, unknown>);
  watchChildExchanges(require('node:child_process') as { ChildProcess: { prototype: Record<string, unknown> } });
  syncBuiltinESMExports();
}

/** A job starts: counted for the active run. Returns its end, which counts once however often it is called. */
type StreamCallback = (error?: Error | null, data?: unknown) => void;
interface ZlibStream {
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/**
 * zlib's streams (createGzip and the rest, and CompressionStream on top of them) compress each chunk on the
 * thread pool and call the chunk's callback when it is done: each chunk counts as a job in flight until then,
 * or until the stream closes (a destroyed stream never calls it).
 */
function wrapZlibStreams(zlib: Record<string, unknown>): void {
  let proto = (zlib.Gzip as { prototype?: object } | undefined)?.prototype as Record<string, unknown> | null | undefined;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, '_transform')) proto = Object.getPrototypeOf(proto) as Record<string, unknown> | null;
  const original = proto?._transform;
  if (!proto || typeof original !== 'function') return;
  proto._transform = function (this: ZlibStream, chunk: unknown, encoding: unknown, callback: StreamCallback): unknown {
    const end = begin();
    const onClose = () => end();
    this.once('close', onClose);
    return (original as Fn).call(this, chunk, encoding, (error?: Error | null, data?: unknown) => {
      end();
      this.off('close', onClose);
      callback(error, data);
    });
  };
}

type WorkerClass = new (...args: any[]) => { once(event: 'exit', listener: () => void): unknown; ref(): void; unref(): void };

/**
 * Replaces worker_threads' Worker with a subclass that counts the workers alive and referenced (instanceof
 * Worker still holds). An unref'd worker started outside a run is a library's helper (esbuild's, which tsx
 * starts to compile a file), not one a task waits for; one started during a run counts for that run.
 */
function countWorkers(threads: { Worker: WorkerClass }): void {
  const Original = threads.Worker;
  const Counted = class Worker extends Original {
    #counted = false;
    #alive = true;
    readonly #run = context.run;
    constructor(...args: any[]) {
      super(...args);
      this.#count(true);
      this.once('exit', () => {
        this.#count(false);
        this.#alive = false;
        unrefdOfRuns.delete(this);
      });
    }
    override ref(): void {
      if (this.#alive) this.#count(true);
      unrefdOfRuns.delete(this);
      super.ref();
    }
    override unref(): void {
      this.#count(false);
      if (this.#alive && this.#run !== null) unrefdOfRuns.set(this, this.#run);
      super.unref();
    }
    #count(on: boolean): void {
      if (on === this.#counted) return;
      this.#counted = on;
      state.workers += on ? 1 : -1;
    }
  };
  threads.Worker = Counted;
}

function begin(): () => void {
  const run = context.run;
  if (run === null) return () => undefined;
  if (state.run !== run) {
    state.run = run;
    state.inFlight = 0;
  }
  state.inFlight++;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (state.run === run) state.inFlight--;
  };
}

function wrapCallbackApi(target: Record<string, unknown>, name: string): void {
  const original = target[name];
  if (typeof original !== 'function') return;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const last = args[args.length - 1];
    if (typeof last !== 'function') return (original as Fn).apply(this, args);
    const end = begin();
    args[args.length - 1] = function (this: unknown, ...results: unknown[]) {
      end();
      return (last as Fn).apply(this, results);
    };
    try {
      return (original as Fn).apply(this, args);
    } catch (error) {
      end();
      throw error;
    }
  };
  copyIdentity(wrapped, original as Fn);
  target[name] = wrapped;
}

function wrapPromiseApi(target: Record<string, unknown>, name: string): void {
  const original = target[name];
  if (typeof original !== 'function') return;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const end = begin();
    let result: unknown;
    try {
      result = (original as Fn).apply(this, args);
    } catch (error) {
      end();
      throw error;
    }
    if (result instanceof Promise) result.then(end, end);
    else end();
    return result;
  };
  copyIdentity(wrapped, original as Fn);
  target[name] = wrapped;
}

/**
 * The wrapper keeps the original's name, length and own properties: among them the internal symbol that
 * makes `util.promisify(generateKeyPair)` resolve to `{ publicKey, privateKey }`.
 */
function copyIdentity(wrapped: Fn, original: Fn): void {
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const descriptor = Object.getOwnPropertyDescriptor(original, key);
    if (descriptor) Object.defineProperty(wrapped, key, descriptor);
  }
}

function shared<T>(key: string, create: () => T): T {
  const slot = Symbol.for(key);
  const store = globalThis as Record<symbol, unknown>;
  return (store[slot] ??= create()) as T;
}
