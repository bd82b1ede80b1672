import { Chalk, type ChalkInstance } from 'chalk';
import { formatAdvice } from '../advise/format.js';
import { formatDivergence } from './divergence.js';
import { formatLocation, formatTimeline, shortNames, type TimelineMark, type TimelineStyle } from './timeline.js';
import type { Report, Reporter, ScenarioReport } from './types.js';
import { parseScenarioId } from '../scenario/id.js';
import { firstEarlierRunStep } from '../scheduler/result.js';
import { count, plural } from '../words.js';

export interface PrettyOptions {
  readonly out: NodeJS.WritableStream;
  /** Colour level: 0 for none (NO_COLOR, not a TTY), up to 3. */
  readonly color: 0 | 1 | 2 | 3;
  /** Whether `out` is a terminal: progress lines are drawn only there. */
  readonly interactive: boolean;
  /** Columns available for the timeline. */
  readonly width: number;
}

const TASK_COLORS = ['cyan', 'magenta', 'yellow', 'blue', 'green', 'red'] as const;

/** The report a person reads: a line per scenario as it finishes, then each violation in full, then a summary. */
export function createPrettyReporter(options: PrettyOptions): Reporter {
  const c = new Chalk({ level: options.color });
  const write = (text = '') => options.out.write(`${text}\n`);
  let progressShown = false;
  let idWidth = 0;
  const clearProgress = () => {
    if (progressShown) options.out.write('\r\x1b[2K');
    progressShown = false;
  };

  return {
    onStart({ files, seed, version, shard }) {
      const part = shard ? ` (shard ${shard.index}/${shard.count})` : '';
      write(c.dim(`racecheck ${version} · ${plural(files.length, 'file')}${part} · seed ${seed}`));
      write();
    },
    onFileStart({ scenarios }) {
      idWidth = Math.max(0, ...scenarios.map((s) => s.id.length));
    },
    onProgress({ id, runs, totalRuns, elapsedMs }) {
      if (!options.interactive) return;
      const rate = elapsedMs > 0 ? ` · ${formatRate((runs / elapsedMs) * 1000)} runs/s` : '';
      options.out.write(`\r\x1b[2K${c.dim(`… ${id}  ${count(runs)}/${count(totalRuns)} runs${rate}`)}`);
      progressShown = true;
    },
    onScenarioEnd(scenario) {
      clearProgress();
      write(scenarioLine(scenario, c, idWidth, options.width));
      const diverged = formatDivergence(scenario.search, scenario.runs, scenario.violation?.run);
      if (diverged) write(c.dim(`   ${diverged}`));
    },
    onEnd(report) {
      clearProgress();
      for (const scenario of report.scenarios) {
        if (scenario.violation) for (const line of violationDetails(scenario, c, options.width)) write(line);
        else if (scenario.error && (scenario.error.frame || scenario.error.stack)) for (const line of errorDetails(scenario, c, options.width)) write(line);
        if (scenario.advice?.length) write(formatAdvice(scenario.advice, { id: scenario.id, width: options.width, style: { code: c.yellow, dim: c.dim, command: c.cyan } }));
      }
      write();
      write(summaryLine(report, c));
    },
  };
}

/** One line per scenario; a failure's message is cut to the width, the rest never is. */
function scenarioLine(scenario: ScenarioReport, c: ChalkInstance, idWidth: number, width: number): string {
  const id = scenario.id.padEnd(Math.min(idWidth, 60));
  const runs = plural(scenario.runs, 'run');
  const steps = plural(scenario.steps, 'step');
  // A failing scenario's time includes shrinking its schedule: a rate would mislead.
  const rate = scenario.status === 'pass' && scenario.durationMs > 0 ? `${formatRate((scenario.runs / scenario.durationMs) * 1000)} runs/s` : '';
  const stats = c.dim([runs, steps, rate].filter(Boolean).join(' · ')) + (scenario.interrupted ? c.yellow(' · interrupted') : '');
  if (scenario.status === 'pass') {
    const bound = scenario.search.maxPreemptions;
    const verdict = scenario.search.complete
      ? c.green(`${scenario.search.schedules === 1 ? ' · the one schedule' : ` · all ${count(scenario.search.schedules)} schedules`}${bound === undefined ? '' : ` with ≤ ${plural(bound, 'preemption')}`}`)
      : c.dim(notProven(scenario.search));
    const line = ` ${c.green('✓')} ${id}  ${stats}${verdict}`;
    // The rate is the first thing to go when the line does not fit the terminal.
    return stripAnsi(line).length <= width || !rate ? line : ` ${c.green('✓')} ${id}  ${c.dim([runs, steps].join(' · '))}${verdict}`;
  }
  if (scenario.status === 'error') return ` ${c.yellow('!')} ${id}  ${c.yellow(scenario.error?.message ?? 'error')}`;
  const violation = scenario.violation!;
  const head = ` ${c.red('✗')} ${id}  ${stats}  `;
  const room = Math.max(20, width - stripAnsi(head).length);
  return head + c.red(cut(`${violation.kind}: ${firstLine(violation.message)}`, room));
}

