import path from 'node:path';
import { formatSite, type SiteRef } from '../site.js';
import { EARLIER_RUN, type TraceStep } from '../scheduler/result.js';
import { count } from '../words.js';

/** Colouring the timeline may use; identity functions give plain text. */
export interface TimelineStyle {
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
  /** A colour per lane, by its position in the timeline. */
  readonly task: (index: number, text: string) => string;
  /** What marks an access in its step's row. */
  readonly mark?: (text: string) => string;
}

export const plainStyle: TimelineStyle = { dim: (t) => t, bold: (t) => t, task: (_i, t) => t };

/** An access shown in the row of its step, in its lane: `[1] read s.value 3`. */
export interface TimelineMark {
  readonly step: number;
  readonly task: string;
  readonly label: string;
  readonly text: string;
}

export interface TimelineOptions {
  readonly marks?: readonly TimelineMark[];
  /** Most lanes drawn; the steps of the others are listed by name. */
  readonly maxLanes?: number;
  /** Most rows printed; beyond, the rows far from the marked steps and from both ends are left out. */
  readonly maxRows?: number;
}

const MIN_COLUMN = 26;
const MAX_COLUMN = 56;
const MAX_LANES = 8;
const MAX_ROWS = 160;
/** Rows kept around each marked step, and at each end, when the timeline is cut. */
const CONTEXT_ROWS = 4;
const END_ROWS = 12;
/** A run of steps of lanes that are not drawn, shorter than this, is listed step by step. */
const OTHERS_FOLD = 4;
/** Longest cycle of rows that folds when it repeats (two tasks handing over in a livelock, say). */
const MAX_PERIOD = 4;
const MIN_REPEATS = 3;

interface StepRow {
  readonly type: 'step';
  readonly step: TraceStep;
  /** Consecutive identical steps folded into this one: how many, and the last one's number. */
  readonly repeat: number;
  readonly lastStep: number;
  readonly marks: readonly TimelineMark[];
}

/** Steps folded into a line of text. */
interface NoteRow {
  readonly type: 'note';
  readonly steps: string;
  readonly text: string;
}

type Row = StepRow | NoteRow;

/**
 * The interleaving as a table with one column per lane, the way Lincheck prints interleavings: each step
 * sits in its lane's column and shows where the lane resumed (file:line:column and the line), with the
 * accesses marked under it. When the lanes do not fit side by side, each lane gets a narrow track marked
 * where it runs and the step's text follows the tracks.
 *
 * Every pass is linear in the trace, and the output is bounded whatever its length: stretches that say
 * nothing new fold (tasks that ran alone, one task resuming at one line again and again, a cycle of
 * steps that repeats), at most `maxLanes` lanes are drawn, and at most `maxRows` rows are printed.
 */
export function formatTimeline(trace: readonly TraceStep[], width: number, style: TimelineStyle = plainStyle, options: TimelineOptions = {}): string[] {
  const marks = groupMarks(options.marks ?? []);
  // The lanes an access belongs to, and those whose steps it happened in (a handler's first lines run
  // in the wait after another lane's step): neither folds away.
  const marked = new Set<string>();
  for (const list of marks.values()) for (const mark of list) marked.add(mark.task);
  for (const step of trace) if (marks.has(step.step)) marked.add(step.task);
  let rows = foldSoloTasks(trace, marks, marked);
  rows = foldRepeats(rows);
  rows = foldPeriods(rows);
  const lanes = chooseLanes(rows, marked, options.maxLanes ?? MAX_LANES);
  rows = foldOthers(rows, new Set(lanes));
  rows = cutRows(rows, options.maxRows ?? MAX_ROWS);
  const names = shortNames(trace);
  let stepWidth = 4;
  for (const row of rows) stepWidth = Math.max(stepWidth, stepLabel(row).length);
  const column = Math.min(MAX_COLUMN, Math.floor((width - stepWidth - 3) / Math.max(lanes.length, 1)) - 3);
  const lines = column >= MIN_COLUMN ? columns(rows, lanes, names, stepWidth, column, style) : tracks(rows, lanes, names, stepWidth, width, style);
  return [...lines, ...originLines(trace, lanes)];
}

