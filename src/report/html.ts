import { createHash } from 'node:crypto';
import { formatSite } from '../site.js';
import { CLIENT_SCRIPT } from './html/client.js';
import { escapeHtml as e, scriptJson } from './html/escape.js';
import type { HtmlAdvice, HtmlReportInput, HtmlScenario, HtmlSite, HtmlViolation } from './html/input.js';
import { buildTimelineModel, type SiteModel, type TimelineModel } from './html/model.js';
import { STYLES } from './html/styles.js';
import type { Reporter } from './types.js';
import { carriedWhy } from '../scheduler/strategies/replay.js';
import { plural } from '../words.js';

export type { HtmlReportInput } from './html/input.js';

/** Writes the report as one self-contained HTML page once the run is over. */
export function createHtmlReporter(write: (text: string) => void | Promise<void>): Reporter {
  return { onEnd: (report) => write(formatHtml(report)) };
}

type FailingScenario = HtmlScenario & { readonly violation: HtmlViolation };

const PATTERNS: Record<string, string> = {
  'lost-update': 'lost update',
  'stale-check': 'stale check',
  'torn-read': 'torn read',
  other: 'race',
};

/**
 * The whole report as one HTML document that needs nothing else: inline style and script, no fonts, no
 * images, and a Content-Security-Policy that forbids every fetch, so opening it never touches the network.
 * The failing scenarios are written as HTML (readable without script); each timeline is embedded as data
 * and drawn by the page's script a screenful at a time. Deterministic: the same report gives the same bytes.
 */