/**
 * Why an exhaustive search that passed is not a proof, when real I/O is the reason (docs/scheduling.md):
 * without it the line would only lack its "all N schedules", and say nothing of why.
 */
function notProven(search: ScenarioReport['search']): string {
  if (search.strategy !== 'exhaustive') return '';
  if (search.nondeterministic) return ` · not complete: real I/O made runs differ${search.divergedAt ? ` at step ${search.divergedAt.step}` : ''}`;
  return search.realIo ? ' · not complete: real I/O in flight' : '';
}

/**
 * One failing scenario's violation in full, as the pretty report prints it after the results (the
 * timeline, the blocked tasks, the command that reproduces it): for test-runner integrations.
 */
export function formatViolation(scenario: ScenarioReport, options: { readonly color: 0 | 1 | 2 | 3; readonly width: number }): string {
  return violationDetails(scenario, new Chalk({ level: options.color }), options.width).join('\n');
}

/** Longest message and stack shown in full; a 10,000-task deadlock names every task in its message. */
const MAX_MESSAGE = 1_500;
const MAX_STACK_LINES = 14;
const MAX_BLOCKED = 12;
const PATTERNS: Record<string, string> = { 'lost-update': 'a lost update', 'stale-check': 'a stale check', 'torn-read': 'a torn read', other: '' };

