import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewriteAwaits } from '../../src/instrument/rewrite.js';
import { installRuntime } from '../../src/scheduler/runtime.js';
import { describeValue } from '../../src/scheduler/outcome.js';
import { formatStack } from '../../src/explain/stack.js';

/**
 * V8 names the expression it failed on in a TypeError's message (`x.y is not a function`), printed from the
 * code it runs: the rewritten code's `__rc$.v(...)` where a tracked read was wrapped. What racecheck reports
 * (describeValue, the stack's head) must be the message of the code as written. Each form is a module
 * imported as written and rewritten, with the real runtime installed (outside a run).
 */
const FORMS: { name: string; body: string }[] = [
  { name: 'a method of a tracked variable', body: 'db.save("k");' },
  { name: 'a tracked variable called', body: 'fn();' },
  { name: 'a tracked variable constructed', body: 'new fn();' },
  { name: 'a deeper chain', body: 'db.inner.save();' },
  { name: 'a computed key that is tracked', body: 'db.inner[key]();' },
  { name: 'a literal key', body: 'db[0]();' },
  { name: 'an optional call', body: 'fn?.();' },
  { name: 'an optional chain', body: 'db?.inner.save();' },
  { name: 'a tagged template', body: 'fn`t`;' },
  { name: 'a call in the chain', body: 'db.make().save();' },
  { name: 'two calls on a line, the second fails', body: 'db.inner.ok(); fn();' },
  { name: 'a private field method', body: 'new Box().run();' },
  { name: 'a spread of a tracked variable', body: '[...db];' },
  { name: 'a spread of a member', body: 'Math.max(...db.inner);' },
  { name: 'for of a tracked variable', body: 'for (const x of db);' },
  { name: 'for of a member', body: 'for (const x of db.inner);' },
  { name: 'object destructuring', body: 'const { a } = none;' },
  { name: 'object destructuring assignment', body: 'let a; ({ a } = none);' },
  { name: 'array destructuring', body: 'const [a] = db;' },
];

const PRELUDE = [
  'let db = { inner: { ok() {} }, make() { return {}; } };',
  'let fn = {};',
  'let key = "k";',
  'let none;',
  'class Box { #impl = {}; run() { return this.#impl.go(); } }',
  'export function change() { db = {}; fn = 1; key = 2; none = 3; }',
].join('\n');

let directory: string;
beforeAll(() => {
  installRuntime();
  directory = mkdtempSync(path.join(tmpdir(), 'racecheck-messages-'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let counter = 0;
async function thrown(text: string, sync: boolean): Promise<unknown> {
  const file = path.join(directory, `m${counter++}.mjs`);
  writeFileSync(file, text);
  const module = (await import(pathToFileURL(file).href)) as { default: () => unknown };
  try {
    await module.default();
  } catch (error) {
    return error;
  }
  throw new Error(`${sync ? 'the native' : 'the rewritten'} form did not throw`);
}

describe('a TypeError names the expression as written', () => {
  it.each(FORMS)('$name', async ({ body }) => {
    const source = `${PRELUDE}\nexport default function run() {\n  ${body}\n}\n`;
    const file = path.join(directory, `r${counter}.mjs`);
    const { code } = rewriteAwaits(source, file, { url: pathToFileURL(file).href, sourceType: 'module' });
    expect(code).toContain('__rc$.v(');
    const native = await thrown(source, true);
    writeFileSync(file, code);
    const module = (await import(pathToFileURL(file).href)) as { default: () => unknown };
    let rewritten: unknown;
    try {
      module.default();
    } catch (error) {
      rewritten = error;
    }
    expect(rewritten).toBeInstanceOf(TypeError);
    expect(describeValue(rewritten)).toBe(describeValue(native));
    expect(formatStack(rewritten)?.split('\n')[0]).toBe(`TypeError: ${(native as Error).message}`);
  });

  it('for await over a value that is not iterable, outside a run', async () => {
    const source = 'let list = 5;\nexport function change() { list = 6; }\nexport default async function run() {\n  for await (const x of list);\n}\n';
    const file = path.join(directory, 'for-await.mjs');
    const native = await thrown(source, true);
    writeFileSync(file, rewriteAwaits(source, file, { url: pathToFileURL(file).href, sourceType: 'module' }).code);
    const module = (await import(pathToFileURL(file).href)) as { default: () => Promise<unknown> };
    const rewritten = await module.default().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(describeValue(rewritten)).toBe(describeValue(native));
  });
});

describe('in a report', () => {
  async function violation(exportName: string) {
    const { loadScenarios, runScenario } = await import('racecheck');
    const found = (await loadScenarios('test/fixtures/instrument/messages.ts')).find((s) => s.exportName === exportName);
    const result = await runScenario(found!, { seed: 1, runs: 1 });
    if (result.status !== 'fail') throw new Error(`expected a violation, got ${result.status}`);
    return result.violation;
  }

  it('names the method of a tracked variable as written, in the message and the stack', async () => {
    const reported = await violation('memberCall');
    expect(reported.message).toBe('task t0 rejected: TypeError: db.save is not a function');
    expect(reported.stack?.split('\n')[0]).toBe('TypeError: db.save is not a function');
  });

  it('names a private field as V8 does', async () => {
    const native = (() => {
      class Store {
        #db: { save?: unknown } = {};
        save(): unknown {
          return (this.#db.save as () => unknown)();
        }
      }
      try {
        new Store().save();
      } catch (error) {
        return (error as Error).message;
      }
      return 'did not throw';
    })();
    expect((await violation('privateCall')).message).toBe(`task t0 rejected: TypeError: ${native}`);
  });

  it('names the operand of a for await over a value that is not iterable, inside a run', async () => {
    expect((await violation('forAwait')).message).toBe('task t0 rejected: TypeError: items is not async iterable');
  });
});