function groupMarks(marks: readonly TimelineMark[]): Map<number, TimelineMark[]> {
  const byStep = new Map<number, TimelineMark[]>();
  for (const mark of marks) {
    const list = byStep.get(mark.step);
    if (list) list.push(mark);
    else byStep.set(mark.step, [mark]);
  }
  return byStep;
}

function stepRow(step: TraceStep, marks: ReadonlyMap<number, readonly TimelineMark[]>): StepRow {
  return { type: 'step', step, repeat: 1, lastStep: step.step, marks: marks.get(step.step) ?? [] };
}

/**
 * Folds every task whose steps are all consecutive (nothing interleaved with it) into one line, so the
 * timeline shows the tasks that actually interleaved: a shrunk ten-task counter race reads as the two tasks
 * that lost the update. A task that ran in one piece inside another's span, or one with a marked access,
 * is part of the story and stays. Nothing is folded when that would leave no task, or only one task fewer.
 */
function foldSoloTasks(trace: readonly TraceStep[], marks: ReadonlyMap<number, readonly TimelineMark[]>, marked: ReadonlySet<string>): Row[] {
  const segments = new Map<string, number>();
  const spans = new Map<string, [number, number]>();
  for (let i = 0; i < trace.length; i++) {
    const task = trace[i]!.task;
    if (i === 0 || trace[i - 1]!.task !== task) segments.set(task, (segments.get(task) ?? 0) + 1);
    const span = spans.get(task);
    if (span) span[1] = i;
    else spans.set(task, [i, i]);
  }
  // How many other spans are open at each position (a span [from, to] is open strictly between its ends).
  const open = new Int32Array(trace.length + 1);
  for (const [from, to] of spans.values()) {
    if (to - from < 2) continue;
    open[from + 1]! += 1;
    open[to]! -= 1;
  }
  for (let i = 1; i <= trace.length; i++) open[i]! += open[i - 1]!;
  const solo = new Set<string>();
  for (const [task, count] of segments) {
    if (count === 1 && !marked.has(task) && open[spans.get(task)![0]]! === 0) solo.add(task);
  }
  if (solo.size < 2 || solo.size === segments.size) return trace.map((step) => stepRow(step, marks));
  const rows: Row[] = [];
  let first = -1;
  const tasks: string[] = [];
  const flush = (last: number) => {
    if (first === -1) return;
    const who =
      tasks.length === 1
        ? `${tasks[0]} ran`
        : tasks.length <= 3
          ? `${tasks.join(', ')} each ran`
          : `${tasks[0]}, ${tasks[1]}, …, ${tasks[tasks.length - 1]} (${count(tasks.length)} tasks) each ran`;
    rows.push({ type: 'note', steps: `${trace[first]!.step}–${trace[last]!.step}`, text: `${who} alone, without interleaving` });
    first = -1;
    tasks.length = 0;
  };
  for (let i = 0; i < trace.length; i++) {
    const step = trace[i]!;
    if (solo.has(step.task)) {
      if (first === -1) first = i;
      if (tasks[tasks.length - 1] !== step.task) tasks.push(step.task);
    } else {
      flush(i - 1);
      rows.push(stepRow(step, marks));
    }
  }
  flush(trace.length - 1);
  return rows;
}

/** Whether two steps look the same in a timeline: one lane resuming at one place, or one timer firing again. */
function sameStep(a: TraceStep, b: TraceStep): boolean {
  if (a.task !== b.task || a.kind !== b.kind) return false;
  if (a.kind === 'timer') return a.timer?.kind === b.timer?.kind && a.timer?.delay === b.timer?.delay;
  if (a.kind === 'start') return false;
  return a.site !== null && b.site !== null && a.site.file === b.site.file && a.site.line === b.site.line && a.site.column === b.site.column;
}

/** Consecutive identical steps of one lane (a loop around one await, a chain of setImmediate calls) as one row. */
function foldRepeats(rows: readonly Row[]): Row[] {
  const out: Row[] = [];
  for (const row of rows) {
    const last = out[out.length - 1];
    if (row.type === 'step' && last?.type === 'step' && row.marks.length === 0 && last.marks.length === 0 && sameStep(last.step, row.step)) {
      out[out.length - 1] = { ...last, repeat: last.repeat + row.repeat, lastStep: row.lastStep };
    } else {
      out.push(row);
    }
  }
  return out;
}

