import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeReplayToken } from '../../src/report/replay-token.js';
import { ROOT, runMain, type CliRun } from '../cli/run-cli.js';

/** The lock advisor through the CLI (main(), in this process): the JSON report and its schema, the pretty block, exit codes, replays of variants. */
const schema = JSON.parse(readFileSync(path.join(ROOT, 'docs/report.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

interface AdviceEntry {
  code: string;
  message: string;
  lock: { file: string; line: number; column: number; text: string };
  sites: unknown[];
  violation?: { kind: string; message: string; replay: string; command: string };
  search?: { schedules: number; complete: boolean };
}

interface Report {
  scenarios: { id: string; status: string; name: string; advice?: AdviceEntry[]; violation: { kind: string; message: string; replay: string } | null }[];
  summary: { failed: number; passed: number };
}

function parse(run: CliRun, code: number): Report {
  expect(run.code, run.stderr).toBe(code);
  const report = JSON.parse(run.stdout) as Report;
  if (!validate(report)) throw new Error(`report does not match docs/report.schema.json: ${JSON.stringify(validate.errors, null, 2)}`);
  return report;
}

const FILE = 'test/fixtures/advise/without-await.ts';
const byName = (report: Report, name: string) => report.scenarios.find((s) => s.id === `${FILE}#${name}`)!;

describe('racecheck --advise', () => {
  let plain: Report;
  let advised: Report;
  beforeAll(async () => {
    [plain, advised] = await Promise.all([
      runMain([FILE, '--json', '--seed', '3']).then((run) => parse(run, 0)),
      runMain([FILE, '--json', '--seed', '3', '--advise']).then((run) => parse(run, 0)),
    ]);
  });

  it('reports the advice of the normal runs in the JSON, and no verdict changes', () => {
    expect(byName(plain, 'atomicSection').advice?.map((a) => a.code)).toEqual(['lock-without-await']);
    expect(byName(plain, 'neededLock').advice).toBeUndefined();
    expect(plain.summary).toMatchObject({ failed: 0 });
    expect(advised.scenarios.map((s) => s.status)).toEqual(plain.scenarios.map((s) => s.status));
  });

  it('says with --advise which lock is needed, with a token that replays the variant without it', async () => {
    const advice = byName(advised, 'neededLock').advice!;
    expect(advice.map((a) => a.code)).toEqual(['lock-needed']);
    const { violation } = advice[0]!;
    expect(violation).toMatchObject({ kind: 'check', command: `racecheck ${FILE} --replay ${violation!.replay}` });
    expect(decodeReplayToken(violation!.replay)).toMatchObject({ id: `${FILE}#neededLock`, bypass: [`${FILE}:${advice[0]!.lock.line}:${advice[0]!.lock.column}`] });

    const replayed = parse(await runMain([FILE, '--json', '--replay', violation!.replay]), 1);
    const [scenario] = replayed.scenarios;
    expect(scenario).toMatchObject({ status: 'fail', violation: { kind: 'check', message: violation!.message } });
    expect(scenario!.name).toContain('without the locks made at');
    // The replay's own token is a replay of the variant too.
    expect(decodeReplayToken(scenario!.violation!.replay).bypass).toEqual(decodeReplayToken(violation!.replay).bypass);
  });

  it('proves a small scenario needs no lock, and says so of a bigger one only as far as it searched', () => {
    const small = byName(advised, 'unneededSmall').advice!.find((a) => a.code === 'lock-unneeded')!;
    expect(small.search).toMatchObject({ complete: true });
    const big = byName(advised, 'atomicSection').advice!.find((a) => a.code === 'lock-unneeded')!;
    expect(big.search).toBeDefined();
  });

  it('prints an advice block after the results, counts the advice in the summary, and exits 0 for a passing run', async () => {
    const run = await runMain([FILE, '--filter', 'unneededSmall', '--seed', '3', '--advise']);
    expect(run.code, run.stderr).toBe(0);
    const block = run.stdout.slice(run.stdout.indexOf('─── advice: '));
    expect(block).toContain(`─── advice: ${FILE}#unneededSmall `);
    expect(block).toMatch(/\n {2}lock-without-await {2}Lock made at test\/fixtures\/advise\/without-await\.ts:\d+:\d+ {2}const setup = /);
    expect(block).toContain('    this lock protects no await: no scheduling point was reached inside any of its');
    expect(block).toMatch(/\n {2}lock-unneeded {2}Lock made at /);
    expect(block).toMatch(/\n {4}acquired at test\/fixtures\/advise\/without-await\.ts:\d+:\d+ {2}await s\.lock\.acquire\(\);/);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^1 passed, 2 lock advice \(1 scenario\) in \d+\.\d+ s · seed 3$/);
  });

  it('keeps exit code 1 for a failing scenario with advice, and shows the variant replay command in the block', async () => {
    const failing = await runMain(['test/fixtures/advise/per-call.ts', '--filter', 'perCall', '--seed', '3']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('lock-per-call  Lock made at test/fixtures/advise/per-call.ts:');
    const needed = await runMain([FILE, '--filter', 'neededLock', '--seed', '3', '--advise']);
    expect(needed.code).toBe(0);
    expect(needed.stdout).toMatch(/ {4}replay the variant without it: racecheck test\/fixtures\/advise\/without-await\.ts --replay 1\.[\w-]+\n/);
  });
});
