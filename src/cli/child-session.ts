import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { descendantsOf, processesWithVariable, signalProcess } from './processes.js';
import { createMessageReader, encodeMessage, FROM_PARENT_FD, INSTRUMENT_VARIABLE, TAG_VARIABLE, TO_PARENT_FD, type ChildJob, type FromChild, type InstrumentConfig } from './protocol.js';

/** The built child entry; from src/cli (tests) and dist/cli alike, two levels below the package root. */
const CHILD_ENTRY = fileURLToPath(new URL('../../dist/cli/child.js', import.meta.url));
const STDERR_TAIL = 16 * 1024;
/** After the child exits, how long its pipes may stay open (held by a process it left) before they are given up on. */
const CLOSE_GRACE_MS = 1000;

export interface ChildSettings {
  readonly cwd: string;
  /**
   * What the child instruments: it installs that as soon as it starts, before it has a job. Undefined for
   * a child started before the options are read; `configure` tells it later.
   */
  instrument: InstrumentConfig | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where what scenarios print goes; undefined discards it. Read as output arrives. */
  output: NodeJS.WritableStream | undefined;
}

/** How a child process ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The end of what it wrote on stderr: Node's own last words (out of memory, a fatal error) are there. */
  readonly stderrTail: string;
}

/**
 * One child process (child.ts) from the parent's side: started idle, given one job, then ended together
 * with every process it started. It leads a process group of its own (so a terminal's Ctrl-C reaches only
 * racecheck, which stops the children in order) and carries a tag in its environment that its own
 * children inherit.
 */
export class ChildSession {
  readonly exited: Promise<ChildExit>;
  /** When the child last said anything: a child that says nothing for long is stopped or wedged. */
  lastHeard = performance.now();
  private readonly process: ChildProcess;
  private readonly tag = randomBytes(8).toString('hex');
  private stderrTail = '';
  private listener: ((message: FromChild) => void) | undefined;
  private readonly early: FromChild[] = [];
  private ended = false;
  private configured: boolean;

  constructor(settings: ChildSettings) {
    this.configured = settings.instrument !== undefined;
    this.process = spawn(process.execPath, [CHILD_ENTRY], {
      cwd: settings.cwd,
      env: { ...settings.env, [TAG_VARIABLE]: this.tag, ...(settings.instrument ? { [INSTRUMENT_VARIABLE]: JSON.stringify(settings.instrument) } : {}) },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const { stdout, stderr } = this.process;
    // `output` is read at each chunk: a child may be started before the options that decide it are read.
    stdout!.on('data', (chunk: Buffer) => settings.output?.write(chunk));
    stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
      settings.output?.write(chunk);
    });
    const channel = this.process.stdio[TO_PARENT_FD] as Readable;
    channel.on(
      'data',
      createMessageReader<FromChild>(
        (message) => {
          this.lastHeard = performance.now();
          if (this.listener) this.listener(message);
          else this.early.push(message);
        },
        () => undefined,
      ),
    );
    // A pipe whose reader is gone (the child died) must not become an uncaught error here.
    (this.process.stdio[FROM_PARENT_FD] as Writable).on('error', () => undefined);
    this.process.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        // Its pipes may stay open, held by processes it left: end those, then read what is left in the pipes.
        this.endTree();
        let settled = false;
        const finish = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ code, signal, stderrTail: this.stderrTail });
        };
        const timer = setTimeout(finish, CLOSE_GRACE_MS);
        this.process.once('close', finish);
      });
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Hands the child its job; messages go to `onMessage`, in order, those that came before it included. */
  start(job: ChildJob, onMessage: (message: FromChild) => void): void {
    this.listener = onMessage;
    for (const message of this.early.splice(0)) onMessage(message);
    this.post({ type: 'job', job });
  }

  /** Tells a child started without them what to instrument. */
  configure(config: InstrumentConfig): void {
    if (this.configured) return;
    this.configured = true;
    this.post({ type: 'instrument', config });
  }

  /** Asks the child to start no more runs and report what it has. */
  interrupt(): void {
    this.post({ type: 'interrupt' });
  }

  /**
   * Ends the child and every process it started, now; resolves once it has exited and its pipes are read.
   * `finished`: it said it is done, having ended what its scenarios left itself, so its descendants need
   * not be walked.
   */
  end(finished = false): Promise<ChildExit> {
    if (!this.ended) {
      this.ended = true;
      // Its descendants are found through it while it lives; those that left its process group would be lost with it.
      const pid = this.process.pid;
      if (!finished && pid !== undefined && this.process.exitCode === null && this.process.signalCode === null) {
        for (const child of descendantsOf(pid)) signalProcess(child.pid, 'SIGKILL');
      }
      this.endTree();
    }
    return this.exited;
  }

  private post(message: Parameters<typeof encodeMessage>[0]): void {
    const input = this.process.stdio[FROM_PARENT_FD] as Writable;
    if (!input.destroyed && input.writable) input.write(encodeMessage(message));
  }

  /** The child's process group, and every process that still carries its tag. */
  private endTree(): void {
    const pid = this.process.pid;
    if (pid === undefined) return;
    signalProcess(-pid, 'SIGKILL');
    for (const tagged of processesWithVariable(TAG_VARIABLE, this.tag)) signalProcess(tagged, 'SIGKILL');
  }
}
