import path from 'node:path';
import { formatSite, type SiteRef } from '../site.js';
import type { TraceStep } from '../scheduler/result.js';

/** Colouring the timeline may use; identity functions give plain text. */
export interface TimelineStyle {
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
  /** A colour per task, by its position in the timeline. */
  readonly task: (index: number, text: string) => string;
}

export const plainStyle: TimelineStyle = { dim: (t) => t, bold: (t) => t, task: (_i, t) => t };

const MIN_COLUMN = 26;
const MAX_COLUMN = 56;

/**
 * The interleaving as a table with one column per task, the way Lincheck prints interleavings: each
 * step sits in its task's column and shows where the task resumed (file:line:column and the line).
 * When the tasks do not fit side by side, each task gets a narrow lane marked where it runs and the
 * step's text follows the lanes.
 */
export function formatTimeline(trace: readonly TraceStep[], width: number, style: TimelineStyle = plainStyle): string[] {
  const rows = foldRepeatedTimers(foldSoloTasks(trace));
  const tasks = [...new Set(rows.flatMap((row) => ('task' in row ? [row.task] : [])))];
  const names = shortNames(trace);
  // A loop, not Math.max(...rows): a spread of 200,000 rows overflows the call stack.
  let stepWidth = 4;
  for (const row of rows) stepWidth = Math.max(stepWidth, stepLabel(row).length);
  const column = Math.min(MAX_COLUMN, Math.floor((width - stepWidth - 3) / Math.max(tasks.length, 1)) - 3);
  return column >= MIN_COLUMN ? columns(rows, tasks, names, stepWidth, column, style) : lanes(rows, tasks, names, stepWidth, width, style);
}

/** Tasks that ran from their first step to their last without another task in between, folded into one line. */
interface FoldedRow {
  readonly steps: string;
  readonly text: string;
}

/** Consecutive timer steps of one task with the same timer (a library's chain of setImmediate calls), as one row. */
type RepeatedRow = TraceStep & { readonly repeat: number; readonly lastStep: number };

type Row = TraceStep | RepeatedRow | FoldedRow;

function foldRepeatedTimers(rows: readonly Row[]): Row[] {
  const out: Row[] = [];
  for (const row of rows) {
    const last = out[out.length - 1];
    if (
      'task' in row &&
      row.kind === 'timer' &&
      last &&
      'task' in last &&
      last.kind === 'timer' &&
      last.task === row.task &&
      last.timer?.kind === row.timer?.kind &&
      last.timer?.delay === row.timer?.delay
    ) {
      const repeat = 'repeat' in last ? last.repeat : 1;
      out[out.length - 1] = { ...last, repeat: repeat + 1, lastStep: row.step };
    } else {
      out.push(row);
    }
  }
  return out;
}

/**
 * Folds every task whose steps are all consecutive (nothing interleaved with it) into one line, so the
 * timeline shows the tasks that actually interleaved: a shrunk ten-task counter race reads as the two tasks
 * that lost the update. A task that ran in one piece inside another's span is part of the story and stays.
 * Nothing is folded when that would leave no task, or only one task fewer.
 */
function foldSoloTasks(trace: readonly TraceStep[]): Row[] {
  const segments = new Map<string, number>();
  trace.forEach((step, i) => {
    if (i === 0 || trace[i - 1]!.task !== step.task) segments.set(step.task, (segments.get(step.task) ?? 0) + 1);
  });
  const spans = new Map<string, [number, number]>();
  trace.forEach((step, i) => spans.set(step.task, [spans.get(step.task)?.[0] ?? i, i]));
  // A task that ran in one piece but inside another task's span is part of the interleaving: keep it.
  const inside = (task: string) => {
    const [first] = spans.get(task)!;
    return [...spans].some(([other, [from, to]]) => other !== task && from < first && first < to);
  };
  const solo = new Set([...segments].filter(([task, count]) => count === 1 && !inside(task)).map(([task]) => task));
  if (solo.size < 2 || solo.size === segments.size) return [...trace];
  const rows: Row[] = [];
  let run: TraceStep[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const tasks = [...new Set(run.map((step) => step.task))];
    const steps = `${run[0]!.step}–${run[run.length - 1]!.step}`;
    const who = tasks.length === 1 ? `${tasks[0]} ran` : tasks.length <= 3 ? `${tasks.join(', ')} each ran` : `${tasks[0]}, ${tasks[1]}, …, ${tasks[tasks.length - 1]} (${tasks.length} tasks) each ran`;
    rows.push({ steps, text: `${who} alone, without interleaving` });
    run = [];
  };
  for (const step of trace) {
    if (solo.has(step.task)) run.push(step);
    else {
      flush();
      rows.push(step);
    }
  }
  flush();
  return rows;
}

