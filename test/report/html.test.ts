import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHtmlReporter, formatHtml } from '../../src/report/html.js';
import { CLIENT_SCRIPT } from '../../src/report/html/client.js';
import type { HtmlReportInput, HtmlTraceStep, HtmlViolation } from '../../src/report/html/input.js';
import { ALONE_FOLD, buildTimelineModel, describeStep, type TimelineModel } from '../../src/report/html/model.js';
import type { Report } from '../../src/report/types.js';
import { ROOT, runMain } from '../cli/run-cli.js';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/html', name), 'utf8')) as HtmlReportInput;

/** The parts of a page the tests look into: the embedded models, the inline script and style. */
function parsePage(html: string) {
  const data = /<script type="application\/json" id="racecheck-data">([\s\S]*?)<\/script>/.exec(html);
  const script = /<script>([\s\S]*?)<\/script>\n<\/body>/.exec(html);
  const style = /<style>([\s\S]*?)<\/style>/.exec(html);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  if (!data || !script || !style || !csp) throw new Error('page is missing its data, script, style or policy');
  return { models: JSON.parse(data[1]!) as TimelineModel[], script: script[1]!, style: style[1]!, csp: csp[1]!.replace(/&#39;/g, "'") };
}

const sha256 = (text: string) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;

function violation(trace: readonly Omit<HtmlTraceStep, 'step'>[], extra: Partial<HtmlViolation> = {}): HtmlViolation {
  return {
    kind: 'check',
    message: 'm',
    run: 1,
    seed: 1,
    command: 'racecheck x.ts --replay 1.a',
    trace: trace.map((entry, i) => ({ step: i + 1, ...entry })),
    ...extra,
  };
}

const at = (line: number) => ({ file: 'scenarios/x.ts', line, column: 5, text: `  line ${line}` });

describe('formatHtml on a real report', () => {
  let report: Report;
  let several: Report;
  beforeAll(async () => {
    const one = await runMain(['scenarios/counter.ts', '--seed', '42', '--json']);
    expect(one.code, one.stderr).toBe(1);
    report = JSON.parse(one.stdout) as Report;
    const many = await runMain(['scenarios/counter.ts', 'scenarios/cache.ts', 'scenarios/forgotten-release.ts', 'scenarios/rate-limiter.ts', '--seed', '42', '--json']);
    expect(many.code, many.stderr).toBe(1);
    several = JSON.parse(many.stdout) as Report;
  });

  it('writes one self-contained, deterministic page for the counter', () => {
    const html = formatHtml(report);
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(formatHtml(report)).toBe(html);
    const scenario = report.scenarios[0]!;
    expect(html).toContain(`<code id="s0-command">${scenario.violation!.command}</code>`);
    expect(html).toContain('scenarios/counter.ts#default');
    // Nothing that could load: no URL in an attribute, no CSS import or url(), no web font.
    const markup = html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, '');
    expect(markup).not.toMatch(/\b(?:src|href|action|srcset|poster|data)\s*=\s*(?:"[^"#]|'[^'#]|[^"'#\s>])/i);
    expect(html).not.toMatch(/@import|url\(|@font-face|https?:\/\//i);

    const { models, script, style, csp } = parsePage(html);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src '${sha256(script)}'`);
    expect(csp).toContain(`style-src '${sha256(style)}'`);
    expect(models).toHaveLength(1);
    expect(models[0]!.lanes.map((l) => l.name)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9']);
    expect(models[0]!.lane).toHaveLength(scenario.violation!.trace.length);
  });

  it('lists every failing scenario to pick from, and summarises the passing ones', () => {
    const html = formatHtml(several);
    const failing = several.scenarios.filter((s) => s.status === 'fail');
    const passing = several.scenarios.filter((s) => s.status === 'pass');
    expect(failing.length).toBeGreaterThan(2);
    expect(passing.length).toBeGreaterThan(0);
    const { models } = parsePage(html);
    expect(models).toHaveLength(failing.length);
    failing.forEach((s, i) => {
      expect(html).toContain(`<section class="scenario view" id="s${i}" data-index="${i}">`);
      expect(html).toContain(`<a href="#s${i}" data-view="s${i}">`);
      expect(html).toContain(`<span class="sc-id">${s.id}</span>`);
      expect(models[i]!.lane).toHaveLength(s.violation!.trace.length);
    });
    for (const s of passing) expect(html).toContain(`<td><span class="sc-id">${s.id}</span></td>`);
    expect(html).toContain(`<h3>Passed (${passing.length})</h3>`);
  });

  it('is what the reporter writes when the run ends', async () => {
    const written: string[] = [];
    await createHtmlReporter((text) => void written.push(text)).onEnd!(report);
    expect(written).toEqual([formatHtml(report)]);
  });
});

describe('formatHtml on SPEC-shaped fixtures', () => {
  it('fixtures match the report schema (SPEC §4)', () => {
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'docs/report.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    for (const name of ['explained.json', 'long.json']) {
      const report = fixture(name);
      // A file that failed to load has its path as id (SPEC §3), which the schema's id pattern does not allow yet.
      const loaded = { ...report, scenarios: report.scenarios.filter((s) => s.status !== 'error') };
      expect(validate(loaded), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('shows the explanation, the stack, reproduced, blocked tasks and advice', () => {
    const report = fixture('explained.json');
    const html = formatHtml(report);
    expect(html).toContain('<span class="badge soft">lost update</span> t6 read s.value (6) at counter.ts:11');
    expect(html).toContain('<span class="badge soft">stale check</span>');
    // The access without its line's text borrows it from another site on that line.
    expect(html).toContain('<li class="op-read" id="s0-access-0" data-access="0"><a href="#s0-access-0" data-access="0"><span class="num">1</span><span class="acc-step">step 13</span><span class="acc-task">t6</span><span class="acc-what"><span class="op">READ</span> s.value → 6</span><span class="acc-site"><span class="site-ref" title="scenarios/counter.ts:11:17">counter.ts:11:17 <code>const cur = s.value;</code></span></span></a></li>');
    expect(html).toContain('<li class="op-write" id="s0-access-3" data-access="3">');
    expect(html).toContain('<pre class="stack">LockNotHeldError: Lock.release(): the lock is not acquired\n    at Lock.release (src/sync/lock.ts:61:13)');
    expect(html).toContain('<dt>reproduced</dt><dd>3 of 3 tries</dd>');
    expect(html).toContain('<h3>Blocked forever</h3><ul class="plain"><li><b>carol</b> waits at');
    expect(html).toContain('<span class="badge soft">lock-order-inversion</span>');
    expect(html).toContain('without the lock: 24 schedules tried, every schedule');
    expect(html).toContain('racecheck could not see any access to shared state');
    expect(html).toContain('<td class="err">scenarios/broken.ts:3:7: Expected &#39;;&#39; but found &#39;value&#39;</td>');
    const { models } = parsePage(html);
    const server = models[1]!;
    expect(server.lanes.filter((l) => l.origin !== null).map((l) => [l.name, l.origin])).toEqual([
      ['GET /visit #1', 'client0'],
      ['GET /visit #2', 'client1'],
      ['GET /visit #3', 'client2'],
    ]);
    expect(server.lanes.filter((l) => l.involved).map((l) => l.name)).toEqual(['GET /visit #1', 'GET /visit #2']);
  });

  it('escapes every text field of a hostile report', () => {
    const html = formatHtml(fixture('hostile.json'));
    const { models } = parsePage(html);
    // The only script elements are the page's own two, and no markup from the report survives.
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toMatch(/<img|<!--|onerror="/i);
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;window.__pwned=&quot;message&quot;&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=&#39;message&#39;&quot;&gt;&quot;&#39;&amp;amp;&lt;!--');
    // The embedded data reads back exactly.
    expect(models[0]).toEqual(JSON.parse(JSON.stringify(buildTimelineModel(fixture('hostile.json').scenarios[0]!.violation!))));
    expect(models[0]!.lanes[0]!.name).toContain('</script><script>');
  });

  it('keeps a 5,000-step trace to a compact model', () => {
    const report = fixture('long.json');
    const html = formatHtml(report);
    const { models } = parsePage(html);
    const model = models[0]!;
    expect(model.lane).toHaveLength(5000);
    expect(model.lanes).toHaveLength(60);
    expect(html.length / 5000).toBeLessThan(40);
    // Every access stays in view: no fold covers its step.
    for (const access of model.accesses) {
      expect(access.i).toBeGreaterThanOrEqual(0);
      expect(model.folds.some((f) => f.from <= access.i && access.i <= f.to)).toBe(false);
    }
    expect(model.folds.some((f) => f.type === 'repeat')).toBe(true);
    expect(model.folds.some((f) => f.type === 'alone')).toBe(true);
  });

  it('shows a run without failures as its summary, and keeps a failure that lost its violation', () => {
    const report = fixture('explained.json');
    const passing = report.scenarios.filter((s) => s.status === 'pass');
    const allPass = { ...report, scenarios: passing, summary: { ...report.summary, scenarios: passing.length, failed: 0, errors: 0 } };
    const html = formatHtml(allPass);
    expect(html).toContain('<title>racecheck: 3 scenarios, none failed</title>');
    expect(html).not.toContain('<nav');
    expect(html).toContain('<section class="others view" id="others">');
    expect(parsePage(html).models).toEqual([]);
    const broken = formatHtml({ ...allPass, scenarios: [{ ...passing[0]!, status: 'fail', violation: null }] });
    expect(broken).toContain('<td class="err">failed, but the report has no violation for it</td>');
    expect(formatHtml({ ...allPass, scenarios: [] })).toContain('No scenarios ran.');
  });

  it('ships a script that parses as plain JavaScript', () => {
    expect(() => new vm.Script(CLIENT_SCRIPT)).not.toThrow();
    expect(CLIENT_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    expect(CLIENT_SCRIPT).not.toMatch(/fetch\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon|import\(|new Image|\.src\s*=/);
  });
});

describe('buildTimelineModel', () => {
  it('folds tasks that ran alone, but not the interleaving or its accesses', () => {
    const trace: Omit<HtmlTraceStep, 'step'>[] = [];
    for (const t of ['a', 'b', 'c']) trace.push({ task: t, kind: 'start', site: null }, { task: t, kind: 'await', site: at(3) });
    trace.push({ task: 'x', kind: 'start', site: null }, { task: 'y', kind: 'start', site: null }, { task: 'x', kind: 'await', site: at(3) }, { task: 'y', kind: 'await', site: at(3) });
    trace.push({ task: 'd', kind: 'start', site: null }, { task: 'd', kind: 'await', site: at(3) });
    const model = buildTimelineModel(violation(trace));
    expect(model.folds.map((f) => [f.from, f.to, f.type, f.label])).toEqual([
      [0, 5, 'solo', 'a, b, c each ran alone, without interleaving'],
      [10, 11, 'solo', 'd ran alone, without interleaving'],
    ]);
    // A solo task with a conflicting access stays in view.
    const explained = buildTimelineModel(
      violation(trace, { explanation: { summary: 's', accesses: [{ step: 3, task: 'b', op: 'read', target: 's.v', value: '0' }] } }),
    );
    expect(explained.folds.map((f) => [f.from, f.to])).toEqual([
      [0, 1],
      [4, 5],
      [10, 11],
    ]);
    expect(explained.accesses).toEqual([{ i: 2, step: 3, task: 'b', op: 'read', opName: 'read', target: 's.v', value: '0', site: -1 }]);
  });

  it('folds identical steps and long runs of one lane', () => {
    const trace: Omit<HtmlTraceStep, 'step'>[] = [
      { task: 'a', kind: 'start', site: null },
      { task: 'b', kind: 'start', site: null },
      ...Array.from({ length: 5 }, () => ({ task: 'a', kind: 'timer', site: null, timer: { kind: 'immediate', delay: 0 } })),
      { task: 'b', kind: 'await', site: at(4) },
      ...Array.from({ length: 12 }, (_, i) => ({ task: 'a', kind: 'await', site: at(10 + (i % 3)) })),
      { task: 'b', kind: 'await', site: at(5) },
    ];
    const model = buildTimelineModel(violation(trace));
    expect(model.folds.map((f) => [f.from, f.to, f.type, f.label])).toEqual([
      [2, 6, 'repeat', 'a: setImmediate fired ×5'],
      [9, 19, 'alone', `a went on alone for ${12 - 1} more steps`],
    ]);
    expect(ALONE_FOLD).toBeLessThanOrEqual(12);
    expect(describeStep(model, 8)).toBe('resumed at x.ts:10:5');
  });

  it('reads origins, blocked tasks, step numbers and unknown kinds as given', () => {
    const model = buildTimelineModel(
      violation(
        [
          { task: 't0', kind: 'start', site: null },
          { task: 'handler', kind: 'start', site: null, origin: { task: 't0', step: 1 } },
          { task: 'listener', kind: 'callback', site: at(7), origin: 'handler' },
          { task: 't0', kind: 'timer', site: null, timer: { kind: 'timeout', delay: 12.345 } },
        ],
        { kind: 'deadlock', blocked: [{ task: 't1', sites: [at(9)] }] },
      ),
    );
    expect(model.lanes.map((l) => [l.name, l.origin, l.originStep])).toEqual([
      ['t0', null, null],
      ['handler', 't0', 1],
      ['listener', 'handler', null],
      ['t1', null, null],
    ]);
    expect(model.kind).toEqual([0, 0, 3, 2]);
    expect(model.otherKinds).toEqual(['callback']);
    expect(model.timers).toEqual(['setTimeout 12.3 ms']);
    expect(model.blocked).toEqual([{ lane: 3, site: 1 }]);
    expect(model.completed).toBe(false);

    const renumbered = buildTimelineModel({ ...violation([]), trace: [{ step: 4, task: 'a', kind: 'start', site: null }, { step: 9, task: 'a', kind: 'await', site: at(2) }] });
    expect(renumbered.firstStep).toBe(4);
    expect(renumbered.steps).toEqual([4, 9]);
  });

  it('names a file by its base name only when that is unambiguous', () => {
    const model = buildTimelineModel(
      violation([
        { task: 'a', kind: 'await', site: { file: 'src/a/util.ts', line: 1, column: 1, text: 'x' } },
        { task: 'a', kind: 'await', site: { file: 'src/b/util.ts', line: 2, column: 1, text: 'y' } },
        { task: 'a', kind: 'await', site: { file: 'src/main.ts', line: 3, column: 1, text: 'z' } },
        { task: 'a', kind: 'await', site: { file: 'racecheck', line: 0, column: 0, text: 'racecheck/sync Lock.runExclusive: acquire' } },
      ]),
    );
    expect(model.sites.map((s) => s[0])).toEqual(['src/a/util.ts', 'src/b/util.ts', 'main.ts', 'racecheck']);
    expect(describeStep(model, 3)).toBe('resumed in racecheck/sync Lock.runExclusive: acquire');
  });
});