function sameRow(a: Row, b: Row): boolean {
  if (a.type !== 'step' || b.type !== 'step' || a.marks.length > 0 || b.marks.length > 0 || a.repeat !== b.repeat) return false;
  return sameStep(a.step, b.step) || (a.step.kind === 'start' && b.step.kind === 'start' && a.step.task === b.step.task);
}

/**
 * A cycle of up to MAX_PERIOD rows repeated MIN_REPEATS times or more (two tasks handing a lock back and
 * forth in a livelock): the first cycle is shown, the repetitions are one line.
 */
function foldPeriods(rows: readonly Row[]): Row[] {
  const out: Row[] = [];
  let i = 0;
  while (i < rows.length) {
    let folded = false;
    for (let period = 2; period <= MAX_PERIOD && !folded; period++) {
      if (i + period * MIN_REPEATS > rows.length) break;
      let end = i + period;
      while (end + period <= rows.length) {
        let same = true;
        for (let k = 0; k < period && same; k++) same = sameRow(rows[end + k]!, rows[i + k]!);
        if (!same) break;
        end += period;
      }
      const repeats = (end - i) / period;
      if (repeats < MIN_REPEATS) continue;
      for (let k = 0; k < period; k++) out.push(rows[i + k]!);
      const from = firstStep(rows[i + period]!);
      const to = lastStep(rows[end - 1]!);
      out.push({ type: 'note', steps: `${from}–${to}`, text: `the ${period} steps above, ${count(repeats - 1)} times more` });
      i = end;
      folded = true;
    }
    if (!folded) out.push(rows[i++]!);
  }
  return out;
}

function firstStep(row: Row): string {
  return row.type === 'step' ? String(row.step.step) : row.steps.split('–')[0]!;
}

function lastStep(row: Row): string {
  return row.type === 'step' ? String(row.lastStep) : (row.steps.split('–')[1] ?? row.steps);
}

/** The lanes drawn: those with marked accesses first, then by first appearance, at most `max`. */
function chooseLanes(rows: readonly Row[], marked: ReadonlySet<string>, max: number): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (row.type !== 'step' || seen.has(row.step.task)) continue;
    seen.add(row.step.task);
    order.push(row.step.task);
  }
  if (order.length <= max) return order;
  const chosen = new Set<string>();
  for (const task of order) if (marked.has(task) && chosen.size < max) chosen.add(task);
  for (const task of order) if (chosen.size < max) chosen.add(task);
  return order.filter((task) => chosen.has(task));
}

/** Steps of lanes that are not drawn stay listed one by one when few; a longer run of them is one line. */
function foldOthers(rows: readonly Row[], drawn: ReadonlySet<string>): Row[] {
  const out: Row[] = [];
  let run: StepRow[] = [];
  const flush = () => {
    if (run.length >= OTHERS_FOLD) {
      const tasks: string[] = [];
      const seen = new Set<string>();
      let steps = 0;
      for (const row of run) {
        steps += row.repeat;
        if (!seen.has(row.step.task)) {
          seen.add(row.step.task);
          tasks.push(row.step.task);
        }
      }
      const who = tasks.length <= 3 ? tasks.join(', ') : `${tasks[0]}, ${tasks[1]}, …, ${tasks[tasks.length - 1]} (${count(tasks.length)} lanes)`;
      out.push({ type: 'note', steps: `${run[0]!.step.step}–${run[run.length - 1]!.lastStep}`, text: `${count(steps)} steps of ${who}` });
    } else {
      out.push(...run);
    }
    run = [];
  };
  for (const row of rows) {
    if (row.type === 'step' && !drawn.has(row.step.task) && row.marks.length === 0) run.push(row);
    else {
      flush();
      out.push(row);
    }
  }
  flush();
  return out;
}

