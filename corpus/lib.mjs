// Shared by `npm run corpus` (corpus/run.mjs) and `npm run stress` (bench/stress-check.mjs): the bug list, the
// one-time install of the corpus package, building racecheck, and running its CLI as a child process.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.dirname(CORPUS_DIR);
const CLI = path.join(ROOT, 'bin', 'racecheck.js');
const INSTALL_STAMP = path.join(CORPUS_DIR, 'node_modules', '.racecheck-corpus-lock');

export class CorpusError extends Error {
  code = 'CORPUS';
}

/**
 * The bugs of corpus/bugs.json, each checked against corpus/package.json: its scenario file exists and the
 * `<id>-buggy` / `<id>-fixed` aliases install the package at the versions the list names. A list that drifted
 * from what is installed would report on versions it does not name.
 */
export function loadBugs() {
  const bugs = JSON.parse(readFileSync(path.join(CORPUS_DIR, 'bugs.json'), 'utf8'));
  const { dependencies } = JSON.parse(readFileSync(path.join(CORPUS_DIR, 'package.json'), 'utf8'));
  for (const bug of bugs) {
    bug.file = `corpus/scenarios/${bug.id}.mjs`;
    if (!existsSync(path.join(ROOT, bug.file))) throw new CorpusError(`corpus/bugs.json: ${bug.id}: ${bug.file} does not exist`);
    for (const variant of ['buggy', 'fixed']) {
      const alias = `${bug.id}-${variant}`;
      const expected = `npm:${bug.package}@${bug[variant]}`;
      if (dependencies[alias] !== expected) {
        throw new CorpusError(`corpus/bugs.json: ${bug.id}: corpus/package.json must have "${alias}": "${expected}" (has ${JSON.stringify(dependencies[alias] ?? null)})`);
      }
    }
    if (!Array.isArray(bug.expect) || bug.expect.length === 0) throw new CorpusError(`corpus/bugs.json: ${bug.id}: "expect" must list the violation kinds the buggy version fails with`);
    bug.include = [`${bug.id}-buggy`, `${bug.id}-fixed`];
  }
  return bugs;
}

/** A Markdown table, columns padded to their widest cell. */
export function formatTable(header, rows) {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((cells) => cells[i].length)));
  const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function includeArgs(bugs) {
  return bugs.flatMap((bug) => bug.include.flatMap((name) => ['--include', name]));
}

/** npm's own variables from an enclosing `npm run` would point a nested npm at the root package. */
function childEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(config_(local_)?prefix|package_|lifecycle_)/i.test(key)) delete env[key];
  }
  return env;
}

function lockHash() {
  return createHash('sha256').update(readFileSync(path.join(CORPUS_DIR, 'package-lock.json'))).digest('hex');
}

/** `npm ci` in corpus/ when its node_modules is missing or was installed from another lockfile. */
export function ensureInstalled(log = (line) => process.stderr.write(`${line}\n`)) {
  const wanted = lockHash();
  if (existsSync(INSTALL_STAMP) && readFileSync(INSTALL_STAMP, 'utf8') === wanted) return;
  log('corpus: installing its packages (npm ci in corpus/)…');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: CORPUS_DIR, stdio: ['ignore', 'inherit', 'inherit'], env: childEnv() });
  if (result.status !== 0) throw new CorpusError(`corpus: npm ci in corpus/ failed (exit ${result.status ?? result.signal})`);
  writeFileSync(INSTALL_STAMP, wanted);
}

/** `npm run build` when dist/ is missing, so bin/racecheck.js can start. */
export function ensureBuilt(log = (line) => process.stderr.write(`${line}\n`)) {
  if (existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) return;
  log('corpus: dist/ is missing, building racecheck (npm run build)…');
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: childEnv() });
  if (result.status !== 0) throw new CorpusError(`corpus: npm run build failed (exit ${result.status ?? result.signal})`);
}

/**
 * Runs `racecheck <args> --json` from the repository root and resolves to its parsed report, exit code and wall
 * time. A run that printed no JSON document (a crash, a usage error) rejects with what it wrote on stderr.
 */
const running = new Set();

/**
 * On SIGINT or SIGTERM, passes the signal on to the racecheck runs in progress (which report what they found and
 * exit), runs `cleanup`, and exits with 130 or 143. A signal sent to this process alone (not to its process
 * group, as a terminal's Ctrl-C is) would otherwise leave those runs behind.
 */
export function forwardSignals(cleanup = () => {}) {
  for (const [name, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.once(name, () => {
      for (const child of running) child.kill(name);
      cleanup();
      process.exit(code);
    });
  }
}

export function runRacecheck(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, killedBy) => {
      running.delete(child);
      const wallMs = performance.now() - started;
      let report;
      try {
        report = JSON.parse(stdout);
      } catch {
        const reason = stderr.trim().split('\n').slice(-3).join(' / ') || `exit ${code ?? killedBy}`;
        reject(new CorpusError(`racecheck ${args.join(' ')} printed no report: ${reason}`));
        return;
      }
      resolve({ report, code, wallMs, stderr });
    });
  });
}
