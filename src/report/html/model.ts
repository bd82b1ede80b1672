import path from 'node:path';
import type { HtmlAccess, HtmlOrigin, HtmlSite, HtmlTraceStep, HtmlViolation } from './input.js';

/**
 * The timeline of one violation as the page's script draws it: lanes, a table of distinct sites, and the
 * steps as parallel arrays of small numbers, so that a trace of 200,000 steps stays a few megabytes of
 * data and is drawn a screenful at a time. Folds and labels are decided here, where they can be tested.
 */
export interface TimelineModel {
  readonly lanes: readonly LaneModel[];
  /** Distinct sites: `[shown file, line, column, text, full file]`; line 0 is a location inside racecheck. */
  readonly sites: readonly SiteModel[];
  /** Distinct timer descriptions ("setTimeout 50 ms"). */
  readonly timers: readonly string[];
  /** The step number of the first entry when the numbers run on by one; otherwise `steps` holds each. */
  readonly firstStep: number;
  readonly steps?: readonly number[];
  /** Per step: its lane, kind (see `STEP_KINDS`), site and timer (indices, -1 for none). */
  readonly lane: readonly number[];
  readonly kind: readonly number[];
  readonly site: readonly number[];
  readonly timer: readonly number[];
  /** Kinds of step other than start/await/timer, by name, for index 3 onward. */
  readonly otherKinds: readonly string[];
  readonly accesses: readonly AccessModel[];
  readonly folds: readonly FoldModel[];
  /** For a deadlock: lanes that never finish and where each waits (a site index, -1 outside instrumented code). */
  readonly blocked: readonly { readonly lane: number; readonly site: number }[];
  /** Whether every lane ran to its end (a `check` runs once all tasks have settled), so a lane's last step finished it. */
  readonly completed: boolean;
}

export type SiteModel = readonly [shown: string, line: number, column: number, text: string, file: string];

export interface LaneModel {
  readonly name: string;
  /** Whom an activity's lane came from; null for a scenario task. */
  readonly origin: string | null;
  readonly originStep: number | null;
  /** Whether one of the explanation's accesses was made in this lane. */
  readonly involved: boolean;
}

export interface AccessModel {
  /** Index of the access's step in the trace, -1 when the trace has no such step. */
  readonly i: number;
  readonly step: number;
  readonly task: string;
  readonly op: 'read' | 'write' | 'other';
  /** The op as reported when it is neither read nor write. */
  readonly opName: string;
  readonly target: string;
  readonly value: string | null;
  readonly site: number;
}

export interface FoldModel {
  /** First and last trace index folded into one row. */
  readonly from: number;
  readonly to: number;
  readonly type: 'solo' | 'repeat' | 'alone';
  readonly label: string;
  /** Lanes that ran inside the fold. */
  readonly lanes: readonly number[];
}

export const STEP_KINDS = ['start', 'await', 'timer'] as const;

/** A run of consecutive steps of one lane at least this long folds, keeping its first step in view. */
export const ALONE_FOLD = 8;
/** Identical consecutive steps of one lane fold from this many. */
export const REPEAT_FOLD = 3;

export function buildTimelineModel(violation: HtmlViolation): TimelineModel {
  const trace = violation.trace;
  const accessesIn = violation.explanation?.accesses ?? [];
  const sites = new SiteTable([
    ...trace.flatMap((s) => (s.site ? [s.site] : [])),
    ...accessesIn.flatMap((a) => (a.site ? [a.site] : [])),
    ...(violation.blocked ?? []).flatMap((b) => b.sites),
  ]);

  const laneIndex = new Map<string, number>();
  const laneOrigins: { name: string; origin: HtmlOrigin | undefined }[] = [];
  const laneOf = (name: string): number => {
    let index = laneIndex.get(name);
    if (index === undefined) {
      index = laneOrigins.length;
      laneIndex.set(name, index);
      laneOrigins.push({ name, origin: undefined });
    }
    return index;
  };

  const timers: string[] = [];
  const timerIndex = new Map<string, number>();
  const otherKinds: string[] = [];
  const n = trace.length;
  const lane = new Array<number>(n);
  const kind = new Array<number>(n);
  const site = new Array<number>(n);
  const timer = new Array<number>(n);
  const stepIndex = new Map<number, number>();
  let consecutive = true;
  for (let i = 0; i < n; i++) {
    const entry = trace[i]!;
    const l = laneOf(String(entry.task));
    lane[i] = l;
    if (entry.origin !== undefined && laneOrigins[l]!.origin === undefined) laneOrigins[l]!.origin = entry.origin;
    kind[i] = kindCode(String(entry.kind), otherKinds);
    site[i] = entry.site ? sites.index(entry.site) : -1;
    if (entry.timer) {
      const label = formatTimer(entry.timer);
      let t = timerIndex.get(label);
      if (t === undefined) {
        t = timers.length;
        timerIndex.set(label, t);
        timers.push(label);
      }
      timer[i] = t;
    } else {
      timer[i] = -1;
    }
    if (!stepIndex.has(entry.step)) stepIndex.set(entry.step, i);
    if (entry.step !== trace[0]!.step + i) consecutive = false;
  }

  const accesses = accessesIn.map((access): AccessModel => toAccess(access, stepIndex, sites));
  const involved = new Set(accesses.map((a) => a.task));
  for (const a of accesses) if (a.i >= 0) involved.add(String(trace[a.i]!.task));

  const blocked = (violation.blocked ?? []).map((b) => ({ lane: laneOf(String(b.task)), site: b.sites[0] ? sites.index(b.sites[0]) : -1 }));
  const lanes = laneOrigins.map(({ name, origin }): LaneModel => ({
    name,
    origin: origin === undefined ? null : typeof origin === 'string' ? origin : String(origin.task),
    originStep: origin !== undefined && typeof origin === 'object' && typeof origin.step === 'number' ? origin.step : null,
    involved: involved.has(name),
  }));

  // Steps that carry an access, or after which the violation was detected, are never folded away. A check
  // or a deadlock is detected once nothing can run: its step is only the last one.
  const keep = new Set(accesses.flatMap((a) => (a.i >= 0 ? [a.i] : [])));
  const detected = violation.step === undefined || violation.kind === 'check' || violation.kind === 'deadlock' ? undefined : stepIndex.get(violation.step);
  if (detected !== undefined) keep.add(detected);

  const model: TimelineModel = {
    lanes,
    sites: sites.rows(),
    timers,
    firstStep: n > 0 ? trace[0]!.step : 1,
    ...(consecutive ? {} : { steps: trace.map((s) => s.step) }),
    lane,
    kind,
    site,
    timer,
    otherKinds,
    accesses,
    folds: [],
    blocked,
    completed: violation.kind === 'check',
  };
  return { ...model, folds: findFolds(model, keep) };
}