/** At most `max` rows: the first and last few, and those around marked steps; a line says what is left out. */
function cutRows(rows: readonly Row[], max: number): Row[] {
  if (rows.length <= max) return [...rows];
  const keep = new Uint8Array(rows.length);
  for (let i = 0; i < Math.min(END_ROWS, rows.length); i++) keep[i] = 1;
  for (let i = Math.max(0, rows.length - END_ROWS); i < rows.length; i++) keep[i] = 1;
  let budget = max - 2 * END_ROWS;
  for (let i = 0; i < rows.length && budget > 0; i++) {
    const row = rows[i]!;
    if (row.type !== 'step' || row.marks.length === 0) continue;
    for (let j = Math.max(0, i - CONTEXT_ROWS); j <= Math.min(rows.length - 1, i + CONTEXT_ROWS) && budget > 0; j++) {
      if (!keep[j]) {
        keep[j] = 1;
        budget--;
      }
    }
  }
  const out: Row[] = [];
  for (let i = 0; i < rows.length; ) {
    if (keep[i]) {
      out.push(rows[i++]!);
      continue;
    }
    const from = i;
    let steps = 0;
    while (i < rows.length && !keep[i]) {
      const row = rows[i]!;
      steps += row.type === 'step' ? row.repeat : stepCount(row.steps);
      i++;
    }
    out.push({ type: 'note', steps: `${firstStep(rows[from]!)}–${lastStep(rows[i - 1]!)}`, text: `⋮ ${count(steps)} steps not shown` });
  }
  return out;
}

function stepCount(steps: string): number {
  const [from, to] = steps.split('–');
  return to === undefined ? 1 : Number(to) - Number(from) + 1;
}

function stepLabel(row: Row): string {
  if (row.type === 'note') return row.steps;
  return row.repeat > 1 ? `${row.step.step}–${row.lastStep}` : String(row.step.step);
}

function columns(rows: readonly Row[], lanes: readonly string[], names: Map<string, string>, stepWidth: number, column: number, style: TimelineStyle): string[] {
  const cell = (text: string) => pad(truncate(text, column), column);
  const index = new Map(lanes.map((lane, i) => [lane, i]));
  const header = `${pad('step', stepWidth, true)} │ ${lanes.map((lane, i) => style.task(i, style.bold(cell(lane)))).join(' │ ')}`;
  const rule = `${'─'.repeat(stepWidth)}─┼─${lanes.map(() => '─'.repeat(column)).join('─┼─')}`;
  const lines = [header.trimEnd(), style.dim(rule)];
  const mark = style.mark ?? style.bold;
  for (const row of rows) {
    if (row.type === 'note') {
      lines.push(style.dim(`${pad(row.steps, stepWidth, true)} │ ${row.text}`));
      continue;
    }
    const at = index.get(row.step.task);
    const [head, code] = describeStep(row, names);
    if (at === undefined) {
      // A lane that is not drawn: its step spans the columns, named.
      lines.push(`${pad(stepLabel(row), stepWidth, true)} │ ${truncate(`${row.step.task} ${head}${code ? `  ${code}` : ''}`, column * lanes.length)}`.trimEnd());
      continue;
    }
    const line = (text: string, first: boolean, styled: (text: string) => string) =>
      `${first ? pad(stepLabel(row), stepWidth, true) : ' '.repeat(stepWidth)} │ ${lanes.map((_, i) => (i === at ? styled(cell(text)) : cell(''))).join(' │ ')}`.trimEnd();
    lines.push(line(head, true, (text) => style.task(at, text)));
    if (code) lines.push(style.dim(line(`  ${code}`, false, (text) => text)));
    for (const access of row.marks) {
      const lane = index.get(access.task);
      if (lane === undefined) {
        lines.push(`${' '.repeat(stepWidth)} │ ${mark(truncate(`${access.label} ${access.task}: ${access.text}`, column * lanes.length))}`);
        continue;
      }
      lines.push(`${' '.repeat(stepWidth)} │ ${lanes.map((_, i) => (i === lane ? mark(cell(`${access.label} ${access.text}`)) : cell(''))).join(' │ ')}`.trimEnd());
    }
  }
  return lines;
}

