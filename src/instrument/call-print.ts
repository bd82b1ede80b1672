/**
 * What V8 prints of an expression in a TypeError's message (its CallPrinter: `x.y is not a function`,
 * `x[0] is not a constructor`, `x.y(...).z is not iterable`), for the few shapes that messages name: names,
 * `this`, member chains, calls and literal keys. The rewrite uses it to know what each wrapped read stood
 * for in such a message (abi.ts PrintRow, instrument/messages.ts).
 */
type Node = { readonly type: string; readonly start: number; readonly end: number; readonly [key: string]: unknown };

/** Wrappers V8 never sees: parentheses, and TypeScript's assertions (compiled away before V8 runs the code). */
const TRANSPARENT = new Set(['ParenthesizedExpression', 'TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TSTypeAssertion', 'TSInstantiationExpression']);

function unwrap(node: Node): Node {
  let inner = node;
  while (TRANSPARENT.has(inner.type) || inner.type === 'ChainExpression') inner = inner.expression as Node;
  return inner;
}

/**
 * The wrapped reads (keys of `wrapped`) that V8 prints when it prints `node`, in order: down a member
 * chain and into its computed keys, not into a call's arguments (printed `(...)`).
 */
export function printedReads(node: Node, wrapped: ReadonlyMap<Node, string>, out: string[] = []): string[] {
  const native = wrapped.get(node);
  if (native !== undefined) {
    out.push(native);
    return out;
  }
  const inner = unwrap(node);
  if (inner !== node) return printedReads(inner, wrapped, out);
  if (node.type === 'MemberExpression') {
    printedReads(node.object as Node, wrapped, out);
    if (node.computed === true) printedReads(node.property as Node, wrapped, out);
  } else if (node.type === 'CallExpression') {
    printedReads(node.callee as Node, wrapped, out);
  }
  return out;
}

/**
 * What V8 prints of an iterable that is not one: its print (`x.y is not iterable`), or for a call its
 * callee's (`f is not a function or its return value is not iterable`); null for a shape not known here.
 */
export function printIterable(node: Node): { readonly native: string; readonly call: boolean } | null {
  const inner = unwrap(node);
  const call = inner.type === 'CallExpression';
  const native = printExpression(call ? (inner.callee as Node) : inner);
  return native === null ? null : { native, call };
}

/** V8's print of `node`, or null for a shape this does not know (no message is mapped then). */
export function printExpression(node: Node): string | null {
  const inner = unwrap(node);
  switch (inner.type) {
    case 'Identifier':
      return inner.name as string;
    case 'ThisExpression':
      return 'this';
    case 'CallExpression': {
      const callee = printExpression(inner.callee as Node);
      return callee === null ? null : `${callee}(...)`;
    }
    case 'MemberExpression': {
      const object = printExpression(inner.object as Node);
      if (object === null) return null;
      const optional = inner.optional === true ? '?' : '';
      const property = inner.property as Node;
      if (property.type === 'PrivateIdentifier') return `${object}${optional}[#${property.name as string}]`;
      if (inner.computed !== true) return `${object}${optional}.${property.name as string}`;
      if (property.type === 'Literal' && typeof property.value === 'string') return `${object}${optional}.${property.value}`;
      if (property.type === 'Literal' && typeof property.value === 'number' && Number.isInteger(property.value)) return `${object}${optional && '?.'}[${property.value}]`;
      const key = printExpression(property);
      return key === null ? null : `${object}${optional && '?.'}[${key}]`;
    }
  }
  return null;
}
