/**
 * Explains a reported violation: replays its schedule once more, in a recording mode that assigns every
 * step to the lane that really ran it and records the reads and writes of shared state, then names the
 * conflict among them. The search never pays for any of it: this runs once per reported violation, and
 * the replay takes the same choices as the run it explains (lanes never change what a strategy sees).
 */
import type { NormalizedScenario } from '../scenario/types.js';
import type { SiteRef } from '../site.js';
import type { Explanation, ExplainedAccess, TraceStep } from '../scheduler/result.js';
import { EARLIER_RUN, toTraceStep } from '../scheduler/result.js';
import { Run, type RunSettings } from '../scheduler/run.js';
import type { RunRecord, RunViolation } from '../scheduler/run-record.js';
import type { Limits } from '../scheduler/settings.js';
import { startReplay } from '../scheduler/strategies/replay.js';
import { accessesOf, chooseConflict, findConflicts, type Conflict } from './patterns.js';
import { Recorder, type Lane, type RecordedAccess } from './recorder.js';
import { lockHistories } from './locks.js';
import { shortFileNames, summarize, where } from './summary.js';

export interface ExplainInput {
  readonly scenario: NormalizedScenario;
  readonly seed: number;
  readonly limits: Limits;
  readonly record: RunRecord;
  readonly violation: RunViolation;
  /** Called before the replay starts, with the longer timeout it runs under (watchdogs time runs from their start). */
  readonly onRunStart?: ((timeoutMs: number) => void) | undefined;
  readonly onStep?: RunSettings['onStep'];
}

export interface Explained {
  /** The schedule's trace with every step in the lane that ran it, and origins on activities. */
  readonly trace: readonly TraceStep[];
  readonly explanation: Explanation | null;
  /** The violation as the replay saw it: a deadlock's blocked tasks wait at the user's call sites there. */
  readonly violation: RunViolation;
}

/** How much longer than the run's timeout its recording replay may take. */
const REPLAY_TIME_FACTOR = 4;

/**
 * Replays and explains; null when the violation cannot be replayed (a timeout would hang again) or the
 * replay did not end the same way (real I/O made it take another path), so nothing it saw can be trusted.
 */

export async function explainViolation(input: ExplainInput): Promise<Explained | null> {
  const { scenario, seed, limits, record, violation } = input;
  // A timeout's schedule runs into the same hang: the search already waited for it twice.
  if (violation.kind === 'timeout') return null;
  const recorder = new Recorder(
    scenario.tasks.map((task) => task.name),
    stateName(scenario),
  );
  const strategy = startReplay(record, seed, scenario.tasks.length);
  // Recording every read and write makes the replay slower than the run it explains: a replay that runs
  // into the run's own deadline would lose its explanation for a reason the user's code has no part in.
  const timeoutMs = limits.timeoutMs * REPLAY_TIME_FACTOR;
  input.onRunStart?.(timeoutMs);
  recorder.start();
  let outcome;
  try {
    outcome = await new Run({ scenario, seed, strategy, ...limits, timeoutMs, observer: recorder, onStep: input.onStep }).execute();
  } catch {
    return null;
  } finally {
    recorder.stop();
  }
  if (recorder.failed || strategy.diverged?.() !== undefined || outcome.status === 'error') return null;
  // A blocking step does not stop its run: the replay must block at the same step, and end where the run did.
  const again = violation.kind === 'blocked-loop' ? outcome.blockedLoop : outcome.violation;
  if (again?.kind !== violation.kind || again.step !== violation.step || outcome.record.steps !== record.steps) return null;

  const names = laneNames(recorder, outcome.record.trace.length);
  const trace = outcome.record.trace.map((entry, i): TraceStep => {
    const lane = recorder.stepLanes[i];
    const step = toTraceStep(entry);
    if (!lane) return step;
    const named = { ...step, task: names.get(lane) ?? step.task };
    return lane.kind === 'activity' ? { ...named, origin: originName(lane, names) } : named;
  });
  return { trace, explanation: describe(recorder, trace, violation, names), violation: again };
}

