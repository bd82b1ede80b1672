/**
 * The second half of instrumenting a module: its shared state. The await rewrite makes every await a
 * scheduling point; this finds the state that can cross one, so that the replay of a failing schedule can
 * record who read and wrote it (src/explain/). Three kinds of it are visible only in the source:
 *
 * - variables that outlive a call: module-level `let`/`var`, and a function's `let`/`var` that a nested
 *   function (a closure) uses and that is assigned after its declaration;
 * - `const` bindings of the same two kinds that hold a new object, array or collection (`const cache =
 *   new Map()`): not written, but named, so their operations can be reported as `cache.get("k")`;
 * - class private fields (`this.#balance`), which no Proxy or accessor can see from outside.
 *
 * Each read becomes `__rc$.v(entry, x)`, each write `x = __rc$.w(entry, e)`, each compound assignment and
 * update a call that records it too. Outside a recording replay those calls return their argument and do
 * nothing else. Every class body also gets `static{__rc$.k(this)}`, which marks the class as the user's
 * own: its instances are state racecheck may watch. Nothing here adds a line break.
 *
 * The scope analysis is deliberately small (no `with`, no sloppy-mode block functions: instrumented code
 * is modules and TypeScript). When it does not understand a construct it leaves the reference alone: a
 * missed access makes an explanation less complete, never a program behave differently.
 */
import type { PrintRow, StateRow } from './abi.js';
import { printedReads } from './call-print.js';
import type { LineIndex } from './lines.js';

export interface StateEdit {
  readonly offset: number;
  readonly text: string;
  /** At one offset: closing text first (0), then openings (1). */
  readonly order: 0 | 1;
  /** Within one order: openings outer first, closings inner first (see `opening`/`closing`). */
  readonly depth: number;
}

export interface StateAccesses {
  /** What the module registers: one row per rewritten access site. */
  readonly rows: readonly StateRow[];
  readonly edits: readonly StateEdit[];
  /** Where a TypeError's message would name a wrapped read (abi.ts PrintRow), without `mapped`. */
  readonly prints: readonly PrintRow[];
}

/** Where V8 prints an expression in a TypeError: a callee, an iterable, an array pattern's or an object pattern's value. */
type PrintKind = 'callee' | 'iterable' | 'array' | 'object';

/**
 * The local names the rewritten code uses: the runtime (shared with the await rewrite) and this module's
 * table; `__rc$` and `__rcV$` unless the module uses those names itself (rewrite.ts localNames).
 */
export interface LocalNames {
  readonly runtime: string;
  readonly table: string;
}

export interface StateOptions extends LocalNames {
  /**
   * TypeScript is compiled after the rewrite, by esbuild (tsx, Vite), which drops the parentheses and
   * assertions around an assignment's target: `(f) = function () {}` names the function there, as in `f = …`.
   */
  readonly typescript: boolean;
}

type Node = { readonly type: string; readonly start: number; readonly end: number; readonly [key: string]: unknown };

interface Scope {
  readonly parent: Scope | null;
  /** The function (or module) this scope belongs to. */
  readonly fn: Scope;
  readonly isModule: boolean;
  readonly bindings: Map<string, Binding>;
}

type BindingKind = 'let' | 'var' | 'const' | 'other';

interface Binding {
  readonly name: string;
  readonly kind: BindingKind;
  readonly scope: Scope;
  /** Initialised with a new object, array, Map or Set (`const cache = new Map()`). */
  readonly objectLike: boolean;
  /**
   * Whether it can be tracked at all (`isTracked` asks it first): a `let` or `var`, or a `const` holding an object.
   * The references of the others (parameters, functions, imports, a `const` of a number) are never asked
   * for: they are not kept.
   */
  readonly watched: boolean;
  /** The class it was made with, for `new X(…)`. */
  readonly made?: string;
  readonly refs: Ref[];
  /** Written somewhere other than its declaration (including writes that cannot be rewritten). */
  mutated: boolean;
  /** In `Resolver.bindings` already. */
  listed: boolean;
}

type Role = 'read' | 'shorthand' | 'write' | 'compound' | 'update';

interface Ref {
  readonly node: Node;
  readonly role: Role;
  /** The function scope the reference occurs in. */
  readonly fn: Scope;
  /** For `write`: the assigned expression; for compound and update: the whole expression. */
  readonly whole: Node;
  /** A `write` whose target is parenthesized in JavaScript (`(f) = function () {}`), which names no function. */
  readonly nameless?: true;
}

interface PrivateRef {
  readonly node: Node;
  readonly role: Role;
  readonly whole: Node;
  /** `this` or the identifier the field is read on: evaluated a second time, so it must have no effects. */
  readonly owner: string;
  readonly field: string;
}