function violationDetails(scenario: ScenarioReport, c: ChalkInstance, width: number): string[] {
  const v = scenario.violation!;
  const style: TimelineStyle = {
    dim: (text) => c.dim(text),
    bold: (text) => c.bold(text),
    task: (index, text) => c[TASK_COLORS[index % TASK_COLORS.length]!](text),
    mark: (text) => c.yellow(text),
  };
  const explanation = v.explanation;
  const accesses = explanation?.accesses ?? [];
  const marks: TimelineMark[] = accesses.map((access, i) => ({ step: access.step, task: access.task, label: `[${i + 1}]`, text: `${access.op} ${access.target} (${access.value})` }));
  const message = v.message.length <= MAX_MESSAGE ? v.message : `${v.message.slice(0, MAX_MESSAGE)}… (${count(v.message.length - MAX_MESSAGE)} more characters)`;
  const lines = [
    '',
    c.red.bold(`─── ${scenario.id} ${'─'.repeat(Math.max(3, Math.min(width, 100) - scenario.id.length - 5))}`),
    scenario.name !== (parseScenarioId(scenario.id)?.exportName ?? scenario.id) ? c.bold(scenario.name) : '',
    message
      .split('\n')
      .flatMap((part, i) => wrap(i === 0 ? `${v.kind}: ${part}` : `  ${part}`, width))
      .map((line, i) => (i === 0 ? `${c.red.bold(v.kind)}${line.slice(v.kind.length)}` : line))
      .join('\n'),
    c.dim(
      `run ${v.run} · run seed ${v.seed} · ${plural(v.trace.length, 'step')} · ${plural(v.preemptions, 'preemption')} · strategy ${v.strategy}${v.shrunk ? ' · shrunk' : ''}`,
    ),
  ].filter((line, i) => i !== 2 || line !== '');
  if (explanation) lines.push('', ...wrap(explanation.summary, width - 2).map((line) => `  ${c.bold(line)}`));
  if (v.stack) {
    const frames = v.stack.split('\n');
    lines.push('', ...frames.slice(0, MAX_STACK_LINES).map((line) => `  ${c.dim(line)}`));
    if (frames.length > MAX_STACK_LINES) lines.push(c.dim(`    … ${frames.length - MAX_STACK_LINES} more`));
  }
  lines.push(
    '',
    c.dim('  Each step runs one task from the await it resumes at to its next await, or to its end.'),
    '',
    ...formatTimeline(v.trace, width - 2, style, { marks }).map((line) => (line === '' ? '' : `  ${line}`)),
  );
  if (accesses.length > 0) {
    const pattern = PATTERNS[explanation!.pattern] ?? '';
    lines.push('', c.bold(pattern ? `  the accesses that conflict (${pattern}):` : '  the accesses involved:'));
    const names = shortNames(accesses);
    const rows = accesses.map((access, i) => [`[${i + 1}]`, `step ${access.step}`, access.task, access.op, `${access.target} (${access.value})`, access.site ? `${names.get(access.site.file) ?? access.site.file}:${access.site.line}` : '']);
    const widths = rows[0]!.map((_, column) => Math.min(column === 4 ? 48 : 28, rows.reduce((most, row) => Math.max(most, row[column]!.length), 0)));
    accesses.forEach((access, i) => {
      const cells = rows[i]!.map((cell, column) => pad(cut(cell, widths[column]!), widths[column]!));
      const head = `    ${cells.join('  ')}`;
      const code = access.site?.text?.trim() ?? '';
      const room = width - head.length - 2;
      lines.push(`${c.yellow(head)}${code && room >= 12 ? `  ${c.dim(cut(code, room))}` : ''}`.trimEnd());
    });
  }
  if (v.blocked && v.blocked.length > 0) {
    const names = shortNames(v.blocked.flatMap((b) => b.sites.map((site) => ({ site }))));
    let taskWidth = 0;
    for (const blocked of v.blocked.slice(0, MAX_BLOCKED)) taskWidth = Math.max(taskWidth, blocked.task.length);
    lines.push('', c.bold('  blocked forever:'));
    for (const blocked of v.blocked.slice(0, MAX_BLOCKED)) {
      const site = blocked.sites[0];
      const where = site ? `${formatLocation(site, names)}  ${c.dim(site.line > 0 ? site.text.trim() : '')}` : c.dim('outside instrumented code');
      lines.push(`    ${blocked.task.padEnd(taskWidth)}  waits at ${where}`.trimEnd());
    }
    if (v.blocked.length > MAX_BLOCKED) lines.push(c.dim(`    … and ${count(v.blocked.length - MAX_BLOCKED)} more tasks`));
  }
  lines.push('', c.bold('  reproduce:'), `    ${c.cyan(v.command)}`);
  if (firstEarlierRunStep(v.trace) !== undefined) {
    lines.push(c.dim('    (this run fired timers an earlier run left pending: replayed alone, the scenario does not have them)'));
  }
  return lines;
}

/** A scenario or file that could not run: where (a code frame), and the stack. */
function errorDetails(scenario: ScenarioReport, c: ChalkInstance, width: number): string[] {
  const error = scenario.error!;
  const lines = ['', c.yellow.bold(`─── ${scenario.id} ${'─'.repeat(Math.max(3, Math.min(width, 100) - scenario.id.length - 5))}`), c.yellow(error.message)];
  if (error.frame) lines.push('', ...error.frame.split('\n').map((line) => `  ${line}`));
  if (error.stack) lines.push('', ...error.stack.split('\n').map((line) => c.dim(`  ${line}`)));
  return lines;
}

/** Words wrapped to lines of at most `width` characters (a word longer than that gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function summaryLine(report: Report, c: ChalkInstance): string {
  const { passed, failed, errors, scenarios, durationMs } = report.summary;
  const parts = [
    failed > 0 ? c.red.bold(`${failed} failed`) : '',
    errors > 0 ? c.yellow.bold(plural(errors, 'error')) : '',
    passed > 0 ? c.green(`${passed} passed`) : '',
    adviceCount(report) > 0 ? c.yellow(`${adviceCount(report)} lock advice`) : '',
  ].filter(Boolean);
  const summary = `${parts.length > 0 ? `${parts.join(', ')} ` : ''}${c.dim(`(${plural(scenarios, 'scenario')}) in ${(durationMs / 1000).toFixed(2)} s · seed ${report.seed}`)}`;
  return report.interrupted ? `${summary} · ${c.yellow.bold('interrupted')}` : summary;
}

/** Advice is counted, never a failure: it changes no exit code. */
function adviceCount(report: Report): number {
  return report.scenarios.reduce((sum, scenario) => sum + (scenario.advice?.length ?? 0), 0);
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

function formatRate(perSecond: number): string {
  return count(Math.round(perSecond));
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
