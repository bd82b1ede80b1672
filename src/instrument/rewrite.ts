import { parseSync } from 'oxc-parser';
import type { Program } from 'oxc-parser';
import { ABI, RUNTIME_GLOBAL, type ModuleShifts, type PrintRow, type ShiftRow, type SiteRow, type StateRow } from './abi.js';
import { printIterable } from './call-print.js';
import { createLineIndex, type LineIndex } from './lines.js';
import { addShiftRow, createColumnMap, createShiftRows, type Insertion } from './positions.js';
import { findMapComment, readSourceMap, type SourceMap } from './source-map.js';
import { findStateAccesses, type LocalNames } from './state-access.js';
import { asyncGeneratorAwait, FUNCTION_TYPES, markLoweredBodies, stateMachineYield, type AnyNode, type LoweredBody, type Span } from './transpiled.js';

export interface RewriteResult {
  /** The rewritten source; identical to the input when `sites` is empty. */
  readonly code: string;
  readonly sites: readonly SiteRow[];
  /** The text inserted per line (what the preamble registers for stack traces); empty when nothing changed. */
  readonly shifts: readonly ShiftRow[];
}

export interface RewriteOptions {
  /** Reported in sites and errors; usually a file: URL. */
  readonly url: string;
  readonly sourceType: 'module' | 'commonjs';
  /** The parser's language; default from the file name's extension. */
  readonly lang?: 'js' | 'jsx' | 'ts' | 'tsx' | undefined;
  /**
   * Whether to follow the module's `//# sourceMappingURL=` (inline, or a file next to `filename`) to put
   * sites where the code was written; default true. The map is re-emitted inline, adjusted to the
   * rewritten columns.
   */
  readonly sourceMaps?: boolean | undefined;
}

/**
 * The local names the rewritten code uses for the runtime (see abi.ts), the module's sites and its state
 * table, and the expression its preamble reads the runtime's global from.
 */
interface Names extends LocalNames {
  readonly sites: string;
  readonly global: string;
}

const NAMES: Names = { runtime: '__rc$', sites: '__rcS$', table: '__rcV$', global: 'globalThis' };
/** The global object, for a module that declares a `globalThis` of its own: no name it could shadow. */
const GLOBAL_BY_LITERAL = '({}).constructor.constructor("return this")()';
/** Every preamble starts so (with the names of localNames): a module rewritten once already is left. */
const PREAMBLE_MARK = new RegExp(`var __rc\\d*\\$=(?:globalThis|${GLOBAL_BY_LITERAL.replace(/[(){}.$"]/g, '\\$&')})\\.${RUNTIME_GLOBAL.replace('$', '\\$')},`);

/**
 * The names the rewrite's text uses in this module: the usual ones unless the module uses one of them
 * itself (a parameter `__rc$` would shadow the runtime, a `let __rc$` be a redeclaration), then ones with a
 * number it does not use; and the global object by a literal's constructor when the module declares a
 * `globalThis` (the preamble runs before any declaration: a `const` is in its dead zone, a `var` undefined).
 * Text is looked at, not scopes: a name in a comment or a string only makes the names longer.
 */
function localNames(source: string, program: Program): Names {
  let names = NAMES;
  if (source.includes('__rc')) {
    for (let n = 1; [names.runtime, names.sites, names.table].some((name) => source.includes(name)); n++) {
      names = { ...names, runtime: `__rc${n}$`, sites: `__rcS${n}$`, table: `__rcV${n}$` };
    }
  }
  if (source.includes('globalThis') && declaresName(program as unknown as AnyNode, 'globalThis')) names = { ...names, global: GLOBAL_BY_LITERAL };
  return names;
}

/**
 * Whether the module's scope, where the preamble runs, has a binding `name`: a top-level declaration or
 * import, or a `var` (or a sloppy block's function) in a statement nested outside any function. Only
 * statements are walked, not expressions: a function or class expression's names are its own scope's.
 */