/** Keys that hold types, never values. */
const TYPE_KEYS = new Set(['typeAnnotation', 'returnType', 'typeParameters', 'typeArguments', 'superTypeArguments', 'implements']);
/** Declarations that exist only for the type checker. */
const TYPE_ONLY = new Set([
  'TSInterfaceDeclaration',
  'TSTypeAliasDeclaration',
  'TSDeclareFunction',
  'TSEnumDeclaration',
  'TSImportEqualsDeclaration',
  'TSExportAssignment',
  'TSNamespaceExportDeclaration',
  // Class members TypeScript erases: an overload's signature (a method without a body), abstract members,
  // an index signature. Their parameters and keys are no references, and are not even JavaScript.
  'TSEmptyBodyFunctionExpression',
  'TSAbstractMethodDefinition',
  'TSAbstractPropertyDefinition',
  'TSAbstractAccessorProperty',
  'TSIndexSignature',
]);

/**
 * Whether a node is one of TYPE_ONLY, asked of every node by both passes. Their names all start with `TS`,
 * which is checked first: the parser's type names are strings of their own, one per node, and looking one up
 * in a set hashes it.
 */
function isTypeOnly(type: string): boolean {
  return type.startsWith('TS') && TYPE_ONLY.has(type);
}

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);
const LOGICAL_ASSIGNMENT = new Set(['||=', '&&=', '??=']);

/**
 * Finds the shared state of a module and the edits that make it observable. `program` is the module's
 * ESTree AST (oxc-parser); `lines` gives the line index of its source, which the rewrite shares (it is
 * asked for only when there are rows to place). Returns null when there is nothing to track, or when the
 * analysis met something it does not handle (the module then runs with its awaits rewritten only).
 */
export function findStateAccesses(program: unknown, lines: () => LineIndex, names: StateOptions): StateAccesses | null {
  try {
    return analyse(program as Node, lines, names);
  } catch {
    // A construct the analysis does not know, or a nesting too deep for it: track nothing in this module.
    return null;
  }
}

function analyse(program: Node, lineIndex: () => LineIndex, names: StateOptions): StateAccesses | null {
  const RT = names.runtime;
  const scopes = new Map<Node, Scope>();
  const moduleScope = createScope(null, true);
  scopes.set(program, moduleScope);
  const classes: Node[] = [];
  declareAll(program, moduleScope, scopes, classes);

  const privateRefs: PrivateRef[] = [];
  const resolver = new Resolver(scopes, privateRefs, names.typescript);
  resolver.visit(program, moduleScope, moduleScope, []);

  const rows: StateRow[] = [];
  const edits: StateEdit[] = [];
  /** Each wrapped read, and what V8 prints for it as written. */
  const wrapped = new Map<Node, string>();
  const entry = (display: string, node: Node, identity: number | string, made?: string): string => {
    const { line, column } = lineIndex().positionOf(node.start);
    rows.push(made === undefined ? [display, line, column, identity] : [display, line, column, identity, made]);
    return `${names.table}[${rows.length - 1}]`;
  };

  let tracked = 0;
  for (const binding of resolver.bindings) {
    if (!isTracked(binding)) continue;
    const identity = tracked++;
    for (const ref of binding.refs) {
      if (!binding.mutated && ref.role !== 'read' && ref.role !== 'shorthand') continue;
      wrap(edits, RT, ref.role, ref.node, ref.whole, entry(binding.name, ref.node, identity, binding.made), binding.name, ref.nameless === true ? undefined : '', resolver.newCallees.has(ref.node));
      if (ref.role === 'read') wrapped.set(ref.node, binding.name);
    }
  }
  for (const ref of privateRefs) {
    const display = `${ref.owner}.#${ref.field}`;
    wrap(edits, RT, ref.role, ref.node, ref.whole, entry(display, ref.node, `#${ref.field}`), display, `,${ref.owner}`, resolver.newCallees.has(ref.node));
    if (ref.role === 'read') wrapped.set(ref.node, `${ref.owner}[#${ref.field}]`);
  }
  for (const body of classes) edits.push(opening(body.start + 1, `static{${RT}.k?.(this)}`, body.start + 1, 0));
  if (rows.length === 0 && classes.length === 0) return null;
  return { rows, edits, prints: wrapped.size === 0 ? [] : printRows(resolver.printed, wrapped, lineIndex()) };
}

