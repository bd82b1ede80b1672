import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { SignalSource } from '../../src/cli/environment.js';
import { main } from '../../src/cli/main.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/racecheck.js', import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment every run gets: colour off unless the test says otherwise, and not run through npx. */
function environmentFor(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, npm_command: undefined, ...env };
}

/** A stream that keeps what is written to it. */
export function captureStream(): Writable & { text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

/**
 * Runs the CLI in this process (its children are real processes all the same), with captured streams:
 * what most CLI tests need, without the cost of starting racecheck itself.
 */
export async function runMain(args: readonly string[], options: { env?: Record<string, string | undefined>; cwd?: string; signals?: SignalSource } = {}): Promise<CliRun> {
  const stdout = captureStream();
  const stderr = captureStream();
  const code = await main(args, { stdout, stderr, env: environmentFor(options.env ?? {}), cwd: options.cwd ?? ROOT, ...(options.signals ? { signals: options.signals } : {}) });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Runs the real bin, for what is about processes: exit codes, signals, what reaches fd 1. */
export function runCli(args: readonly string[], env: Record<string, string | undefined> = {}, cwd = ROOT): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: environmentFor(env) as NodeJS.ProcessEnv, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts the real bin and hands back the process, for tests that signal it. */
export function startCli(args: readonly string[], env: Record<string, string | undefined> = {}): ChildProcess & { output: () => { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: environmentFor(env) as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return Object.assign(child, { output: () => ({ stdout, stderr }) });
}

/** Processes whose environment holds `name=value`: what a run left behind, if it left anything. */
export function processesWith(name: string, value: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`${name}=${value}`)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Pretty output with the parts that vary between runs (durations, rates) replaced. */
export function normalizeTimings(text: string): string {
  return text.replace(/[\d,]+ runs\/s/g, 'N runs/s').replace(/in \d+\.\d+ s/g, 'in N s');
}

const schema = JSON.parse(readFileSync(path.join(ROOT, 'docs/report.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

export interface JsonScenario {
  id: string;
  file: string;
  name: string;
  status: 'pass' | 'fail' | 'error';
  runs: number;
  steps: number;
  durationMs: number;
  interrupted?: boolean;
  search: { strategy: string; schedules: number; complete: boolean; maxPreemptions?: number };
  violation: {
    kind: string;
    message: string;
    seed: number;
    run: number;
    step: number;
    replay: string;
    command: string;
    trace: { step: number; task: string; kind: string; site: { file: string; line: number; column: number } | null }[];
    reproduced?: { tries: number; failed: number };
  } | null;
  error?: { message: string; stack?: string; file?: string; line?: number; column?: number; frame?: string };
  processesLeft?: { command: string }[];
}

export interface JsonReport {
  seed: number;
  interrupted: boolean;
  shard?: { index: number; count: number };
  scenarios: JsonScenario[];
  summary: { scenarios: number; passed: number; failed: number; errors: number; durationMs: number };
}

/** Parses a JSON report and checks it against docs/report.schema.json. */
export function parseReport(stdout: string): JsonReport {
  const report = JSON.parse(stdout) as JsonReport;
  if (!validate(report)) throw new Error(`report does not match docs/report.schema.json: ${JSON.stringify(validate.errors, null, 2)}`);
  return report;
}

/** The report without what varies between runs of the same seed: durations. */
export function withoutDurations(report: JsonReport): unknown {
  return JSON.parse(JSON.stringify(report, (key, value: unknown) => (key === 'durationMs' ? 0 : value)));
}

/** A replay command split into arguments (tokens and paths here never need shell parsing). */
export function argsOf(command: string): string[] {
  return command
    .split(' ')
    .slice(1)
    .map((arg) => arg.replace(/^'(.*)'$/, '$1'));
}