function declaresName(program: AnyNode, name: string): boolean {
  const binds = (id: unknown): boolean => {
    if (id === null || typeof id !== 'object') return false;
    if (Array.isArray(id)) return id.some(binds);
    const record = id as AnyNode;
    if (record.type === 'Identifier') return record.name === name;
    for (const key in record) if (key !== 'parent' && binds(record[key])) return true;
    return false;
  };
  const statement = (node: unknown): boolean => {
    if (node === null || typeof node !== 'object') return false;
    if (Array.isArray(node)) return node.some(statement);
    const record = node as AnyNode;
    switch (record.type) {
      case 'VariableDeclaration':
        return (record.declarations as AnyNode[]).some((declarator) => binds(declarator.id));
      case 'FunctionDeclaration':
      case 'ClassDeclaration':
      case 'TSEnumDeclaration':
      case 'TSModuleDeclaration':
      case 'TSImportEqualsDeclaration':
        return binds(record.id);
      case 'ImportDeclaration':
        return (record.specifiers as AnyNode[]).some((specifier) => binds(specifier.local));
      case 'ExportNamedDeclaration':
      case 'ExportDefaultDeclaration':
        return statement(record.declaration);
      case 'BlockStatement':
      case 'StaticBlock':
        return statement(record.body);
      case 'IfStatement':
        return statement(record.consequent) || statement(record.alternate);
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
        return statement(record.init) || statement(record.left) || statement(record.body);
      case 'WhileStatement':
      case 'DoWhileStatement':
      case 'LabeledStatement':
      case 'WithStatement':
        return statement(record.body);
      case 'TryStatement':
        return statement(record.block) || statement((record.handler as AnyNode | null)?.body) || statement(record.finalizer);
      case 'SwitchStatement':
        return (record.cases as AnyNode[]).some((item) => statement(item.consequent));
    }
    return false;
  };
  return statement(program.body);
}

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

/** A scheduling point: where its keyword is, and the operand to wrap (none for a bare `yield`). */
interface Point {
  readonly keyword: number;
  readonly kind: 'await' | 'for-await';
  readonly operand: Span | null;
  /** Where a bare `yield` gets its operand: right after the keyword. */
  readonly bareAt?: number;
}

/** A module hook's source (a string, or the bytes Node read) as text, for the rewrite. */
export function sourceText(source: string | ArrayBuffer | NodeJS.TypedArray): string {
  return typeof source === 'string' ? source : Buffer.from(source as Uint8Array).toString('utf8');
}

/**
 * Rewrites every `await x` into `await __rc$.a(x, site)` and every `for await (… of it)` into
 * `for await (… of __rc$.fa(it, site))`, and the awaits of transpiled async functions (transpiled.ts)
 * into `yield __rc$.a(x, site)`, without adding or removing a line break: line numbers (and so stack
 * traces and source maps produced afterwards) stay as the user wrote them. Columns after an insertion
 * shift; the returned `shifts` (registered by the preamble) map them back (positions.ts).
 * A module with no await is returned untouched.
 *
 * The operand is wrapped where the parser says it is, so every form is one case: `await(x)`, `await[x]`,
 * `await"s"`, `await!x`, `await-1`, `await/re/`, `await{}`, `` await`t` ``, comments or line breaks
 * before the operand, `await await x`, awaits in arrow bodies, computed keys, class fields' arrows,
 * top-level await, TypeScript (`as`, `satisfies`, `!`, generics, `<T>x`, decorators) and JSX. A space
 * is inserted where nothing separates the keyword (`await`, `of`, `yield`) from the operand. `await` as
 * an identifier (scripts, CommonJS, outside async functions) is not an AwaitExpression and stays.
 * `await using x = …` is left as it is: its implicit await happens when the scope exits, on a
 * `Symbol.asyncDispose` method read at declaration, which cannot be wrapped without replacing the
 * resource the program sees; it is not a scheduling point (awaits inside the dispose method, and in
 * the initializer, are).
 */