/** What the state is called in the tasks' code: their first parameter's name, if they agree; else `state`. */
export function stateName(scenario: NormalizedScenario): string {
  const counts = new Map<string, number>();
  for (const task of scenario.tasks) {
    const name = firstParameter(task.fn);
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  let best = 'state';
  let most = 0;
  for (const [name, count] of counts) {
    if (count > most) {
      best = name;
      most = count;
    }
  }
  return best;
}

function firstParameter(fn: Function): string | undefined {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return undefined;
  }
  const match = /^\s*(?:async\s*)?(?:function\b[^(]*)?\(?\s*([A-Za-z_$][\w$]*)/.exec(source);
  const name = match?.[1];
  return name === undefined || name === 'function' || name === 'async' ? undefined : name;
}

/**
 * Unique names for the lanes a report shows: tasks keep theirs; activities are named after what started
 * them, numbered in order of appearance when several share a name (`GET /add #2`).
 */
function laneNames(recorder: Recorder, steps: number): Map<Lane, string> {
  const shown: Lane[] = [];
  const seen = new Set<Lane>();
  const show = (lane: Lane | null | undefined): void => {
    for (let current = lane; current && !seen.has(current); current = current.origin) {
      seen.add(current);
      shown.push(current);
    }
  };
  for (let i = 0; i < steps; i++) show(recorder.stepLanes[i]);
  for (const access of recorder.accesses) show(access.lane);
  const names = new Map<Lane, string>();
  const taken = new Set(recorder.tasks.map((lane) => lane.label));
  for (const lane of recorder.tasks) names.set(lane, lane.label);
  const byLabel = new Map<string, Lane[]>();
  for (const lane of shown) {
    if (lane.kind !== 'activity') continue;
    const list = byLabel.get(lane.label);
    if (list) list.push(lane);
    else byLabel.set(lane.label, [lane]);
  }
  for (const [label, lanes] of byLabel) {
    lanes.forEach((lane, i) => {
      let name = lanes.length === 1 ? label : `${label} #${i + 1}`;
      // An activity never takes a task's name.
      while (taken.has(name)) name = `${name}'`;
      taken.add(name);
      names.set(lane, name);
    });
  }
  return names;
}

function originName(lane: Lane, names: ReadonlyMap<Lane, string>): string {
  if (lane.carried) return EARLIER_RUN;
  return lane.origin ? (names.get(lane.origin) ?? lane.origin.label) : 'setup';
}

/** The explanation of what the recording saw, for this kind of violation. */
function describe(recorder: Recorder, trace: readonly TraceStep[], violation: RunViolation, names: ReadonlyMap<Lane, string>): Explanation | null {
  const laneName = (access: RecordedAccess) => names.get(access.lane) ?? access.lane.label;
  const relevant = (key: string) => recorder.checkKeys.has(key) || hasPrefix(recorder.checkKeys, key);
  const conflict = RACE_KINDS.has(violation.kind) ? chooseConflict(findConflicts(recorder.accesses), relevant) : undefined;
  const files = shortFileNames(recorder.accesses.flatMap((access) => (access.site ? [access.site.file] : [])).concat(trace.flatMap((step) => (step.site ? [step.site.file] : []))));
  const cut = recorder.truncated ? ` (the recording stopped after ${recorder.accesses.length.toLocaleString('en-US')} accesses; later ones are not shown)` : '';
  const explained = (summary: string, pattern: Explanation['pattern'], accesses: readonly RecordedAccess[]): Explanation => ({
    summary: summary + cut,
    pattern,
    accesses: [...accesses].sort((a, b) => a.seq - b.seq).map((access) => toExplained(access, laneName)),
  });
  if (conflict) return explained(summarize(conflict, { trace, laneName, files }), conflict.pattern, accessesOf(conflict));
  const story = lockStory(recorder, violation, laneName, files);
  if (story) return explained(story.summary, 'other', story.accesses);
  const summary = kindSummary(violation, trace, recorder, laneName, files);
  const unseen = notVisible(recorder);
  if (recorder.accesses.length === 0 && unseen === '' && summary === undefined) return null;
  const seen = recorder.accesses.length === 0 ? 'racecheck saw no reads or writes of shared state' : 'no two lanes read and wrote the same shared state across an await';
  const parts = summary ? [summary] : [capitalize(seen), unseen];
  return explained(parts.filter((part) => part !== '').join('; '), 'other', []);
}

/** What the lock accesses tell: a release by a task that did not hold the lock, or a lock kept by a finished task. */
function lockStory(recorder: Recorder, violation: RunViolation, laneName: (access: RecordedAccess) => string, files: ReadonlyMap<string, string>): { summary: string; accesses: RecordedAccess[] } | undefined {
  const histories = lockHistories(recorder.accesses);
  const at = (access: RecordedAccess | undefined) => (access ? where(access.site, files) : '');
  for (const history of histories) {
    const wrong = history.wrongRelease;
    if (!wrong || violation.kind === 'deadlock') continue;
    const { release, holder, gaveUp, next } = wrong;
    const who = laneName(release);
    const accesses = [holder, gaveUp, release, next].filter((access): access is RecordedAccess => access !== undefined);
    const held = holder ? ` while ${laneName(holder)} held it (acquired${at(holder)})` : '';
    const failed = gaveUp ? `, after its own wait for it gave up${at(gaveUp)}` : '';
    const then = next && holder && next.lane !== holder.lane ? `; ${laneName(next)} then acquired it${at(next)}, with ${laneName(holder)} still inside` : '';
    return { summary: `${who} released ${history.target}${at(release)}${held}${failed}${then}: a release by a task that did not hold the lock`, accesses };
  }
  if (violation.kind !== 'deadlock' || !violation.blocked) return undefined;
  const blocked = new Set(violation.blocked.map((task) => task.task));
  // Two tasks that each hold the lock the other waits for: locks taken in opposite orders.
  for (const first of histories) {
    for (const waiter of first.waiting) {
      const holder = first.holders.find((access) => access.lane !== waiter.lane && blocked.has(laneName(access)));
      if (!holder || !blocked.has(laneName(waiter))) continue;
      const second = histories.find((history) => history !== first && history.waiting.some((access) => access.lane === holder.lane) && history.holders.some((access) => access.lane === waiter.lane));
      if (!second) continue;
      const held = second.holders.find((access) => access.lane === waiter.lane)!;
      const wants = second.waiting.find((access) => access.lane === holder.lane)!;
      const summary =
        `${laneName(waiter)} holds ${second.target} (acquired${at(held)}) and waits for ${first.target}${at(waiter)}, ` +
        `which ${laneName(holder)} holds (acquired${at(holder)}) while it waits for ${second.target}${at(wants)}: two locks taken in opposite orders`;
      return { summary, accesses: [held, holder, waiter, wants] };
    }
  }
  for (const history of histories) {
    const waiters = history.waiting.filter((access) => blocked.has(laneName(access)));
    const keeper = history.holders.find((access) => !blocked.has(laneName(access)));
    if (waiters.length === 0 || !keeper) continue;
    const names = waiters.map(laneName);
    const list = names.length <= 3 ? joinNames(names) : `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`;
    const wait = names.length === 1 ? 'waits' : 'wait';
    const summary = `${laneName(keeper)} acquired ${history.target}${at(keeper)} and finished without releasing it, so ${list} ${wait} for it${at(waiters[0])} forever: a lock never released`;
    return { summary, accesses: [keeper, ...waiters.slice(0, 3)] };
  }
  return undefined;
}

function joinNames(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The kinds a data race can cause; the others (a deadlock, a blocking step) say what happened instead. */
const RACE_KINDS = new Set(['check', 'invariant', 'exception', 'unhandled-rejection', 'max-steps']);

function kindSummary(violation: RunViolation, trace: readonly TraceStep[], recorder: Recorder, laneName: (access: RecordedAccess) => string, files: ReadonlyMap<string, string>): string | undefined {
  if (violation.kind === 'blocked-loop') {
    const step = trace[violation.step - 1];
    if (!step) return undefined;
    const from = step.site ? ` after resuming${where(step.site, files)}` : step.kind === 'start' ? ' from its start' : '';
    const held = heldBy(recorder, laneName, step.task, violation.step);
    return `${step.task} ran step ${step.step}${from} without giving the event loop back${held}: no other task, timer or I/O callback could run meanwhile`;
  }
  if (violation.kind === 'deadlock' && violation.blocked && violation.blocked.length > 0) {
    const waits = violation.blocked.map(({ task, sites }) => `${task}${where(sites[0] ? toRef(sites[0]) : null, files)}`);
    const shown = waits.length <= 4 ? joinNames(waits) : `${waits.slice(0, 3).join(', ')} and ${waits.length - 3} more`;
    return `${shown} ${violation.blocked.length === 1 ? 'waits' : 'wait'} for something no task or timer left can do`;
  }
  return undefined;
}

/** `, holding s.lock`: the locks `lane` held when its step `step` began. */
function heldBy(recorder: Recorder, laneName: (access: RecordedAccess) => string, lane: string, step: number): string {
  const before = recorder.accesses.filter((access) => access.step < step);
  const held = lockHistories(before).filter((history) => history.holders.some((access) => laneName(access) === lane));
  return held.length === 0 ? '' : `, holding ${joinNames(held.map((history) => history.target))}`;
}

function toRef(site: { readonly file: string; readonly line: number; readonly column: number; readonly text: string }): SiteRef {
  return { file: site.file, line: site.line, column: site.column, text: site.text };
}

function notVisible(recorder: Recorder): string {
  const opaque = [...recorder.tracker.opaque].filter(([, kind]) => kind !== 'Object');
  if (opaque.length === 0) return '';
  const shown = opaque.slice(0, 4).map(([display, kind]) => `${display} (${kind})`);
  const more = opaque.length > 4 ? ` and ${opaque.length - 4} more` : '';
  return `it could not see inside ${shown.join(', ')}${more}`;
}

function hasPrefix(keys: ReadonlySet<string>, key: string): boolean {
  // A check that iterated a collection (`key.*`) read every entry of it.
  for (let end = key.lastIndexOf('.'); end > 0; end = key.lastIndexOf('.', end - 1)) {
    if (keys.has(`${key.slice(0, end)}.*`)) return true;
  }
  return false;
}

function toExplained(access: RecordedAccess, laneName: (access: RecordedAccess) => string): ExplainedAccess {
  return { step: access.step, task: laneName(access), op: access.op, target: access.target, value: access.value, site: access.site };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export type { Conflict };
