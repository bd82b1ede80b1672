/**
 * Finding the processes a scenario left running, to end them. On Linux /proc tells each process's parent,
 * group and environment; elsewhere only the process group is ended (the functions here find nothing).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  /** `Z` for a zombie: it has exited and only waits to be reaped, so there is nothing to end. */
  readonly state: string;
}

/** Every process this user can see, from /proc/<pid>/stat. */
export function listProcesses(): ProcessEntry[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const entries: ProcessEntry[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    entries.push({ pid: Number(name), ppid: Number(fields[1]), pgid: Number(fields[2]), state: fields[0] ?? '?' });
  }
  return entries;
}

/** The live descendants of `pid` (children, their children, ...), zombies left out. */
export function descendantsOf(pid: number, entries: readonly ProcessEntry[] = listProcesses()): ProcessEntry[] {
  const children = new Map<number, ProcessEntry[]>();
  for (const entry of entries) {
    const siblings = children.get(entry.ppid);
    if (siblings) siblings.push(entry);
    else children.set(entry.ppid, [entry]);
  }
  const found: ProcessEntry[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (child.state !== 'Z') found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/**
 * Processes whose environment holds `name=value`: a scenario's children inherit the variable the child
 * process was started with, so this finds them even once they have been re-parented (a daemon that
 * forked twice, a detached child whose parent exited).
 */
export function processesWithVariable(name: string, value: string): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const needle = Buffer.from(`\0${name}=${value}\0`);
  const first = Buffer.from(`${name}=${value}\0`);
  const found: number[] = [];
  for (const entry of names) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${entry}/environ`);
    } catch {
      continue;
    }
    if (environ.includes(needle) || environ.subarray(0, first.length).equals(first)) found.push(Number(entry));
  }
  return found;
}

/** The command line of a process, shortened, for a report. */
export function commandOf(pid: number): string {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return text.length > 120 ? `${text.slice(0, 119)}…` : text;
  } catch {
    return '?';
  }
}

/** Sends a signal, ignoring processes that are already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: it ended meanwhile; EPERM: not ours to end.
  }
}