export function rewriteAwaits(written: string, filename: string, options: RewriteOptions): RewriteResult {
  // Node drops a byte order mark before it compiles a module; left in, it would keep a `#!` line after it from
  // being one (the parser's "Invalid Character '!'"). Columns do not count it, in an editor or in Node.
  const source = written.charCodeAt(0) === 0xfeff ? written.slice(1) : written;
  const untouched: RewriteResult = { code: source, sites: [], shifts: [] };
  // A module can pass two hooks on its way (Node 22's in-thread hooks and Module#_compile): rewrite it once.
  if (source.includes(`.${RUNTIME_GLOBAL},`) && PREAMBLE_MARK.test(source)) return untouched;
  const lang = options.lang ?? languageOf(filename);
  const parsed = parseSync(filename, source, { lang, sourceType: options.sourceType });
  const firstError = parsed.errors.find((error) => error.severity === 'Error');
  if (firstError) {
    const { line, column } = createLineIndex(source).positionOf(firstError.labels[0]?.start ?? 0);
    throw new InstrumentSyntaxError(options.url, line, column, firstError.message);
  }
  const program = parsed.program;
  // One line index for the sites, the state table's rows and the shift rows, built only for a module that changes.
  let index: LineIndex | undefined;
  const lineIndex = () => (index ??= createLineIndex(source));
  // The module's shared state is tracked whether it awaits or not (state-access.ts).
  const names = localNames(source, program);
  const state = findStateAccesses(program, lineIndex, { ...names, typescript: lang === 'ts' || lang === 'tsx' });
  // Every scheduling point needs one of these words in the text: the keyword itself (it cannot touch another
  // word character), or the name of a helper of transpiled code (__awaiter, _asyncToGenerator, __async,
  // __asyncGenerator, _wrapAsyncGenerator). Most files of a package are done without walking their AST for them.
  const awaits = /\bawait\b|__awaiter|asynctogenerator|asyncgenerator|__async\b/i.test(source);
  const points = awaits ? findPoints(source, program as unknown as AnyNode) : [];
  if (points.length === 0 && !state) return untouched;

  const lines = lineIndex();
  // The map comment is looked for once (a scan of the whole text): for the map, or to leave out one that cannot be read.
  const mapComment = options.sourceMaps === false ? undefined : findMapComment(source);
  const sourceMap = mapComment && readSourceMap(source, filename, mapComment);
  points.sort((a, b) => a.keyword - b.keyword);
  const sites = points.map((point): SiteRow => {
    const { line, column } = lines.positionOf(point.keyword);
    const row = sourceMap?.originalSite(line, column) ?? [line, column, lines.textOf(line)];
    return row[2].length <= LONG_LINE ? row : [row[0], row[1], excerpt(row[2], row[1]), ...row.slice(3)] as unknown as SiteRow;
  });

  const edits: Edit[] = [];
  points.forEach((point, index) => {
    const call = `${names.runtime}.${point.kind === 'for-await' ? ABI.forAwait : ABI.await}(`;
    if (point.operand) {
      // `await(x)`, `await[x]`, `await"s"`, `of(x)`: nothing separates the keyword from its operand, and
      // the call's name would run into it.
      const glued = /[\p{ID_Continue}$\u200c\u200d]/u.test(source[point.operand.start - 1] ?? '');
      edits.push({ offset: point.operand.start, text: `${glued ? ' ' : ''}${call}`, order: 1, depth: point.keyword });
      edits.push({ offset: point.operand.end, text: `,${names.sites}[${index}])`, order: 0, depth: -point.keyword });
    } else if (point.bareAt !== undefined) {
      edits.push({ offset: point.bareAt, text: ` ${call}void 0,${names.sites}[${index}])`, order: 1, depth: point.keyword });
    }
  });
  if (state) edits.push(...state.edits);
  const insertions: Insertion[] = edits.map((edit) => {
    const { line, column } = lines.positionOf(edit.offset);
    return { line, column, length: edit.text.length };
  });

  const at = preambleOffset(source, lines, program);
  // The preamble is written last, but its length depends on the shift rows it carries, which include its
  // own insertion: its length is found by fixed point (it converges at once unless a digit count changes).
  const preamblePosition = lines.positionOf(at.offset);
  let text = '';
  let shifts: ShiftRow[] = [];
  const rows = createShiftRows(insertions);
  const head = `${at.separator}var ${names.runtime}=${names.global}.${RUNTIME_GLOBAL},${names.sites}=${names.runtime}.${ABI.register}(${json(options.url)},${json(sites)},`;
  const printRows = [...forAwaitPrints(points, lines), ...(state?.prints ?? [])];
  const prints = printRows.length === 0 ? '' : `,${json(sourceMap ? printRows.map((row) => mapPrintRow(row, sourceMap)) : printRows)}`;
  // State rows are positions in this text: compiled code's (Vite's TypeScript, tsx's .cts) go back through its map.
  const stateRows = state && sourceMap ? state.rows.map((row) => mapStateRow(row, sourceMap)) : state?.rows;
  const table = stateRows && stateRows.length > 0 ? `,${names.table}=${names.runtime}.${ABI.registerState}(${json(options.url)},${json(stateRows)})` : '';
  for (let length = 0, tries = 0; tries < 5; tries++) {
    shifts = addShiftRow(rows, { ...preamblePosition, length });
    const registered: ModuleShifts = sourceMap ? { rows: shifts, mapped: true } : { rows: shifts };
    text = `${head}${json(registered)}${prints})${table};`;
    if (text.length === length) break;
    length = text.length;
  }
  // A map that cannot be read (an index map, a file that does not parse) would be applied by Node to the
  // shifted columns: without it, frames name the rewritten code, which the shift rows map back exactly.
  const unusable = sourceMap ? undefined : mapComment;
  const comment = sourceMap
    ? { ...sourceMap.comment, text: sourceMap.formatInline(createColumnMap(shifts), new Set(shifts.map(([line]) => line))) }
    : unusable && { ...unusable, text: '// (racecheck: source map not readable, left out)' };
  // First at its offset: a module may start with a tracked access, whose opening shares the offset.
  edits.push({ offset: at.offset, text, order: -1, depth: 0 });
  return { code: applyEdits(source, edits, comment), sites, shifts };
}

