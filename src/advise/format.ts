/**
 * The pretty report's "advice" block for one scenario: each finding's code, the lock it is about, what it
 * means in plain words, and the sites that prove it (for lock-needed, the command that replays the
 * variant without the lock). Pure text; colours come in through `style`.
 */
import { formatSite, type SiteRef } from '../site.js';
import type { ReportAdvice } from '../scheduler/advice.js';

export interface AdviceStyle {
  readonly code: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly command: (text: string) => string;
}

export interface AdviceFormatOptions {
  /** The scenario's id, for the block's heading. */
  readonly id: string;
  /** Columns to wrap the messages in. */
  readonly width?: number;
  readonly style?: AdviceStyle;
}

const PLAIN: AdviceStyle = { code: (text) => text, dim: (text) => text, command: (text) => text };

export function formatAdvice(advice: readonly ReportAdvice[], options: AdviceFormatOptions): string {
  const style = options.style ?? PLAIN;
  const width = Math.max(40, Math.min(options.width ?? 100, 120));
  const heading = `─── advice: ${options.id} `;
  const lines = ['', style.dim(heading + '─'.repeat(Math.max(3, Math.min(width, 100) - heading.length)))];
  for (const item of advice) {
    lines.push(`  ${style.code(item.code)}  ${style.dim(`${item.primitive} made at`)} ${where(item.lock)}`);
    for (const line of wrap(item.message, width - 4)) lines.push(`    ${line}`);
    if (item.code === 'lock-order-inversion') {
      for (const lock of item.locks.slice(1)) lines.push(`    ${style.dim('and the lock made at')} ${where(lock)}`);
    }
    for (const site of item.sites) lines.push(`    ${style.dim(siteLabel(item.code))} ${where(site)}`);
    if (item.code === 'lock-needed') {
      lines.push(`    ${style.dim('replay the variant without it:')} ${style.command(item.violation.command)}`);
    }
  }
  return lines.join('\n');
}

/** The acquire sites of most advice; the blocking step, the foreign release and the orders are named by the message. */
function siteLabel(code: ReportAdvice['code']): string {
  return code === 'blocking-in-lock' || code === 'release-by-other-task' || code === 'lock-order-inversion' ? 'at' : 'acquired at';
}

function where(site: SiteRef): string {
  const text = site.text.trim();
  return text ? `${formatSite(site)}  ${text}` : formatSite(site);
}

/** Greedy word wrap; a word longer than the width gets a line of its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