function kindCode(kind: string, others: string[]): number {
  const known = (STEP_KINDS as readonly string[]).indexOf(kind);
  if (known >= 0) return known;
  let other = others.indexOf(kind);
  if (other < 0) other = others.push(kind) - 1;
  return STEP_KINDS.length + other;
}

function toAccess(access: HtmlAccess, stepIndex: Map<number, number>, sites: SiteTable): AccessModel {
  const op = access.op === 'read' || access.op === 'write' ? access.op : 'other';
  return {
    i: stepIndex.get(access.step) ?? -1,
    step: access.step,
    task: String(access.task),
    op,
    opName: String(access.op),
    target: String(access.target),
    value: access.value === undefined || access.value === null ? null : String(access.value),
    site: access.site ? sites.index(access.site) : -1,
  };
}

export function formatTimer(timer: { readonly kind: string; readonly delay: number }): string {
  if (timer.kind === 'immediate') return 'setImmediate';
  const name = timer.kind === 'timeout' ? 'setTimeout' : timer.kind === 'interval' ? 'setInterval' : String(timer.kind);
  const delay = Number.isInteger(timer.delay) ? String(timer.delay) : timer.delay.toFixed(1);
  return `${name} ${delay} ms`;
}

/**
 * Distinct sites with the names they are shown by: a file's base name when no other file in the table has
 * the same one. A site without its line's text borrows it from another site on the same line.
 */
class SiteTable {
  private readonly byKey = new Map<string, number>();
  private readonly list: HtmlSite[] = [];
  private readonly lineText = new Map<string, string>();
  private readonly shown: Map<string, string>;

  constructor(all: readonly HtmlSite[]) {
    for (const site of all) if (typeof site.text === 'string' && site.line > 0) this.lineText.set(`${site.file}:${site.line}`, site.text);
    const files = [...new Set(all.filter((s) => s.line > 0).map((s) => String(s.file)))];
    const bases = files.map((file) => path.posix.basename(file.replace(/\\/g, '/')));
    this.shown = new Map(files.map((file, i) => [file, bases.filter((b) => b === bases[i]).length === 1 ? bases[i]! : file]));
  }

  index(site: HtmlSite): number {
    const key = `${site.file}\u0000${site.line}\u0000${site.column}\u0000${site.text ?? ''}`;
    let index = this.byKey.get(key);
    if (index === undefined) {
      index = this.list.push(site) - 1;
      this.byKey.set(key, index);
    }
    return index;
  }

  rows(): SiteModel[] {
    return this.list.map((site) => {
      const file = String(site.file);
      const text = typeof site.text === 'string' ? site.text : (this.lineText.get(`${file}:${site.line}`) ?? '');
      return [this.shown.get(file) ?? file, Number(site.line), Number(site.column), text, file];
    });
  }
}

/**
 * Where the timeline folds, in trace order and never overlapping:
 * - tasks that ran from their first step to their last with nothing in between (and not inside another
 *   lane's span) fold together, as in the text timeline: a shrunk ten-task race reads as the two that raced;
 * - a lane that ran many steps in a row folds after its first step;
 * - identical consecutive steps of one lane (a chain of setImmediate calls) fold into one "×n" row.
 * Steps in `keep` are never folded.
 */
