import { formatSite } from '../site.js';
import { formatTimeline } from './timeline.js';
import type { Report, Reporter, ScenarioReport } from './types.js';
import { parseScenarioId } from '../scenario/id.js';
import { noun } from '../words.js';

/** JUnit XML, as CI systems read it: a test suite per scenario file, a test case per scenario. */
export function createJunitReporter(write: (text: string) => void | Promise<void>): Reporter {
  return { onEnd: (report) => write(formatJunit(report)) };
}

export function formatJunit(report: Report): string {
  const files = [...new Set(report.scenarios.map((s) => s.file))];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    ...(report.interrupted ? ['<!-- interrupted: the run was stopped by a signal; this holds what was found until then -->'] : []),
    `<testsuites name="racecheck" tests="${report.summary.scenarios}" failures="${report.summary.failed}" errors="${report.summary.errors}" time="${seconds(report.summary.durationMs)}">`,
  ];
  for (const file of files) {
    const scenarios = report.scenarios.filter((s) => s.file === file);
    const count = (status: ScenarioReport['status']) => scenarios.filter((s) => s.status === status).length;
    const time = scenarios.reduce((sum, s) => sum + s.durationMs, 0);
    lines.push(
      `  <testsuite name="${attr(file)}" tests="${scenarios.length}" failures="${count('fail')}" errors="${count('error')}" skipped="0" time="${seconds(time)}">`,
      '    <properties>',
      `      <property name="seed" value="${report.seed}"/>`,
      '    </properties>',
    );
    for (const scenario of scenarios) lines.push(...testcase(scenario));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

function testcase(scenario: ScenarioReport): string[] {
  // A file that failed to load has the file's path as its id: no export to name.
  const exportName = parseScenarioId(scenario.id)?.exportName ?? scenario.id;
  const name = scenario.name === exportName ? exportName : `${exportName}: ${scenario.name}`;
  const open = `    <testcase classname="${attr(scenario.file)}" name="${attr(name)}" time="${seconds(scenario.durationMs)}"`;
  if (scenario.status === 'pass') return [`${open}/>`];
  if (scenario.status === 'error') {
    const error = scenario.error;
    const message = error?.message ?? 'error';
    const body = [message, ...(error?.frame ? ['', error.frame] : []), ...(error?.stack ? ['', error.stack] : [])].join('\n');
    return [`${open}>`, `      <error message="${attr(message)}" type="error">${text(body)}</error>`, '    </testcase>'];
  }
  const v = scenario.violation!;
  const body = [
    `${v.kind}: ${v.message}`,
    `run ${v.run}, run seed ${v.seed}, ${v.trace.length} ${noun(v.trace.length, 'step')}, ${v.preemptions} ${noun(v.preemptions, 'preemption')}, strategy ${v.strategy}`,
    ...(v.stack ? ['', v.stack] : []),
    '',
    ...formatTimeline(v.trace, 120),
    ...(v.blocked ?? []).map((b) => `blocked: ${b.task} waits at ${b.sites[0] ? formatSite(b.sites[0]) : 'an await outside instrumented code'}`),
    '',
    `reproduce: ${v.command}`,
  ].join('\n');
  return [`${open}>`, `      <failure message="${attr(`${v.kind}: ${v.message}`)}" type="${v.kind}">${text(body)}</failure>`, '    </testcase>'];
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

// XML 1.0 forbids most control characters even when escaped.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function text(value: string): string {
  return value.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}