function tracks(rows: readonly Row[], lanes: readonly string[], names: Map<string, string>, stepWidth: number, width: number, style: TimelineStyle): string[] {
  let lane = 3;
  for (const name of lanes) lane = Math.max(lane, Math.min(name.length, 12) + 1);
  const index = new Map(lanes.map((name, i) => [name, i]));
  const header = `${pad('step', stepWidth, true)}  ${lanes.map((name, i) => style.task(i, pad(truncate(name, lane - 1), lane))).join('')}`;
  const lines = [header.trimEnd()];
  const textWidth = Math.max(20, width - stepWidth - 2 - lane * lanes.length - 1);
  const blank = ' '.repeat(stepWidth + 2 + lane * lanes.length);
  const mark = style.mark ?? style.bold;
  for (const row of rows) {
    if (row.type === 'note') {
      lines.push(style.dim(`${pad(row.steps, stepWidth, true)}  ${row.text}`));
      continue;
    }
    const at = index.get(row.step.task);
    const marks = lanes.map((_, i) => (i === at ? style.task(i, pad('●', lane)) : style.dim(pad('·', lane)))).join('');
    const [head, code] = describeStep(row, names);
    const text = truncate(`${row.step.task} ${head}${code ? `  ${code}` : ''}`, textWidth);
    lines.push(`${pad(stepLabel(row), stepWidth, true)}  ${marks} ${at === undefined ? text : style.task(at, text)}`.trimEnd());
    for (const access of row.marks) lines.push(`${blank} ${mark(truncate(`${access.label} ${access.task}: ${access.text}`, textWidth))}`);
  }
  return lines;
}

/** Where each activity drawn came from: `GET /add #1 started in a step of t0`. */
function originLines(trace: readonly TraceStep[], lanes: readonly string[]): string[] {
  const drawn = new Set(lanes);
  const origins = new Map<string, string>();
  for (const step of trace) {
    if (step.origin !== undefined && drawn.has(step.task) && !origins.has(step.task)) origins.set(step.task, step.origin);
  }
  if (origins.size === 0) return [];
  return ['', ...[...origins].map(([lane, origin]) => `${lane}: ${originText(origin)}`)];
}

function originText(origin: string): string {
  if (origin === EARLIER_RUN) return 'a timer an earlier run left pending, fired when nothing else could run, as Node would fire it';
  return `started by ${origin}, not awaited by it`;
}

/** The step's headline (what happened, where) and the source line it resumed at, if any. */
function describeStep(row: StepRow, names: Map<string, string>): [string, string | undefined] {
  const step = row.step;
  const times = row.repeat > 1 ? ` ×${count(row.repeat)}` : '';
  if (step.kind === 'start') return [`start${times}`, undefined];
  if (step.kind === 'timer') {
    const timer = step.timer;
    return [timer ? `${timer.kind === 'immediate' ? 'setImmediate' : `${timer.kind === 'interval' ? 'setInterval' : 'setTimeout'} ${timer.delay}ms`} fires${times}` : `timer fires${times}`, undefined];
  }
  if (!step.site) return [`resume${times}`, undefined];
  if (step.site.line === 0) return [`resume in ${step.site.text}${times}`, undefined];
  return [`resume ${formatLocation(step.site, names)}${times}`, step.site.text.trim()];
}

/** `file:line:column`, with the file shortened to its base name when that is unambiguous in the trace. */
export function formatLocation(site: SiteRef, names?: Map<string, string>): string {
  if (site.line === 0) return site.text;
  return formatSite(site, names?.get(site.file));
}

/** Base names for files whose base name is unique among the trace's files; full paths otherwise. */
export function shortNames(trace: readonly { readonly site: SiteRef | null }[]): Map<string, string> {
  const files = new Set<string>();
  for (const step of trace) if (step.site && step.site.line > 0) files.add(step.site.file);
  const counts = new Map<string, number>();
  for (const file of files) {
    const base = path.posix.basename(file);
    counts.set(base, (counts.get(base) ?? 0) + 1);
  }
  const names = new Map<string, string>();
  for (const file of files) {
    const base = path.posix.basename(file);
    names.set(file, counts.get(base) === 1 ? base : file);
  }
  return names;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function pad(text: string, width: number, right = false): string {
  const gap = ' '.repeat(Math.max(0, width - text.length));
  return right ? gap + text : text + gap;
}