function printRows(printed: readonly { node: Node; kind: PrintKind }[], wrapped: ReadonlyMap<Node, string>, lines: LineIndex): PrintRow[] {
  const prints: PrintRow[] = [];
  for (const { node, kind } of printed) {
    const natives = printedReads(node, wrapped);
    if (natives.length === 0) continue;
    const direct = wrapped.has(unwrapExpression(node) as Node);
    // An array pattern's value is named only when it is a name (`const [a] = x`); else V8 names the value, as written too.
    if (kind === 'array' && !direct) continue;
    const start = lines.positionOf(node.start);
    const end = lines.positionOf(node.end);
    prints.push([start.line, start.column, end.line === start.line ? end.column : 0, natives, !direct ? 0 : kind === 'array' ? 2 : kind === 'iterable' ? 1 : 0]);
  }
  return prints;
}

/**
 * The edits for one access. `target` is the text that re-reads it (the variable's name, or `this.#f`),
 * `owner` the `,owner` argument for private fields (empty for variables). `constructed`: a read in the callee
 * of a `new`, which the wrapper's call must not be taken for (`new (__rc$.v(e,X))()`).
 */
function wrap(edits: StateEdit[], RT: string, role: Role, node: Node, whole: Node, entry: string, target: string, ownerOrNameless: string | undefined, constructed: boolean): void {
  // undefined: a variable's write that names nothing (a parenthesized target in JavaScript).
  const owner = ownerOrNameless ?? '';
  switch (role) {
    case 'read': {
      const [open, close] = constructed ? ['(', ')'] : ['', ''];
      edits.push(opening(node.start, `${open}${RT}.v(${entry},`, node.start, node.end - node.start));
      edits.push(closing(node.end, `${owner})${close}`, node.start, node.end - node.start));
      return;
    }
    case 'shorthand':
      // `{ __proto__ }` is an own property named __proto__; `__proto__: v` would set the prototype.
      edits.push(opening(node.start, `${target === '__proto__' ? '["__proto__"]' : target}:${RT}.v(${entry},`, node.start, node.end - node.start));
      edits.push(closing(node.end, `${owner})`, node.start, node.end - node.start));
      return;
    case 'write': {
      // `f = () => {}` names the function `f`; inside the wrapper's call it would have no name, so a property of
      // that name gives it (`{["f"]: () => {}}["f"]`, computed so that `__proto__` is a name like any other).
      // Only a variable's assignment names a function.
      const key = ownerOrNameless === '' && isAnonymousFunction(whole) ? JSON.stringify(target) : undefined;
      const [open, close] = key === undefined ? ['', ''] : [`{[${key}]:`, `}[${key}]`];
      edits.push(opening(whole.start, `${RT}.w(${entry},${open}`, whole.start, whole.end - whole.start));
      edits.push(closing(whole.end, `${close}${owner})`, whole.start, whole.end - whole.start));
      return;
    }
    case 'compound': {
      if (owner !== '') {
        // A private member may be an accessor (a decorated `accessor #x`, lowered after the rewrite): read once.
        // `this.#x += e` becomes `b(v(entry, this.#x), (p) => this.#x = w(entry, p)).v += e`: the cell's `v` is
        // the value read, and setting it writes the member, so the operator reads, evaluates and sets once each.
        const value = `${RT}v`;
        edits.push(opening(node.start, `${RT}.b(${RT}.v(${entry},`, node.start, node.end - node.start));
        edits.push(closing(node.end, `${owner}),(${value})=>${target}=${RT}.w(${entry},${value}${owner})).v`, node.start, node.end - node.start));
        return;
      }
      const logical = LOGICAL_ASSIGNMENT.has(String(whole.operator)) ? 1 : 0;
      // The old value is read (and recorded) before the right-hand side runs, which may await.
      edits.push(opening(whole.start, `${RT}.c(${entry},${RT}.v(${entry},${target}${owner}),`, whole.start, whole.end - whole.start));
      edits.push(closing(whole.end, `,${logical}${owner})`, whole.start, whole.end - whole.start));
      return;
    }
    case 'update': {
      const delta = whole.operator === '--' ? -1 : 1;
      edits.push(opening(whole.start, `${RT}.u(${entry},`, whole.start, whole.end - whole.start));
      edits.push(closing(whole.end, `,${delta},${whole.prefix === true ? 1 : 0}${owner})`, whole.start, whole.end - whole.start));
    }
  }
}

/** TypeScript's wrappers and parentheses, which leave the function inside them the one that gets named. */
const TRANSPARENT = new Set(['ParenthesizedExpression', 'TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TSTypeAssertion']);

/** Whether an assignment of `node` to a variable names it (ECMAScript's IsAnonymousFunctionDefinition). */
function isAnonymousFunction(node: Node): boolean {
  let inner = node;
  while (TRANSPARENT.has(inner.type)) inner = inner.expression as Node;
  if (inner.type === 'ArrowFunctionExpression') return true;
  return (inner.type === 'FunctionExpression' || inner.type === 'ClassExpression') && !inner.id;
}

