import MagicString from 'magic-string';
import { parseSync } from 'oxc-parser';
import type { Program } from 'oxc-parser';
import { ABI, RUNTIME_GLOBAL, type SiteRow } from './abi.js';

export interface RewriteResult {
  /** The rewritten source; identical to the input when `sites` is empty. */
  readonly code: string;
  readonly sites: readonly SiteRow[];
}

export interface RewriteOptions {
  /** Reported in sites and errors; usually a file: URL. */
  readonly url: string;
  readonly sourceType: 'module' | 'commonjs';
  /** The parser's language; default from the file name's extension. */
  readonly lang?: 'js' | 'jsx' | 'ts' | 'tsx' | undefined;
  /**
   * Maps a position in `source` (1-based line, 1-based column) to the position users wrote, when `source`
   * is compiled output with a source map. Returns the original line's text too.
   */
  readonly mapPosition?: ((line: number, column: number) => SiteRow | null) | undefined;
}

/** The local names the rewritten code uses for the runtime (see abi.ts) and the module's sites. */
const RT = '__rc$';
const SITES = '__rcS$';
const PREAMBLE_MARK = `var ${RT}=globalThis.${RUNTIME_GLOBAL},`;

export class InstrumentSyntaxError extends Error {
  readonly code = 'RACECHECK_SYNTAX';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = 'SyntaxError';
  }
}

/** Picks the parser's language from a file name's extension. */
export function languageOf(filename: string): 'js' | 'jsx' | 'ts' | 'tsx' {
  if (/\.[mc]?tsx?$/.test(filename)) return filename.endsWith('x') ? 'tsx' : 'ts';
  return filename.endsWith('.jsx') ? 'jsx' : 'js';
}

/**
 * Rewrites every `await x` into `await __rc$.a(x, site)` and every `for await (… of it)` into
 * `for await (… of __rc$.fa(it, site))`, without adding or removing a line break, so line numbers
 * (and so stack traces and source maps produced afterwards) stay as the user wrote them.
 * A module with no await is returned untouched.
 */
export function rewriteAwaits(source: string, filename: string, options: RewriteOptions): RewriteResult {
  // A module can pass two hooks on its way (Node 22's in-thread hooks and Module#_compile): rewrite it once.
  if (source.includes(PREAMBLE_MARK)) return { code: source, sites: [] };
  const parsed = parseSync(filename, source, { lang: options.lang ?? languageOf(filename), sourceType: options.sourceType });
  const lines = lineStarts(source);
  const firstError = parsed.errors.find((error) => error.severity === 'Error');
  if (firstError) {
    const offset = firstError.labels[0]?.start ?? 0;
    const { line, column } = positionOf(lines, offset);
    throw new InstrumentSyntaxError(options.url, line, column, firstError.message);
  }

  const points: { keyword: number; start: number; end: number; forAwait: boolean }[] = [];
  walk(parsed.program as unknown as AnyNode, (node) => {
    if (node.type === 'AwaitExpression') {
      const argument = node.argument as Span;
      points.push({ keyword: node.start, start: argument.start, end: argument.end, forAwait: false });
    } else if (node.type === 'ForOfStatement' && node.await === true) {
      const right = node.right as Span;
      points.push({ keyword: awaitKeyword(source, node as unknown as { start: number; left: Span }), start: right.start, end: right.end, forAwait: true });
    }
  });
  if (points.length === 0) return { code: source, sites: [] };

  points.sort((a, b) => a.keyword - b.keyword);
  const sites = points.map((point): SiteRow => {
    const { line, column } = positionOf(lines, point.keyword);
    const text = source.slice(lines[line - 1], lineEnd(source, lines, line)).replace(/\r$/, '');
    return options.mapPosition?.(line, column) ?? [line, column, text];
  });
  const code = new MagicString(source);
  // Inner awaits start later than the ones enclosing them; editing them first makes the closing text of
  // `await await x` come out innermost-first where two arguments end at the same offset.
  const edits = points.map((point, index) => ({ ...point, index })).sort((a, b) => b.start - a.start);
  for (const edit of edits) {
    code.appendLeft(edit.start, `${RT}.${edit.forAwait ? ABI.forAwait : ABI.await}(`);
    code.appendLeft(edit.end, `,${SITES}[${edit.index}])`);
  }
  code.appendLeft(preambleOffset(source, parsed.program), preamble(options.url, sites));
  return { code: code.toString(), sites };
}

interface Span {
  readonly start: number;
  readonly end: number;
}

type AnyNode = Span & { readonly type: string; readonly [key: string]: unknown };

/**
 * Visits every node of an ESTree AST. A plain walk over the node's properties, not oxc-parser's Visitor:
 * that one loads its implementation with require(), which Node 22 refuses inside a module-hooks thread.
 */
function walk(node: AnyNode, visit: (node: AnyNode) => void): void {
  visit(node);
  for (const key in node) {
    if (key === 'parent') continue;
    const value = node[key];
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && typeof item === 'object' && typeof (item as AnyNode).type === 'string') walk(item as AnyNode, visit);
    } else if (typeof (value as AnyNode).type === 'string') {
      walk(value as AnyNode, visit);
    }
  }
}

function preamble(url: string, sites: readonly SiteRow[]): string {
  // `var`, not `const`: a function of this module called through an import cycle before the module body ran
  // sees `undefined` sites instead of a temporal-dead-zone error.
  return `${PREAMBLE_MARK}${SITES}=${RT}.${ABI.register}(${JSON.stringify(url)},${JSON.stringify(sites)});`;
}

/** Where the preamble goes: after a hashbang line and after a directive prologue ("use strict" must stay first). */
function preambleOffset(source: string, program: Program): number {
  let offset = 0;
  if (program.hashbang) {
    const newline = source.indexOf('\n', program.hashbang.end);
    offset = newline === -1 ? source.length : newline + 1;
  }
  for (const statement of program.body) {
    if (statement.type === 'ExpressionStatement' && typeof statement.directive === 'string') {
      offset = Math.max(offset, statement.end);
    } else break;
  }
  return offset;
}

function awaitKeyword(source: string, node: { start: number; left: { start: number } }): number {
  const found = source.slice(node.start, node.left.start).indexOf('await');
  return found === -1 ? node.start : node.start + found;
}

function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineEnd(source: string, starts: readonly number[], line: number): number {
  const next = starts[line];
  return next === undefined ? source.length : next - 1;
}

function positionOf(starts: readonly number[], offset: number): { line: number; column: number } {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
}
