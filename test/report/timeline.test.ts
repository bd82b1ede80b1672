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