/**
 * Depths that nest correctly with each other and with the await rewrite's edits, whose openings have the
 * await keyword's offset as depth and whose closings its negation: at one offset, an outer node opens
 * first and closes last, and a node that starts at an await keyword (`x = await y`) encloses that await.
 */
function opening(offset: number, text: string, start: number, length: number): StateEdit {
  return { offset, text, order: 1, depth: start + 0.5 - 0.25 * (length / (length + 1)) };
}

function closing(offset: number, text: string, start: number, length: number): StateEdit {
  return { offset, text, order: 0, depth: -start + 0.25 + 0.25 * (length / (length + 1)) };
}

function isTracked(binding: Binding): boolean {
  // `watched` holds the rule of kinds: a `let` or `var`, or a `const` holding an object (which objectLike then is).
  if (!binding.watched) return false;
  const shared = binding.scope.fn.isModule || binding.refs.some((ref) => ref.fn !== binding.scope.fn);
  return shared && (binding.mutated || binding.objectLike);
}

function createScope(parent: Scope | null, fn: boolean): Scope {
  const scope: { parent: Scope | null; fn: Scope; isModule: boolean; bindings: Map<string, Binding> } = {
    parent,
    fn: undefined as unknown as Scope,
    isModule: parent === null,
    bindings: new Map(),
  };
  scope.fn = fn || parent === null ? scope : parent.fn;
  return scope;
}

function declare(scope: Scope, name: string, kind: BindingKind, init?: Node | null): void {
  // A redeclaration (`var x` twice, a function and a var) is the same binding; the first kind wins.
  if (scope.bindings.has(name)) return;
  const node = unwrapExpression(init);
  const objectLike = node?.type === 'NewExpression' || node?.type === 'ObjectExpression' || node?.type === 'ArrayExpression';
  const callee = node?.type === 'NewExpression' ? (node.callee as Node) : undefined;
  const made = callee?.type === 'Identifier' ? (callee.name as string) : undefined;
  const watched = kind !== 'other' && (kind !== 'const' || objectLike);
  scope.bindings.set(
    name,
    made === undefined ? { name, kind, scope, objectLike, watched, refs: [], mutated: false, listed: false } : { name, kind, scope, objectLike, made, watched, refs: [], mutated: false, listed: false },
  );
}

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && typeof (value as Node).type === 'string';
}

/**
 * Whether a key of a node holds children to walk into: not the types (TYPE_KEYS), not a parent link.
 * Both passes walk most of a module's nodes through their keys, each in a loop of its own
 * (`declareChildren`, `Resolver.visitChildren`) rather than through a callback, which made a closure per
 * node in each pass.
 */
function isChildKey(key: string): boolean {
  return key !== 'parent' && !TYPE_KEYS.has(key);
}

function unwrapExpression(node: Node | null | undefined): Node | null | undefined {
  let current = node;
  while (current && (current.type === 'ParenthesizedExpression' || current.type === 'TSAsExpression' || current.type === 'TSSatisfiesExpression' || current.type === 'TSNonNullExpression' || current.type === 'TSTypeAssertion')) {
    current = current.expression as Node;
  }
  return current;
}

/** Names a binding pattern declares (`{ a, b: [c] }` declares a and c). */
function patternNames(pattern: Node | null | undefined, out: string[] = []): string[] {
  if (!pattern) return out;
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern.name as string);
      break;
    case 'ObjectPattern':
      for (const property of pattern.properties as Node[]) patternNames(property.type === 'RestElement' ? (property.argument as Node) : (property.value as Node), out);
      break;
    case 'ArrayPattern':
      for (const element of pattern.elements as (Node | null)[]) patternNames(element, out);
      break;
    case 'RestElement':
      patternNames(pattern.argument as Node, out);
      break;
    case 'AssignmentPattern':
      patternNames(pattern.left as Node, out);
      break;
    case 'TSParameterProperty':
      patternNames(pattern.parameter as Node, out);
      break;
  }
  return out;
}

