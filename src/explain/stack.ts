/**
 * The stack a report shows for an `exception`, an `unhandled-rejection` or a `check` that threw: the
 * error's own stack, source-mapped by Node (tsx turns that on, so TypeScript lines are the lines written),
 * with columns the rewrite shifted mapped back (instrument/positions.ts), racecheck's frames and Node's
 * internals left out, and paths shown as everywhere else.
 */
import { fileURLToPath } from 'node:url';
import { nativeMessage } from '../instrument/messages.js';
import { originalPosition } from '../instrument/positions.js';
import { displayPath } from '../paths.js';
import { isOwnFile, mapped } from './sites.js';

const MAX_FRAMES = 20;

export function formatStack(cause: unknown): string | undefined {
  if (cause === null || typeof cause !== 'object') return undefined;
  let stack: unknown;
  try {
    stack = (cause as { stack?: unknown }).stack;
  } catch {
    return undefined;
  }
  if (typeof stack !== 'string' || stack === '') return undefined;
  // Node applies source maps to a stack only when nobody replaced Error.prepareStackTrace (a test runner
  // may have): then the frames still name the compiled code, and its source map is applied here.
  const prepare = Error.prepareStackTrace as ((...args: unknown[]) => unknown) | undefined;
  const mappedByNode = process.sourceMapsEnabled && (prepare === undefined || prepare.name === 'ErrorPrepareStackTrace');
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((line) => /^\s+at /.test(line));
  const head = nativeHead(cause, (firstFrame === -1 ? lines : lines.slice(0, firstFrame)).join('\n'));
  if (firstFrame === -1) return head;
  const kept: string[] = [];
  let dropped = 0;
  for (const line of lines.slice(firstFrame)) {
    const frame = FRAME.exec(line);
    if (!frame) {
      if (/^\s+at /.test(line) && !/\(node:|at node:|\(<anonymous>\)$/.test(line)) kept.push(`    ${line.trim()}`);
      continue;
    }
    const [, before, location, generatedLine, generatedColumn, after] = frame as unknown as [string, string, string, string, string, string];
    if (location.startsWith('node:')) continue;
    const source = mappedByNode ? { file: location, line: Number(generatedLine), column: Number(generatedColumn) } : mapped(location, Number(generatedLine), Number(generatedColumn));
    const file = source.file.startsWith('file://') ? fileURLToPath(source.file) : source.file;
    if (isOwnFile(file)) continue;
    if (kept.length >= MAX_FRAMES) {
      dropped++;
      continue;
    }
    const position = originalPosition(file, source.line, source.column);
    kept.push(`    ${before.trim()}${before.trim() === 'at' ? ' ' : ''}${displayPath(file)}:${position.line}:${position.column}${after}`);
  }
  if (dropped > 0) kept.push(`    … ${dropped} more`);
  return [head, ...kept].join('\n');
}

/** `    at fn (location:line:column)` or `    at location:line:column`. */
const FRAME = /^(\s*at (?:.*\()?)(.+?):(\d+):(\d+)(\)?)$/;

/** The stack's first line names the message as V8 worded it for the rewritten code: as written instead (instrument/messages.ts). */
function nativeHead(cause: object, head: string): string {
  if (!(cause instanceof Error)) return head;
  const native = nativeMessage(cause);
  const message = cause.message;
  return native === message || !head.includes(message) ? head : head.replace(message, () => native);
}