export function findFolds(model: Pick<TimelineModel, 'lane' | 'kind' | 'site' | 'timer' | 'lanes' | 'sites' | 'timers' | 'otherKinds'>, keep: ReadonlySet<number>): FoldModel[] {
  const n = model.lane.length;
  const names = model.lanes.map((l) => l.name);
  const solo = soloLanes(model.lane, model.lanes.length, keep);
  const folds: FoldModel[] = [];
  const lanesIn = (from: number, to: number) => [...new Set(model.lane.slice(from, to + 1))];

  let i = 0;
  while (i < n) {
    if (solo.has(model.lane[i]!)) {
      let j = i;
      while (j + 1 < n && solo.has(model.lane[j + 1]!)) j++;
      const lanes = lanesIn(i, j);
      if (j > i) folds.push({ from: i, to: j, type: 'solo', label: soloLabel(lanes.map((l) => names[l]!)), lanes });
      i = j + 1;
      continue;
    }
    // A run of one lane, cut at steps that must stay in view.
    let j = i;
    while (j + 1 < n && model.lane[j + 1] === model.lane[i] && !keep.has(j + 1) && !keep.has(i) && !solo.has(model.lane[j + 1]!)) j++;
    const length = j - i + 1;
    const name = names[model.lane[i]!]!;
    const same = (a: number, b: number) => model.kind[a] === model.kind[b] && model.site[a] === model.site[b] && model.timer[a] === model.timer[b];
    if (length >= ALONE_FOLD) {
      let identical = true;
      for (let k = i + 2; k <= j && identical; k++) identical = same(i + 1, k);
      const label = identical ? `${name}: ${describeStep(model, i + 1)} ×${length - 1}` : `${name} went on alone for ${length - 1} more steps`;
      folds.push({ from: i + 1, to: j, type: identical ? 'repeat' : 'alone', label, lanes: [model.lane[i]!] });
    } else {
      for (let a = i; a <= j; ) {
        let b = a;
        while (b + 1 <= j && same(a, b + 1)) b++;
        if (b - a + 1 >= REPEAT_FOLD) folds.push({ from: a, to: b, type: 'repeat', label: `${name}: ${describeStep(model, a)} ×${b - a + 1}`, lanes: [model.lane[i]!] });
        a = b + 1;
      }
    }
    i = j + 1;
  }
  return folds;
}

/**
 * Lanes that ran in one contiguous piece and not inside another lane's span. Nothing is folded when that
 * would leave no lane or only one lane fewer, or when the lane holds a step that must stay in view.
 */
function soloLanes(lane: readonly number[], laneCount: number, keep: ReadonlySet<number>): Set<number> {
  const segments = new Array<number>(laneCount).fill(0);
  const first = new Array<number>(laneCount).fill(-1);
  const last = new Array<number>(laneCount).fill(-1);
  const kept = new Set<number>();
  lane.forEach((l, i) => {
    if (i === 0 || lane[i - 1] !== l) segments[l]!++;
    if (first[l] === -1) first[l] = i;
    last[l] = i;
    if (keep.has(i)) kept.add(l);
  });
  // Spans sorted by start: a lane is inside another's span when an earlier-starting lane ends after it starts.
  const order = [...Array(laneCount).keys()].filter((l) => first[l]! >= 0).sort((a, b) => first[a]! - first[b]!);
  const inside = new Set<number>();
  let reach = -1;
  for (const l of order) {
    if (reach > first[l]!) inside.add(l);
    reach = Math.max(reach, last[l]!);
  }
  const present = order.length;
  const solo = new Set(order.filter((l) => segments[l] === 1 && !inside.has(l) && !kept.has(l)));
  return solo.size < 2 || solo.size === present ? new Set() : solo;
}

function soloLabel(names: readonly string[]): string {
  if (names.length === 1) return `${names[0]} ran alone, without interleaving`;
  if (names.length <= 3) return `${names.join(', ')} each ran alone, without interleaving`;
  return `${names[0]}, ${names[1]}, …, ${names[names.length - 1]} (${names.length} lanes) each ran alone, without interleaving`;
}

/** What a step did, in a few words: "started", "resumed at counter.ts:13:5", "setTimeout 50 ms fired". */
export function describeStep(model: Pick<TimelineModel, 'kind' | 'site' | 'timer' | 'sites' | 'timers' | 'otherKinds'>, i: number): string {
  const kind = model.kind[i]!;
  const site = model.sites[model.site[i]!];
  const where = site ? (site[1] > 0 ? ` at ${site[0]}:${site[1]}:${site[2]}` : ` in ${site[3]}`) : '';
  if (kind === 0) return `started${where}`;
  if (kind === 1) return site ? `resumed${where}` : 'resumed';
  if (kind === 2) return `${model.timers[model.timer[i]!] ?? 'a timer'} fired${where}`;
  return `${model.otherKinds[kind - STEP_KINDS.length] ?? 'step'}${where}`;
}

/** The trace step number at trace index `i`. */
export function stepNumber(model: Pick<TimelineModel, 'firstStep' | 'steps'>, i: number): number {
  return model.steps ? model.steps[i]! : model.firstStep + i;
}

export type { HtmlTraceStep };