/** Pass 1: scopes and the bindings each declares (var and function hoisting included). */
function declareAll(node: Node, scope: Scope, scopes: Map<Node, Scope>, classes: Node[]): void {
  if (isTypeOnly(node.type)) {
    if ((node.type === 'TSEnumDeclaration' || node.type === 'TSImportEqualsDeclaration') && isNode(node.id)) declare(scope, (node.id as Node).name as string, 'other');
    return;
  }
  if (node.declare === true) return;
  // Inside `with` (sloppy CommonJS), a name may be a property of its object, read with the object as the
  // receiver of a call: nothing of such a module is tracked (the catch in findStateAccesses).
  if (node.type === 'WithStatement') throw new Error('a with statement');
  switch (node.type) {
    case 'ImportDeclaration':
      for (const specifier of node.specifiers as Node[]) declare(scope, (specifier.local as Node).name as string, 'other');
      return;
    case 'VariableDeclaration': {
      const kind = node.kind === 'var' ? 'var' : node.kind === 'let' ? 'let' : node.kind === 'const' ? 'const' : 'other';
      const target = kind === 'var' ? scope.fn : scope;
      for (const declarator of node.declarations as Node[]) {
        const id = declarator.id as Node;
        const single = id.type === 'Identifier';
        for (const name of patternNames(id)) declare(target, name, kind, single ? (declarator.init as Node | null) : null);
        if (declarator.init) declareAll(declarator.init as Node, scope, scopes, classes);
        declarePatternDefaults(id, scope, scopes, classes);
      }
      return;
    }
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression': {
      if (node.type === 'FunctionDeclaration' && isNode(node.id)) declare(scope, (node.id as Node).name as string, 'other');
      const inner = createScope(scope, true);
      scopes.set(node, inner);
      if (node.type === 'FunctionExpression' && isNode(node.id)) declare(inner, (node.id as Node).name as string, 'other');
      for (const param of node.params as Node[]) {
        for (const name of patternNames(param)) declare(inner, name, 'other');
        declarePatternDefaults(param, inner, scopes, classes);
      }
      const body = node.body as Node | null;
      if (body?.type === 'BlockStatement') {
        scopes.set(body, inner);
        for (const statement of body.body as Node[]) declareAll(statement, inner, scopes, classes);
      } else if (body) {
        declareAll(body, inner, scopes, classes);
      }
      return;
    }
    case 'ClassDeclaration':
    case 'ClassExpression': {
      if (node.type === 'ClassDeclaration' && isNode(node.id)) declare(scope, (node.id as Node).name as string, 'other');
      const inner = createScope(scope, false);
      scopes.set(node, inner);
      if (node.type === 'ClassExpression' && isNode(node.id)) declare(inner, (node.id as Node).name as string, 'other');
      classes.push(node.body as Node);
      if (node.superClass) declareAll(node.superClass as Node, scope, scopes, classes);
      for (const decorator of (node.decorators as Node[] | undefined) ?? []) declareAll(decorator, scope, scopes, classes);
      for (const member of (node.body as Node).body as Node[]) {
        // Field initialisers and static blocks run like methods: closures over the class scope.
        if (member.type === 'PropertyDefinition' || member.type === 'AccessorProperty' || member.type === 'StaticBlock') {
          const fieldScope = createScope(inner, true);
          scopes.set(member, fieldScope);
          if (member.computed === true) declareAll(member.key as Node, inner, scopes, classes);
          if (member.type === 'StaticBlock') for (const statement of member.body as Node[]) declareAll(statement, fieldScope, scopes, classes);
          else if (member.value) declareAll(member.value as Node, fieldScope, scopes, classes);
        } else {
          declareAll(member, inner, scopes, classes);
        }
      }
      return;
    }
    case 'BlockStatement':
    case 'StaticBlock':
    case 'SwitchStatement':
    case 'ForStatement':
    case 'ForInStatement':
    case 'ForOfStatement':
    case 'CatchClause':
    case 'TSModuleDeclaration': {
      const inner = createScope(scope, node.type === 'StaticBlock' || node.type === 'TSModuleDeclaration');
      scopes.set(node, inner);
      if (node.type === 'CatchClause' && node.param) {
        for (const name of patternNames(node.param as Node)) declare(inner, name, 'other');
      }
      declareChildren(node, inner, scopes, classes);
      return;
    }
  }
  declareChildren(node, scope, scopes, classes);
}

function declareChildren(node: Node, scope: Scope, scopes: Map<Node, Scope>, classes: Node[]): void {
  for (const key in node) {
    const value = node[key];
    if (value === null || typeof value !== 'object' || !isChildKey(key)) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) declareAll(item, scope, scopes, classes);
    } else if (isNode(value)) {
      declareAll(value, scope, scopes, classes);
    }
  }
}