/** Minified code has lines of megabytes: a site keeps the part around its column (reports show it trimmed). */
const LONG_LINE = 240;

function excerpt(text: string, column: number): string {
  const from = Math.max(0, column - 1 - 60);
  const to = Math.min(text.length, from + LONG_LINE - 60);
  return `${from > 0 ? '…' : ''}${text.slice(from, to)}${to < text.length ? '…' : ''}`;
}

interface Edit {
  readonly offset: number;
  readonly text: string;
  /** At one offset: the preamble first (-1), then closing text (0), then operand openings (1). */
  readonly order: number;
  /** Within one order: `await await x` closes the inner call first and opens the outer one first. */
  readonly depth: number;
}

function applyEdits(source: string, edits: Edit[], replaced: { start: number; end: number; text: string } | undefined): string {
  edits.sort((a, b) => a.offset - b.offset || a.order - b.order || a.depth - b.depth);
  const parts: string[] = [];
  let last = 0;
  for (const edit of edits) {
    if (replaced && edit.offset > replaced.start && last <= replaced.start) {
      parts.push(source.slice(last, replaced.start), replaced.text);
      last = replaced.end;
    }
    parts.push(source.slice(last, edit.offset), edit.text);
    last = edit.offset;
  }
  if (replaced && last <= replaced.start) {
    parts.push(source.slice(last, replaced.start), replaced.text);
    last = replaced.end;
  }
  parts.push(source.slice(last));
  return parts.join('');
}

/** JSON that cannot add a line: U+2028 and U+2029 are line terminators to V8's line count, even in a string. */
function json(value: unknown): string {
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * Text without which a part of a module holds no scheduling point outside a lowered body: `await` (the
 * keyword of an await and of a `for await`, which cannot be spelled with escapes, and part of `__awaiter`),
 * the other helpers' names that mark a lowered body (transpiled.ts: `__async`, `__asyncGenerator`,
 * `_asyncToGenerator`, `_wrapAsyncGenerator`), and `__generator`, whose call lies between `__awaiter`'s
 * call and the state machine it marks. A backslash counts too: an escape can spell a helper's name in an
 * identifier or a string key.
 */
const POINT_TEXT = /await|__async|__generator|asyncgenerator|asynctogenerator|\\/gi;

/**
 * Finds every await, every `for await` and every transpiled await. A plain walk over the node's
 * properties, not oxc-parser's Visitor: that one loads its implementation with require(), which Node 22
 * refuses inside a module-hooks thread.
 *
 * The walk skips a node whose text holds none of POINT_TEXT while it is outside a lowered body (nodes nest
 * in the text): nothing in it can be an await, a `for await` or a helper's call, and its yields and returns
 * are not a lowered body's. A lowered body's own function is entered, whatever its text.
 */
