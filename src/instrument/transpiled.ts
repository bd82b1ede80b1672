/**
 * Async functions that a compiler lowered for engines without them. Each helper drives a generator and
 * adopts what it yields as a native await adopts its operand, so wrapping the yielded value in the
 * runtime's `a(value, site)` makes that yield a scheduling point with the same semantics:
 *
 * - TypeScript (ES2015+): `__awaiter(this, void 0, void 0, function* () { … yield x; … })`, inlined or
 *   from tslib (`tslib.__awaiter(…)`, `(0, tslib_1.__awaiter)(…)`); its step does `adopt(value).then(…)`.
 * - Babel: `_asyncToGenerator(function* () { … })`, inlined or `(0, _asyncToGenerator2.default)(…)` from
 *   @babel/runtime; its step does `Promise.resolve(value).then(…)`.
 * - esbuild: `__async(this, null, function* () { … })`; its step does `Promise.resolve(value).then(…)`.
 * - TypeScript (ES5): `__awaiter(…, function () { return __generator(this, function (_a) { … }) })`,
 *   where `return [4 (yield), x]` is the state machine's yield, as the opcode says.
 * - Async generators: TypeScript's `__asyncGenerator(this, arguments, function* () { … })` writes an await
 *   as `yield __await(x)`, Babel's `_wrapAsyncGenerator(function* () { … })` as
 *   `yield _awaitAsyncGenerator(x)`, esbuild's `__asyncGenerator(this, null, function* () { … })` as
 *   `yield new __await(x)`; the helpers resume with `Promise.resolve(x).then(…)`, so `x` is wrapped. TypeScript's `yield yield __await(v)` is the generator's own `yield v` (which awaits `v`, as
 *   a native async generator's yield does, and like it is not a scheduling point).
 *
 * Only yields whose nearest function is the generator handed to one of these helpers count: `yield*`,
 * yields of nested functions and generators used as generators are left alone.
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

export type AnyNode = Span & { readonly type: string; readonly [key: string]: unknown };

/** How a function's yields are read. */
export type LoweredBody = 'generator' | 'state-machine' | 'async-generator';

const AWAITER = /^__awaiter[\d$]*$/;
const ESBUILD_ASYNC = /^__async[\d$]*$/;
const BABEL_ASYNC = /^_*asyncToGenerator[\d$]*$/i;
const GENERATOR = /^__generator[\d$]*$/;
const TS_ASYNC_GENERATOR = /^__asyncGenerator[\d$]*$/;
const BABEL_ASYNC_GENERATOR = /^_*wrapAsyncGenerator[\d$]*$/i;
const AWAIT_IN_ASYNC_GENERATOR = /^(?:__await|_*awaitAsyncGenerator)[\d$]*$/i;

/**
 * The helper a call invokes, by the name it is called with: `f(…)`, `ns.f(…)`, `ns["f"](…)`, `(0, ns.f)(…)`,
 * and `ns.default(…)` where `ns` itself is named after the helper (@babel/runtime's interop).
 */
function helperName(callee: AnyNode | undefined): string | undefined {
  if (!callee) return undefined;
  switch (callee.type) {
    case 'Identifier':
      return callee.name as string;
    case 'ParenthesizedExpression':
      return helperName(callee.expression as AnyNode);
    case 'SequenceExpression': {
      const expressions = callee.expressions as AnyNode[];
      return helperName(expressions[expressions.length - 1]);
    }
    case 'MemberExpression': {
      const property = callee.property as AnyNode;
      const name = callee.computed ? (property.type === 'Literal' && typeof property.value === 'string' ? property.value : undefined) : (property.name as string);
      if (name === 'default') return helperName(callee.object as AnyNode);
      return name;
    }
    default:
      return undefined;
  }
}

function functionArgument(node: AnyNode, index: number): AnyNode | undefined {
  const argument = (node.arguments as AnyNode[])[index];
  return argument?.type === 'FunctionExpression' ? argument : undefined;
}

/**
 * Marks, for a call, the function whose yields are awaits (the generator of `__awaiter`/`_asyncToGenerator`/
 * `__async`, or the state-machine body of `__generator` inside `__awaiter`'s function).
 */
export function markLoweredBodies(call: AnyNode, marks: Map<AnyNode, LoweredBody>): void {
  const name = helperName(call.callee as AnyNode);
  if (name === undefined) return;
  let body: AnyNode | undefined;
  if (TS_ASYNC_GENERATOR.test(name) || BABEL_ASYNC_GENERATOR.test(name)) {
    const generator = functionArgument(call, TS_ASYNC_GENERATOR.test(name) ? 2 : 0);
    if (generator?.generator === true) marks.set(generator, 'async-generator');
    return;
  }
  if (AWAITER.test(name)) body = functionArgument(call, 3);
  else if (ESBUILD_ASYNC.test(name)) body = functionArgument(call, 2);
  else if (BABEL_ASYNC.test(name)) body = functionArgument(call, 0);
  if (!body) return;
  if (body.generator === true) {
    marks.set(body, 'generator');
  } else if (AWAITER.test(name)) {
    const machine = stateMachineOf(body);
    if (machine) marks.set(machine, 'state-machine');
  }
}

/** `function () { var a; return __generator(this, function (_a) { … }); }`: the inner function. */
function stateMachineOf(fn: AnyNode): AnyNode | undefined {
  const statements = ((fn.body as AnyNode).body as AnyNode[]) ?? [];
  for (const statement of statements) {
    if (statement.type !== 'ReturnStatement') continue;
    const argument = statement.argument as AnyNode | null;
    if (argument?.type === 'CallExpression' && GENERATOR.test(helperName(argument.callee as AnyNode) ?? '')) return functionArgument(argument, 1);
  }
  return undefined;
}

/** `yield __await(x)` in an async generator's body: `x`, unless this is the inner half of a `yield yield __await(v)`. */
export function asyncGeneratorAwait(node: AnyNode, inner: ReadonlySet<AnyNode>): AnyNode | undefined {
  const argument = node.argument as AnyNode | null;
  // esbuild writes `yield new __await(x)` (and `new __await(x, 1)` for a yield*, which is left alone).
  const call = argument?.type === 'CallExpression' || argument?.type === 'NewExpression';
  if (inner.has(node) || !call || !AWAIT_IN_ASYNC_GENERATOR.test(helperName(argument.callee as AnyNode) ?? '')) return undefined;
  const args = argument.arguments as AnyNode[];
  return args.length === 1 && args[0]!.type !== 'SpreadElement' ? args[0] : undefined;
}

/** `return [4 (yield), x]` in a state-machine body: the yielded operand. */
export function stateMachineYield(statement: AnyNode): AnyNode | undefined {
  const argument = statement.argument as AnyNode | null;
  if (argument?.type !== 'ArrayExpression') return undefined;
  const [op, operand, ...rest] = argument.elements as (AnyNode | null)[];
  if (rest.length > 0 || !operand || operand.type === 'SpreadElement') return undefined;
  return op?.type === 'Literal' && op.value === 4 ? operand : undefined;
}

export const FUNCTION_TYPES: ReadonlySet<string> = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);