/** Default values in patterns (`{ a = f() }`) are expressions: functions and classes in them get scopes too. */
function declarePatternDefaults(pattern: Node | null | undefined, scope: Scope, scopes: Map<Node, Scope>, classes: Node[]): void {
  if (!pattern) return;
  switch (pattern.type) {
    case 'AssignmentPattern':
      declareAll(pattern.right as Node, scope, scopes, classes);
      declarePatternDefaults(pattern.left as Node, scope, scopes, classes);
      return;
    case 'ObjectPattern':
      for (const property of pattern.properties as Node[]) {
        if (property.type === 'RestElement') continue;
        if (property.computed === true) declareAll(property.key as Node, scope, scopes, classes);
        declarePatternDefaults(property.value as Node, scope, scopes, classes);
      }
      return;
    case 'ArrayPattern':
      for (const element of pattern.elements as (Node | null)[]) declarePatternDefaults(element, scope, scopes, classes);
      return;
    case 'TSParameterProperty':
      declarePatternDefaults(pattern.parameter as Node, scope, scopes, classes);
  }
}

/** Pass 2: every reference, resolved to its binding, with its role. */
class Resolver {
  /** The watched bindings that are referenced, in the order of their first reference. */
  readonly bindings: Binding[] = [];
  /**
   * The callee of each `new` and the objects down its member chain (`X` in `new X()` and `new X.Y()`): a read
   * wrapped there needs parentheses, or `new` would take the wrapper's call for its own.
   */
  readonly newCallees = new Set<Node>();
  /** The expressions a TypeError's message may print (see PrintRow). */
  readonly printed: { node: Node; kind: PrintKind }[] = [];

  constructor(
    private readonly scopes: Map<Node, Scope>,
    private readonly privateRefs: PrivateRef[],
    private readonly typescript: boolean,
  ) {}