function findPoints(source: string, program: AnyNode): Point[] {
  const points: Point[] = [];
  const lowered = new Map<AnyNode, LoweredBody>();
  const innerYields = new Set<AnyNode>();
  const offsets = Array.from(source.matchAll(POINT_TEXT), (match) => match.index);
  /** Whether one of `offsets` is in [start, end). */
  const holdsPointText = (start: number, end: number): boolean => {
    let low = 0;
    let high = offsets.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((offsets[mid] ?? 0) < start) low = mid + 1;
      else high = mid;
    }
    return low < offsets.length && (offsets[low] ?? 0) < end;
  };
  const visit = (node: AnyNode, body: LoweredBody | undefined): void => {
    if (body === undefined && !(lowered.size > 0 && lowered.has(node)) && !holdsPointText(node.start, node.end)) return;
    switch (node.type) {
      case 'AwaitExpression':
        points.push({ keyword: node.start, kind: 'await', operand: node.argument as Span });
        break;
      case 'ForOfStatement':
        if (node.await === true) points.push({ keyword: forAwaitKeyword(source, node), kind: 'for-await', operand: node.right as Span });
        break;
      case 'CallExpression':
        markLoweredBodies(node, lowered);
        break;
      case 'YieldExpression':
        if (body === 'generator' && node.delegate !== true) {
          const operand = node.argument as Span | null;
          points.push({ keyword: node.start, kind: 'await', operand, bareAt: node.start + 'yield'.length });
        } else if (body === 'async-generator' && node.delegate !== true) {
          if ((node.argument as AnyNode | null)?.type === 'YieldExpression') innerYields.add(node.argument as AnyNode);
          const operand = asyncGeneratorAwait(node, innerYields);
          if (operand) points.push({ keyword: node.start, kind: 'await', operand });
        }
        break;
      case 'ReturnStatement':
        if (body === 'state-machine') {
          const operand = stateMachineYield(node);
          if (operand) points.push({ keyword: (node.argument as Span).start, kind: 'await', operand });
        }
        break;
    }
    // A function starts a new body: yields belong to the nearest function only. While no body is marked
    // (most modules: nothing lowered), there is none to enter: a body is marked at its call, before its visit.
    const inner = lowered.size === 0 ? body : FUNCTION_TYPES.has(node.type) ? lowered.get(node) : body;
    for (const key in node) {
      if (key === 'parent') continue;
      const value = node[key];
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        for (const item of value) if (item !== null && typeof item === 'object' && typeof (item as AnyNode).type === 'string') visit(item as AnyNode, inner);
      } else if (typeof (value as AnyNode).type === 'string') {
        visit(value as AnyNode, inner);
      }
    }
  };
  visit(program, undefined);
  return points;
}

/** `for await (`: the node starts at `for`; the site is the `await` after it, past any space and comments. */
function forAwaitKeyword(source: string, node: AnyNode): number {
  const gap = /(?:\s|\/\/[^\n\r\u2028\u2029]*|\/\*[\s\S]*?\*\/)*/y;
  gap.lastIndex = node.start + 'for'.length;
  gap.exec(source);
  return gap.lastIndex;
}

/**
 * Where the preamble goes: at the start of the line after a hashbang, and after a directive prologue
 * ("use strict" must stay first), with a `;` when the last directive has none (ASI would not insert one
 * before `var` on the same line).
 */
function preambleOffset(source: string, lines: LineIndex, program: Program): { offset: number; separator: string } {
  let offset = 0;
  let separator = '';
  if (program.hashbang) offset = lines.starts[1] ?? source.length;
  for (const statement of program.body) {
    if (statement.type !== 'ExpressionStatement' || typeof statement.directive !== 'string') break;
    offset = statement.end;
    separator = source[statement.end - 1] === ';' ? '' : ';';
  }
  return { offset, separator };
}

/**
 * A `for await` over a value that is not iterable: V8 names its operand as `__rc$.fa(...)`, the call that
 * wraps it (`__rc$.fa(...) is not a function or its return value is not async iterable`).
 */
function forAwaitPrints(points: readonly Point[], lines: LineIndex): PrintRow[] {
  const rows: PrintRow[] = [];
  for (const point of points) {
    if (point.kind !== 'for-await' || !point.operand) continue;
    const operand = point.operand as unknown as AnyNode;
    const printed = printIterable(operand);
    if (printed === null) continue;
    const start = lines.positionOf(operand.start);
    const end = lines.positionOf(operand.end);
    rows.push([start.line, start.column, end.line === start.line ? end.column : 0, [printed.native], printed.call ? 0 : 1]);
  }
  return rows;
}

/** A print row with the line its source map puts it on, when the map has one. */
function mapPrintRow(row: PrintRow, sourceMap: SourceMap): PrintRow {
  const site = sourceMap.originalSite(row[0], row[1]);
  if (!site) return row;
  return [row[0], row[1], row[2], row[3], row[4], site[3] === undefined ? [site[0]] : [site[0], site[3]]];
}

/** A state row at its original position, when the module's source map has one in the module's own file. */
function mapStateRow(row: StateRow, sourceMap: SourceMap): StateRow {
  // Looked for by the name it starts with: a variable's, or a private field's owner (`this` of `this.#n`).
  const original = sourceMap.originalInModule(row[1], row[2], row[0].split('.')[0]);
  return original ? ([row[0], original.line, original.column, ...row.slice(3)] as unknown as StateRow) : row;
}