export function formatHtml(report: HtmlReportInput): string {
  const isFailing = (s: HtmlScenario): s is FailingScenario => s.status === 'fail' && s.violation !== null;
  const failing = report.scenarios.filter(isFailing);
  const others = report.scenarios.filter((s) => !isFailing(s));
  const models = failing.map((s) => buildTimelineModel(s.violation));
  const { summary } = report;
  const title = summary.failed > 0 ? `racecheck: ${summary.failed} failed of ${plural(summary.scenarios, 'scenario')}` : `racecheck: ${plural(summary.scenarios, 'scenario')}, none failed`;
  const withNav = failing.length > 1 || (failing.length > 0 && others.length > 0);
  const body = [
    header(report),
    report.interrupted ? '<p class="banner">The run was interrupted: this report holds what was found before it stopped.</p>' : '',
    `<div class="layout">`,
    withNav ? nav(failing, others) : '',
    '<main>',
    ...failing.map((s, i) => scenarioSection(s, i, models[i]!)),
    othersSection(others, failing.length === 0),
    '</main>',
    '</div>',
  ].join('\n');
  const data = `<script type="application/json" id="racecheck-data">${scriptJson(models)}</script>`;
  const csp = [
    "default-src 'none'",
    `script-src '${sha256(CLIENT_SCRIPT)}'`,
    `style-src '${sha256(STYLES)}'`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${e(csp)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${e(`${report.tool.name} ${report.tool.version}`)}">`,
    `<title>${e(title)}</title>`,
    `<style>${STYLES}</style>`,
    '</head>',
    `<body>`,
    body,
    data,
    `<script>${CLIENT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

function header(report: HtmlReportInput): string {
  const { summary } = report;
  const counts = [
    summary.failed > 0 ? `<span class="count fail">${summary.failed} failed</span>` : '',
    summary.errors > 0 ? `<span class="count error">${plural(summary.errors, 'error')}</span>` : '',
    summary.passed > 0 ? `<span class="count pass">${summary.passed} passed</span>` : '',
  ].filter(Boolean);
  return [
    '<header class="top">',
    `<h1>racecheck</h1>`,
    `<span>${counts.join(', ') || 'no scenarios'}</span>`,
    `<span class="meta">${e(plural(summary.scenarios, 'scenario'))} · seed ${e(report.seed)} · ${e(seconds(summary.durationMs))} · ${e(report.tool.name)} ${e(report.tool.version)}</span>`,
    '</header>',
  ].join('\n');
}

function nav(failing: readonly HtmlScenario[], others: readonly HtmlScenario[]): string {
  const passed = others.filter((s) => s.status === 'pass').length;
  const errors = others.filter((s) => s.status !== 'pass').length;
  const items = failing.map(
    (s, i) =>
      `<li><a href="#s${i}" data-view="s${i}"><span class="nav-name">${e(s.violation!.kind)} · ${e(s.name)}</span><span class="nav-id">${e(s.id)}</span></a></li>`,
  );
  const rest = [passed > 0 ? `${passed} passed` : '', errors > 0 ? plural(errors, 'error') : ''].filter(Boolean).join(' · ');
  return [
    '<nav class="picker" aria-label="Scenarios">',
    `<h2>Failing (${failing.length})</h2>`,
    `<ul>${items.join('')}</ul>`,
    others.length > 0 ? `<h2>Other scenarios</h2><ul><li><a href="#others" data-view="others"><span class="nav-name">${e(rest)}</span></a></li></ul>` : '',
    '</nav>',
  ].join('\n');
}

function scenarioSection(s: FailingScenario, index: number, model: TimelineModel): string {
  const v = s.violation;
  const facts: [string, string][] = [
    ['run', String(v.run)],
    ['run seed', String(v.seed)],
    ['steps', String(v.trace.length)],
  ];
  if (v.preemptions !== undefined) facts.push(['preemptions', String(v.preemptions)]);
  if (v.shrunk !== undefined) facts.push(['shrunk', v.shrunk ? (v.shrinkRuns ? `yes, in ${plural(v.shrinkRuns, 'run')}` : 'yes') : 'no']);
  if (v.strategy) facts.push(['strategy', v.strategy]);
  if (v.reproduced) facts.push(['reproduced', `${v.reproduced.failed} of ${plural(v.reproduced.tries, 'try', 'tries')}`]);
  facts.push(['runs', String(s.runs)]);
  if (s.search) facts.push(['search', searchText(s.search)]);
  if (s.interrupted) facts.push(['interrupted', 'yes']);
  const id = `s${index}`;
  return [
    `<section class="scenario view" id="${id}" data-index="${index}">`,
    '<header class="sc-head">',
    `<span class="badge">${e(v.kind)}</span>`,
    `<h2>${e(s.name)}</h2>`,
    `<span class="sc-id">${e(s.id)}</span>`,
    '</header>',
    `<p class="message">${e(v.message)}</p>`,
    `<dl class="facts">${facts.map(([k, val]) => `<div><dt>${e(k)}</dt><dd>${e(val)}</dd></div>`).join('')}</dl>`,
    `<div class="replay"><span class="label">replay</span><code id="${id}-command">${e(v.command)}</code><button type="button" class="copy" data-copy="${id}-command">Copy</button></div>`,
    explanationBlock(v, index, model),
    `<div class="block"><h3>Timeline</h3>`,
    `<div class="timeline" data-model="${index}">`,
    '<div class="tl-bar"><span class="spacer"></span>',
    '<span class="tl-key"><span class="key-run"></span>ran</span><span class="tl-key"><span class="key-wait"></span>suspended</span></div>',
    '<div class="tl-scroll"><div class="tl-head"></div><div class="tl-body"></div></div>',
    `<noscript><p class="empty">The timeline of ${e(plural(v.trace.length, 'step'))} is drawn by the page's script.</p></noscript>`,
    '</div></div>',
    blockedBlock(v, model),
    v.stack ? `<div class="block"><h3>Stack</h3><pre class="stack">${e(v.stack)}</pre></div>` : '',
    adviceBlock(s.advice),
    '</section>',
  ]
    .filter(Boolean)
    .join('\n');
}

function explanationBlock(v: HtmlViolation, index: number, model: TimelineModel): string {
  if (v.explanation === undefined) return '';
  if (v.explanation === null) {
    return '<div class="block"><h3>What happened</h3><div class="explain"><p class="none">racecheck could not see any access to shared state in this schedule.</p></div></div>';
  }
  const x = v.explanation;
  const pattern = x.pattern ? `<span class="badge soft">${e(PATTERNS[x.pattern] ?? x.pattern)}</span>` : '';
  const items = model.accesses.map((a, n) => {
    const site = model.sites[a.site];
    const value = a.value === null ? '' : a.op === 'write' ? ` ← ${a.value}` : ` → ${a.value}`;
    const op = a.op === 'other' ? a.opName : a.op;
    const step = a.i >= 0 ? `step ${a.step}` : `step ${a.step} (not in the trace)`;
    const inner = [
      `<span class="num">${n + 1}</span>`,
      `<span class="acc-step">${e(step)}</span>`,
      `<span class="acc-task">${e(a.task)}</span>`,
      `<span class="acc-what"><span class="op">${e(op.toUpperCase())}</span> ${e(a.target)}${e(value)}</span>`,
      `<span class="acc-site">${site ? siteHtml(site) : ''}</span>`,
    ].join('');
    const body = a.i >= 0 ? `<a href="#s${index}-access-${n}" data-access="${n}">${inner}</a>` : `<a>${inner}</a>`;
    return `<li class="op-${a.op}" id="s${index}-access-${n}" data-access="${n}">${body}</li>`;
  });
  return [
    '<div class="block"><h3>What happened</h3><div class="explain">',
    `<p class="summary">${pattern} ${e(x.summary)}</p>`,
    items.length > 0 ? `<ol class="accesses">${items.join('')}</ol>` : '',
    '</div></div>',
  ].join('\n');
}

function blockedBlock(v: HtmlViolation, model: TimelineModel): string {
  if (!v.blocked || v.blocked.length === 0) return '';
  const items = v.blocked.map((b) => {
    const site = b.sites[0];
    const where = site ? siteHtml(tableSite(site, model)) : 'an await outside instrumented code';
    return `<li><b>${e(b.task)}</b> waits at ${where}</li>`;
  });
  return `<div class="block"><h3>Blocked forever</h3><ul class="plain">${items.join('')}</ul></div>`;
}

/** The site as the timeline's table names it (short file name, the line's text), or as given. */
function tableSite(site: HtmlSite, model: TimelineModel): SiteModel {
  const found = model.sites.find((m) => m[4] === site.file && m[1] === site.line && m[2] === site.column);
  return found ?? [site.file, site.line, site.column, site.text ?? '', site.file];
}

function siteHtml(site: SiteModel): string {
  const [shown, line, column, text, file] = site;
  if (line <= 0) return `<span class="site-ref" title="${e(file)}">${e(text || file)}</span>`;
  const code = text.trim() ? ` <code>${e(text.trim())}</code>` : '';
  return `<span class="site-ref" title="${e(`${file}:${line}:${column}`)}">${e(`${shown}:${line}:${column}`)}${code}</span>`;
}

function plainSite(site: HtmlSite): string {
  const text = site.text?.trim();
  if (site.line <= 0) return `<span class="site-ref">${e(text || site.file)}</span>`;
  return `<span class="site-ref">${e(`${site.file}:${site.line}:${site.column}`)}${text ? ` <code>${e(text)}</code>` : ''}</span>`;
}

function adviceBlock(advice: readonly HtmlAdvice[] | undefined): string {
  if (!advice || advice.length === 0) return '';
  return `<div class="block"><h3>Advice</h3>${adviceList(advice)}</div>`;
}

function adviceList(advice: readonly HtmlAdvice[]): string {
  const items = advice.map((a) => {
    const parts = [
      `<span class="badge soft">${e(a.code)}</span>`,
      `<p class="advice-msg">${e(a.message)}</p>`,
    ];
    const sites: string[] = [];
    if (a.lock) sites.push(`lock made at ${plainSite(a.lock)}`);
    for (const lock of a.locks ?? []) sites.push(`lock made at ${plainSite(lock)}`);
    for (const site of a.sites ?? []) sites.push(`at ${plainSite(site)}`);
    if (a.violation) {
      sites.push(`without the lock: <b>${e(a.violation.kind)}</b>: ${e(a.violation.message)}${a.violation.replay ? ` · replay token <code>${e(a.violation.replay)}</code>` : ''}`);
    }
    if (a.search) sites.push(`without the lock: ${e(plural(a.search.schedules, 'schedule'))} tried, ${a.search.complete ? 'every schedule' : 'not every schedule'}`);
    if (sites.length > 0) parts.push(`<ul class="plain advice-sites">${sites.map((s) => `<li>${s}</li>`).join('')}</ul>`);
    return `<li>${parts.join('')}</li>`;
  });
  return `<ul class="advice">${items.join('')}</ul>`;
}

function othersSection(others: readonly HtmlScenario[], only: boolean): string {
  if (others.length === 0) return only ? '<section class="others view" id="others"><p class="empty">No scenarios ran.</p></section>' : '';
  // A failure without its violation is malformed input; it is shown with the errors rather than dropped.
  const errors = others.filter((s) => s.status !== 'pass');
  const passed = others.filter((s) => s.status === 'pass');
  const parts = ['<section class="others view" id="others">'];
  if (errors.length > 0) {
    parts.push(`<div class="block"><h3>Errors (${errors.length})</h3><table><thead><tr><th>scenario</th><th>error</th></tr></thead><tbody>`);
    for (const s of errors) {
      const message = s.status === 'error' ? (s.error?.message ?? 'error') : 'failed, but the report has no violation for it';
      parts.push(`<tr><td><span class="sc-id">${e(s.id)}</span></td><td class="err">${e(message)}</td></tr>`);
    }
    parts.push('</tbody></table></div>');
  }
  if (passed.length > 0) {
    parts.push(
      `<div class="block"><h3>Passed (${passed.length})</h3><table><thead><tr><th>scenario</th><th>name</th><th class="num-cell">runs</th><th>search</th><th class="num-cell">time</th></tr></thead><tbody>`,
    );
    for (const s of passed) {
      parts.push(
        `<tr><td><span class="sc-id">${e(s.id)}</span></td><td>${e(s.name)}${s.interrupted ? ' <span class="badge soft">interrupted</span>' : ''}</td><td class="num-cell">${e(s.runs)}</td><td>${s.search ? e(searchText(s.search)) : ''}</td><td class="num-cell">${e(seconds(s.durationMs))}</td></tr>`,
      );
      if (s.advice && s.advice.length > 0) parts.push(`<tr><td></td><td colspan="4">${adviceList(s.advice)}</td></tr>`);
    }
    parts.push('</tbody></table></div>');
  }
  parts.push('</section>');
  return parts.join('\n');
}

function searchText(search: NonNullable<HtmlScenario['search']>): string {
  const bound = search.maxPreemptions === undefined ? '' : ` with ≤ ${plural(search.maxPreemptions, 'preemption')}`;
  const complete = search.complete ? `all schedules${bound}` : 'not exhaustive';
  const at = search.divergedAt;
  const where = at ? ` at step ${at.step} of run ${at.run}${at.site ? ` (${formatSite(at.site)})` : ''}` : '';
  const diverged = !at ? '' : search.nondeterministic ? ` · nondeterministic: runs of the same choices diverged${where}` : ` · the recorded schedule diverges${where}${at.earlierRunTimers ? `: ${carriedWhy('from there')}` : ''}`;
  return `${search.strategy}, ${plural(search.schedules, 'schedule')}, ${complete}${diverged}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms * 10) / 10} ms` : `${(ms / 1000).toFixed(2)} s`;
}