  /** `fields` is the stack of private field names declared by the enclosing classes, innermost last. */
  visit(node: Node, scope: Scope, fn: Scope, fields: readonly Set<string>[]): void {
    if (isTypeOnly(node.type) || node.declare === true) return;
    const own = this.scopes.get(node);
    const inner = own ?? scope;
    const innerFn = own && own.fn === own ? own : fn;
    switch (node.type) {
      case 'Identifier':
        this.reference(node, 'read', node, scope, fn);
        return;
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
      case 'LabeledStatement':
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
      case 'PrivateIdentifier':
        if (node.type === 'LabeledStatement') this.visit(node.body as Node, scope, fn, fields);
        return;
      case 'ExportNamedDeclaration':
        // `export { x }` names a binding without reading it at run time.
        if (node.declaration) this.visit(node.declaration as Node, scope, fn, fields);
        return;
      case 'VariableDeclaration':
        for (const declarator of node.declarations as Node[]) {
          const id = declarator.id as Node;
          this.pattern(id, scope, fn, fields, false);
          if (!declarator.init) continue;
          if (id.type === 'ArrayPattern' || id.type === 'ObjectPattern') this.printed.push({ node: declarator.init as Node, kind: id.type === 'ArrayPattern' ? 'array' : 'object' });
          this.visit(declarator.init as Node, scope, fn, fields);
        }
        return;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        for (const param of node.params as Node[]) this.pattern(param, inner, innerFn, fields, false);
        if (node.body) this.visitBody(node.body as Node, inner, innerFn, fields);
        return;
      case 'ClassDeclaration':
      case 'ClassExpression':
        this.visitClass(node, scope, fn, inner, fields);
        return;
      case 'CatchClause':
        if (node.param) this.pattern(node.param as Node, inner, innerFn, fields, false);
        this.visit(node.body as Node, inner, innerFn, fields);
        return;
      case 'MemberExpression':
        this.member(node, 'read', node, scope, fn, fields);
        return;
      case 'Property':
        // In an object literal: a computed key is an expression, a shorthand value is a read.
        if (node.computed === true) this.visit(node.key as Node, scope, fn, fields);
        if (node.shorthand === true && (node.value as Node).type === 'Identifier') this.reference(node.value as Node, 'shorthand', node.value as Node, scope, fn);
        else this.visit(node.value as Node, scope, fn, fields);
        return;
      case 'MethodDefinition':
      case 'PropertyDefinition':
      case 'AccessorProperty':
        // An overload's signature is erased whole, its computed key and decorators too.
        if ((node.value as Node | null)?.type === 'TSEmptyBodyFunctionExpression') return;
        if (node.computed === true) this.visit(node.key as Node, scope, fn, fields);
        if (node.value) this.visit(node.value as Node, inner, innerFn, fields);
        // Decorators are not visited: a decorator is `@` and a member chain or a parenthesized expression, and a
        // read wrapped in a call (\`@__rc$.v(…, decs).id\`) is neither. They run once, when the class is defined.
        return;
      case 'StaticBlock':
        for (const statement of node.body as Node[]) this.visit(statement, inner, innerFn, fields);
        return;
      case 'AssignmentExpression': {
        // The parser keeps no parentheses around a target (`(f) = …`): the target starts later than the assignment then.
        const left = unwrapExpression(node.left as Node) as Node;
        const role: Role = node.operator === '=' ? 'write' : 'compound';
        const whole = role === 'write' ? (node.right as Node) : node;
        if (left.type === 'Identifier') this.reference(left, role, whole, scope, fn, role === 'write' && left.start !== node.start && !this.typescript);
        else if (left.type === 'MemberExpression') this.member(left, role, whole, scope, fn, fields);
        else {
          if (left.type === 'ObjectPattern') this.printed.push({ node: node.right as Node, kind: 'object' });
          this.pattern(left, scope, fn, fields, true);
        }
        this.visit(node.right as Node, scope, fn, fields);
        return;
      }
      case 'UpdateExpression': {
        const argument = unwrapExpression(node.argument as Node) as Node;
        if (argument.type === 'Identifier') this.reference(argument, 'update', node, scope, fn);
        else if (argument.type === 'MemberExpression') this.member(argument, 'update', node, scope, fn, fields);
        else this.visit(argument, scope, fn, fields);
        return;
      }
      case 'ForInStatement':
      case 'ForOfStatement': {
        const left = node.left as Node;
        if (left.type === 'VariableDeclaration') this.visit(left, inner, innerFn, fields);
        else this.pattern(left, inner, innerFn, fields, true);
        if (node.type === 'ForOfStatement' && node.await !== true) this.printed.push({ node: node.right as Node, kind: 'iterable' });
        this.visit(node.right as Node, inner, innerFn, fields);
        this.visit(node.body as Node, inner, innerFn, fields);
        return;
      }
      case 'SpreadElement':
        this.printed.push({ node: node.argument as Node, kind: 'iterable' });
        break;
      case 'UnaryExpression':
        // `delete x` is about the binding, not its value; `typeof x` reads it like any other use.
        if (node.operator === 'delete') {
          const argument = node.argument as Node;
          if (argument.type === 'MemberExpression') this.visitMemberParts(argument, scope, fn, fields);
          return;
        }
        break;
      case 'TaggedTemplateExpression': {
        const tag = unwrapExpression(node.tag as Node) as Node;
        this.printed.push({ node: node.tag as Node, kind: 'callee' });
        if (tag.type === 'MemberExpression' && (tag.property as Node).type === 'PrivateIdentifier') this.visitMemberParts(tag, scope, fn, fields);
        else this.visit(tag, scope, fn, fields);
        this.visit(node.quasi as Node, scope, fn, fields);
        return;
      }
      case 'CallExpression':
      case 'NewExpression': {
        const callee = node.callee as Node;
        if (node.type === 'NewExpression') {
          // Down the chain that `new` binds to: `new a.b.C()`, and a tag's (`new tag\`x\`()` constructs what the tag returns).
          for (let base: Node | undefined = callee; base; base = base.type === 'MemberExpression' ? (base.object as Node) : base.type === 'TaggedTemplateExpression' ? (base.tag as Node) : undefined) {
            this.newCallees.add(base);
          }
        }
        this.printed.push({ node: callee, kind: 'callee' });
        // A method called on a private field (`this.#m()`, `(this.#m)()`) keeps its receiver: the callee stays as written.
        const target = unwrapExpression(callee) as Node;
        if (target.type === 'MemberExpression' && (target.property as Node).type === 'PrivateIdentifier') this.visitMemberParts(target, scope, fn, fields);
        else this.visit(callee, scope, fn, fields);
        for (const argument of node.arguments as Node[]) this.visit(argument, scope, fn, fields);
        return;
      }
    }
    this.visitChildren(node, inner, innerFn, fields);
  }