function stepLabel(row: Row): string {
  if (!('task' in row)) return row.steps;
  return 'repeat' in row ? `${row.step}–${row.lastStep}` : String(row.step);
}

function columns(
  trace: readonly Row[],
  tasks: readonly string[],
  names: Map<string, string>,
  stepWidth: number,
  column: number,
  style: TimelineStyle,
): string[] {
  const cell = (text: string) => pad(truncate(text, column), column);
  const header = `${pad('step', stepWidth, true)} │ ${tasks.map((task, i) => style.task(i, style.bold(cell(task)))).join(' │ ')}`;
  const rule = `${'─'.repeat(stepWidth)}─┼─${tasks.map(() => '─'.repeat(column)).join('─┼─')}`;
  const lines = [header.trimEnd(), style.dim(rule)];
  for (const step of trace) {
    if (!('task' in step)) {
      lines.push(style.dim(`${pad(step.steps, stepWidth, true)} │ ${step.text}`));
      continue;
    }
    const index = tasks.indexOf(step.task);
    const [head, code] = describeStep(step, names);
    const row = (text: string, first: boolean) =>
      `${first ? pad(stepLabel(step), stepWidth, true) : ' '.repeat(stepWidth)} │ ${tasks
        .map((_, i) => (i === index ? style.task(i, cell(text)) : cell('')))
        .join(' │ ')}`.trimEnd();
    lines.push(row(head, true));
    if (code) lines.push(style.dim(row(`  ${code}`, false)));
  }
  return lines;
}

function lanes(
  trace: readonly Row[],
  tasks: readonly string[],
  names: Map<string, string>,
  stepWidth: number,
  width: number,
  style: TimelineStyle,
): string[] {
  const lane = Math.max(3, ...tasks.map((task) => task.length + 1));
  const header = `${pad('step', stepWidth, true)}  ${tasks.map((task, i) => style.task(i, pad(task, lane))).join('')}`;
  const lines = [header.trimEnd()];
  const textWidth = Math.max(20, width - stepWidth - 2 - lane * tasks.length - 1);
  for (const step of trace) {
    if (!('task' in step)) {
      lines.push(style.dim(`${pad(step.steps, stepWidth, true)}  ${step.text}`));
      continue;
    }
    const index = tasks.indexOf(step.task);
    const marks = tasks.map((_, i) => (i === index ? style.task(i, pad('●', lane)) : style.dim(pad('·', lane)))).join('');
    const [head, code] = describeStep(step, names);
    const text = truncate(`${step.task} ${head}${code ? `  ${code}` : ''}`, textWidth);
    lines.push(`${pad(stepLabel(step), stepWidth, true)}  ${marks} ${style.task(index, text)}`.trimEnd());
  }
  return lines;
}

/** The step's headline (what happened, where) and the source line it resumed at, if any. */
function describeStep(step: TraceStep, names: Map<string, string>): [string, string | undefined] {
  if (step.kind === 'start') return ['start', undefined];
  if (step.kind === 'timer') {
    const timer = step.timer;
    const times = 'repeat' in step ? ` ×${(step as RepeatedRow).repeat}` : '';
    return [timer ? `${timer.kind === 'immediate' ? 'setImmediate' : `${timer.kind} ${timer.delay}ms`} fires${times}` : `timer fires${times}`, undefined];
  }
  if (!step.site) return ['resume', undefined];
  if (step.site.line === 0) return [`resume in ${step.site.text}`, undefined];
  return [`resume ${formatLocation(step.site, names)}`, step.site.text.trim()];
}

/** `file:line:column`, with the file shortened to its base name when that is unambiguous in the trace. */
export function formatLocation(site: SiteRef, names?: Map<string, string>): string {
  if (site.line === 0) return site.text;
  return formatSite(site, names?.get(site.file));
}

/** Base names for files whose base name is unique among the trace's files; full paths otherwise. */
export function shortNames(trace: readonly { readonly site: SiteRef | null }[]): Map<string, string> {
  const files = [...new Set(trace.flatMap((step) => (step.site && step.site.line > 0 ? [step.site.file] : [])))];
  const bases = files.map((file) => path.posix.basename(file));
  return new Map(files.map((file, i) => [file, bases.filter((base) => base === bases[i]).length === 1 ? bases[i]! : file]));
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function pad(text: string, width: number, right = false): string {
  const gap = ' '.repeat(Math.max(0, width - text.length));
  return right ? gap + text : text + gap;
}
