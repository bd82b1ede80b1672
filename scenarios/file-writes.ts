/**
 * Seed article 002 ("how to use asyncio.Lock"), "Example 2: Controlling Access to a Shared Resource (e.g., a
 * File)": tasks writing to one file. These are real files in a temporary directory (made in setup, removed
 * in teardown), written through node:fs/promises; racecheck lets each operation land before it decides
 * what runs next. Without a lock, entries written in several appends interleave line by line, and updates
 * that read the file and write it back lose lines. The article's fix, one lock around each task's file
 * access, fixes both.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineScenario, type TaskFn } from 'racecheck';
import { Lock } from 'racecheck/sync';
import { addLine, appendEntry, readLines } from './app/line-file.js';

interface State {
  readonly dir: string;
  readonly file: string;
  readonly lock: Lock;
}

const TASKS = 3;

async function setup(): Promise<State> {
  const dir = await mkdtemp(path.join(tmpdir(), 'racecheck-file-writes-'));
  const file = path.join(dir, 'shared_file.txt');
  await writeFile(file, ''); // the article clears the file first
  return { dir, file, lock: new Lock() };
}

const teardown = (s: State) => rm(s.dir, { recursive: true, force: true });

/** The entry task `id` writes: a header, the data and a footer, three appends. */
const entry = (id: number) => [`Task ${id}: begin`, `Task ${id}: writing data to file`, `Task ${id}: end`];

const appendTasks = (locked: boolean): TaskFn<State>[] =>
  Array.from({ length: TASKS }, (_, id) => async (s: State) => {
    if (locked) await s.lock.runExclusive(() => appendEntry(s.file, entry(id)));
    else await appendEntry(s.file, entry(id));
  });

/** Every entry is there, whole: its three lines one after the other. */
async function entriesIntact(s: State): Promise<true | string> {
  const lines = await readLines(s.file);
  if (lines.length !== 3 * TASKS) return `expected ${3 * TASKS} lines, found ${lines.length}`;
  for (let start = 0; start < lines.length; start += 3) {
    const block = lines.slice(start, start + 3);
    const id = /^Task (\d+):/.exec(block[0] ?? '')?.[1];
    if (id === undefined || block.join('\n') !== entry(Number(id)).join('\n')) {
      return `entries interleaved: lines ${start + 1}-${start + 3} are ${JSON.stringify(block)}`;
    }
  }
  return true;
}

export const buggyInterleavedAppends = defineScenario({
  name: 'file writes: multi-line entries appended without a lock interleave',
  setup,
  tasks: appendTasks(false),
  check: entriesIntact,
  teardown,
});

export const fixedLockedAppends = defineScenario({
  name: 'file writes: appends under one lock stay whole',
  setup,
  tasks: appendTasks(true),
  check: entriesIntact,
  teardown,
});

const addTasks = (locked: boolean): TaskFn<State>[] =>
  Array.from({ length: TASKS }, (_, id) => async (s: State) => {
    if (locked) await s.lock.runExclusive(() => addLine(s.file, `line ${id}`));
    else await addLine(s.file, `line ${id}`);
  });

async function allLines(s: State): Promise<true | string> {
  const lines = await readLines(s.file);
  return lines.length === TASKS || `expected ${TASKS} lines, found ${lines.length}: ${JSON.stringify(lines)}`;
}

export const buggyReadModifyWrite = defineScenario({
  name: 'file writes: read the file, write it back with a line added, no lock: lines lost',
  setup,
  tasks: addTasks(false),
  check: allLines,
  teardown,
});

export const fixedLockedReadModifyWrite = defineScenario({
  name: 'file writes: read-modify-write under one lock keeps every line',
  setup,
  tasks: addTasks(true),
  check: allLines,
  teardown,
});