  private visitChildren(node: Node, scope: Scope, fn: Scope, fields: readonly Set<string>[]): void {
    for (const key in node) {
      const value = node[key];
      if (value === null || typeof value !== 'object' || !isChildKey(key)) continue;
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) this.visit(item, scope, fn, fields);
      } else if (isNode(value)) {
        this.visit(value, scope, fn, fields);
      }
    }
  }

  private visitBody(body: Node, scope: Scope, fn: Scope, fields: readonly Set<string>[]): void {
    if (body.type === 'BlockStatement') for (const statement of body.body as Node[]) this.visit(statement, scope, fn, fields);
    else this.visit(body, scope, fn, fields);
  }

  private visitClass(node: Node, outer: Scope, fn: Scope, inner: Scope, fields: readonly Set<string>[]): void {
    if (node.superClass) this.visit(node.superClass as Node, outer, fn, fields);
    // Decorators are not visited (see the members' case in visit).
    const own = new Set<string>();
    const body = node.body as Node;
    for (const member of body.body as Node[]) {
      const key = member.key as Node | undefined;
      if ((member.type === 'PropertyDefinition' || member.type === 'AccessorProperty') && key?.type === 'PrivateIdentifier') own.add(key.name as string);
    }
    // A private method or accessor hides a field of the same name of an outer class.
    const methods = new Set<string>();
    for (const member of body.body as Node[]) {
      const key = member.key as Node | undefined;
      if (member.type === 'MethodDefinition' && key?.type === 'PrivateIdentifier') methods.add(key.name as string);
    }
    const stack = [...fields.map((set) => new Set([...set].filter((name) => !own.has(name) && !methods.has(name)))), own];
    for (const member of body.body as Node[]) this.visit(member, inner, fn, stack);
  }

  /** A member expression in `role`: tracked when it is a private field read on `this` or on a variable. */
  private member(node: Node, role: Role, whole: Node, scope: Scope, fn: Scope, fields: readonly Set<string>[]): void {
    const property = node.property as Node;
    const object = unwrapExpression(node.object as Node) as Node;
    if (property.type === 'PrivateIdentifier' && node.optional !== true && (object.type === 'ThisExpression' || object.type === 'Identifier')) {
      const field = property.name as string;
      if (fields.some((set) => set.has(field))) {
        const owner = object.type === 'ThisExpression' ? 'this' : (object.name as string);
        this.privateRefs.push({ node, role, whole, owner, field });
      }
    }
    this.visitMemberParts(node, scope, fn, fields);
  }

  private visitMemberParts(node: Node, scope: Scope, fn: Scope, fields: readonly Set<string>[]): void {
    this.visit(node.object as Node, scope, fn, fields);
    if (node.computed === true) this.visit(node.property as Node, scope, fn, fields);
  }

  /**
   * A binding or assignment pattern: declared names are not references; in an assignment (`assigning`)
   * the names are writes that cannot be rewritten in place, so they only mark their bindings as mutated.
   */
  private pattern(node: Node | null | undefined, scope: Scope, fn: Scope, fields: readonly Set<string>[], assigning: boolean): void {
    if (!node) return;
    switch (node.type) {
      case 'Identifier':
        if (assigning) this.markMutated(node, scope);
        return;
      case 'MemberExpression':
        this.visitMemberParts(node, scope, fn, fields);
        return;
      case 'ObjectPattern':
        for (const property of node.properties as Node[]) {
          if (property.type === 'RestElement') this.pattern(property.argument as Node, scope, fn, fields, assigning);
          else {
            if (property.computed === true) this.visit(property.key as Node, scope, fn, fields);
            this.pattern(property.value as Node, scope, fn, fields, assigning);
          }
        }
        return;
      case 'ArrayPattern':
        for (const element of node.elements as (Node | null)[]) this.pattern(element, scope, fn, fields, assigning);
        return;
      case 'RestElement':
        this.pattern(node.argument as Node, scope, fn, fields, assigning);
        return;
      case 'AssignmentPattern':
        this.pattern(node.left as Node, scope, fn, fields, assigning);
        this.visit(node.right as Node, scope, fn, fields);
        return;
      case 'TSParameterProperty':
        this.pattern(node.parameter as Node, scope, fn, fields, assigning);
        return;
      default: {
        // `(x) = 1`, `x! = 1`, `(x as T) = 1`: the target inside the parentheses or the type assertion.
        const inner = unwrapExpression(node) as Node;
        if (inner !== node) this.pattern(inner, scope, fn, fields, assigning);
        else this.visit(node, scope, fn, fields);
      }
    }
  }

  private resolve(name: string, scope: Scope): Binding | undefined {
    for (let current: Scope | null = scope; current; current = current.parent) {
      // Most block scopes declare nothing.
      if (current.bindings.size === 0) continue;
      const binding = current.bindings.get(name);
      if (binding) return binding;
    }
    return undefined;
  }

  private markMutated(node: Node, scope: Scope): void {
    const binding = this.resolve(node.name as string, scope);
    if (binding) binding.mutated = true;
  }

  private reference(node: Node, role: Role, whole: Node, scope: Scope, fn: Scope, nameless = false): void {
    const binding = this.resolve(node.name as string, scope);
    if (!binding) return;
    if (role !== 'read' && role !== 'shorthand') binding.mutated = true;
    if (!binding.watched) return;
    binding.refs.push(nameless ? { node, role, fn, whole, nameless } : { node, role, fn, whole });
    if (!binding.listed) {
      binding.listed = true;
      this.bindings.push(binding);
    }
  }
}
