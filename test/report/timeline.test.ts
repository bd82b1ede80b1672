import { describe, expect, it } from 'vitest';
import type { TraceStep } from 'racecheck';
import { formatTimeline } from '../../src/report/timeline.js';

const site = (line: number, text = '  await Promise.resolve();') => ({ file: 'scenarios/counter.ts', line, column: 3, text });
const start = (step: number, task: string): TraceStep => ({ step, task, kind: 'start', site: null });
const resume = (step: number, task: string, line = 13): TraceStep => ({ step, task, kind: 'await', site: site(line) });

describe('formatTimeline', () => {
  it('puts each step in its task column, with the location and the line it resumed at', () => {
    const lines = formatTimeline([start(1, 't0'), start(2, 't1'), resume(3, 't1'), resume(4, 't0')], 100);
    expect(lines[0]).toMatch(/^step │ t0 +│ t1$/);
    expect(lines[2]).toMatch(/^ {3}1 │ start +│$/);
    expect(lines[3]).toMatch(/^ {3}2 │ {40,}│ start$/);
    expect(lines[4]).toMatch(/│ resume counter\.ts:13:3$/);
    expect(lines[5]).toMatch(/│ {3}await Promise\.resolve\(\);$/);
  });

  it('folds tasks that ran in one piece outside the interleaving, and keeps the one inside it', () => {
    const trace = [start(1, 't0'), resume(2, 't0'), start(3, 't1'), start(4, 't2'), resume(5, 't2'), resume(6, 't1'), start(7, 't3'), resume(8, 't3')];
    const text = formatTimeline(trace, 120).join('\n');
    expect(text).toMatch(/^ +1–2 │ t0 ran alone, without interleaving$/m);
    expect(text).toMatch(/^ +7–8 │ t3 ran alone, without interleaving$/m);
    expect(text).toMatch(/step │ t1 +│ t2/);
  });

  it('switches to lanes when the tasks do not fit side by side', () => {
    const trace = Array.from({ length: 8 }, (_, i) => [start(2 * i + 1, `t${i}`), resume(2 * i + 2, `t${(i + 1) % 8}`)]).flat();
    const lines = formatTimeline(trace, 80);
    expect(lines[0]).toMatch(/^step {2}t0 t1 t2/);
    expect(lines[1]).toMatch(/^ {3}1 {2}● {2}· {2}· /);
  });

  it('folds a run of identical timer steps', () => {
    const timer = (step: number): TraceStep => ({ step, task: 't0', kind: 'timer', site: null, timer: { kind: 'immediate', delay: 0 } });
    const text = formatTimeline([start(1, 't0'), timer(2), timer(3), timer(4), start(5, 't1')], 100).join('\n');
    expect(text).toMatch(/2–4 │ setImmediate fires ×3/);
  });
});

describe('formatTimeline on long traces', () => {
  const text = (lines: readonly string[]) => lines.join('\n');
  const size = (lines: readonly string[]) => lines.reduce((total, line) => total + line.length + 1, 0);

  it('folds a long run of one task resuming at one line', () => {
    const trace = [start(1, 't0'), start(2, 't1'), ...Array.from({ length: 500 }, (_, i) => resume(i + 3, 't0', 20)), resume(503, 't1')];
    const lines = formatTimeline(trace, 100);
    expect(text(lines)).toMatch(/^ *3–502 │ resume counter\.ts:20:3 ×500 +│$/m);
    expect(lines.length).toBeLessThan(12);
  });

  it('folds a cycle of steps that repeats, as in a livelock', () => {
    const trace = [start(1, 't0'), start(2, 't1'), ...Array.from({ length: 1000 }, (_, i) => resume(i + 3, i % 2 ? 't1' : 't0', i % 2 ? 14 : 13))];
    const lines = formatTimeline(trace, 100);
    expect(text(lines)).toMatch(/5–1002 │ the 2 steps above, 499 times more/);
    expect(lines.length).toBeLessThan(12);
  });

  it('formats 200,000 steps without recursion or argument spreads, in bounded size', () => {
    const trace: TraceStep[] = [start(1, 't0'), start(2, 't1')];
    // Three tasks in an order that never repeats exactly: nothing folds but the cut.
    for (let i = 3; trace.length < 200_000; i++) trace.push(resume(i, `t${(i * 7) % 3}`, 10 + (i % 5)));
    const lines = formatTimeline(trace, 100);
    expect(lines.length).toBeLessThan(400);
    expect(size(lines)).toBeLessThan(40_000);
    expect(text(lines)).toMatch(/⋮ [\d,]+ steps not shown/);
    expect(text(lines.slice(-2))).toMatch(/ 200000 │/);
  });

  it('draws at most a few lanes, keeps the marked ones, and stays small for 10,000 tasks', () => {
    const tasks = 10_000;
    const trace: TraceStep[] = [];
    // Every task starts, then every task resumes, in an interleaved order.
    for (let i = 0; i < tasks; i++) trace.push(start(trace.length + 1, `t${(i * 7919) % tasks}`));
    for (let i = 0; i < tasks; i++) trace.push(resume(trace.length + 1, `t${(i * 104_729) % tasks}`));
    const marked = trace[12_345]!;
    const lines = formatTimeline(trace, 100, undefined, { marks: [{ step: marked.step, task: marked.task, label: '[1]', text: 'read s.value (7)' }] });
    expect(lines[0]!.split(/\s+/).filter((word) => /^t\d+$/.test(word))).toHaveLength(8);
    expect(lines[0]).toContain(marked.task);
    expect(text(lines)).toContain('[1] ');
    expect(text(lines)).toContain('read s.value (7)');
    expect(text(lines)).toMatch(/[\d,]+ steps of t\d+, t\d+, …, t\d+ \([\d,]+ lanes\)/);
    expect(size(lines)).toBeLessThan(20_000);
  });

  it('marks accesses in the rows of their steps and never folds their lanes away', () => {
    const trace = [start(1, 't0'), resume(2, 't0'), start(3, 't1'), start(4, 't2'), resume(5, 't2'), resume(6, 't1'), start(7, 't3'), resume(8, 't3'), start(9, 't4'), resume(10, 't4')];
    expect(text(formatTimeline(trace, 120))).toMatch(/1–2 │ t0 ran alone/);
    const lines = formatTimeline(trace, 120, undefined, {
      marks: [
        { step: 2, task: 't0', label: '[1]', text: 'read s.value (0)' },
        { step: 6, task: 't1', label: '[2]', text: 'write s.value (1)' },
      ],
    });
    expect(lines[0]).toMatch(/^step │ t0 +│ t1 +│ t2$/);
    const at = lines.findIndex((line) => /^ +2 │ resume/.test(line));
    expect(lines[at + 2]).toMatch(/^ +│ \[1\] read s\.value \(0\) +│ +│$/);
    expect(text(lines)).toMatch(/^ +│ +│ \[2\] write s\.value \(1\) +│$/m);
    expect(text(lines)).toMatch(/7–10 │ t3, t4 each ran alone/);
  });

  it("says where each activity's lane came from", () => {
    const trace: TraceStep[] = [start(1, 't0'), { step: 2, task: 'GET /add', kind: 'await', site: site(30), origin: 't0' }, resume(3, 't0')];
    expect(text(formatTimeline(trace, 100))).toContain('GET /add: started by t0, not awaited by it');
  });
});
