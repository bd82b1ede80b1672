// npm run bench:rewrite: what the rewriter (src/instrument/rewrite.ts) costs on every source file of the
// project's node_modules (the files test/instrument/differential*.test.ts rewrites), and on TypeScript's
// 9 MB typescript.js alone. Each measurement is a process of its own, which reads the files first and then
// times only the rewrites: CPU (user + system, every thread: the parser's and the garbage collector's too)
// and wall time. Medians of `--rounds` rounds (default 3).
//
//   npm run bench:rewrite                       the working tree's rewriter
//   npm run bench:rewrite -- --baseline main    it and the one of a git ref, side by side, rounds
//                                               alternating, after an equivalence check: every file is
//                                               rewritten by both, and the code (with the source map it
//                                               carries inline), the sites and the shift rows must be the
//                                               same to the byte; any difference is listed, and exits 1
//   --no-timing                                 the equivalence check only
//
// Both rewriters are compiled the same way (TypeScript's transpileModule, one file at a time, into
// tmp/rewrite-builds/), so that only their source differs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { listSourceFiles, sourceTypeOf } from '../test/support/node-modules-sources.js';

type SourceType = 'module' | 'commonjs';
type Rewrite = (source: string, filename: string, options: { url: string; sourceType: SourceType }) => { code: string; sites: readonly unknown[]; shifts: readonly unknown[] };

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILDS = path.join(ROOT, 'tmp', 'rewrite-builds');
const TYPESCRIPT = path.join(ROOT, 'node_modules', 'typescript', 'lib', 'typescript.js');

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};

async function loadRewrite(build: string): Promise<Rewrite> {
  const module = (await import(pathToFileURL(path.join(build, 'instrument', 'rewrite.js')).href)) as { rewriteAwaits: Rewrite };
  return module.rewriteAwaits;
}

/** The rewrite as the differential test does it: with the file's source type, else with the other one. */
function rewriteAsShipped(rewrite: Rewrite, source: string, file: string, sourceType: SourceType) {
  const url = pathToFileURL(file).href;
  try {
    return { sourceType, ...rewrite(source, file, { url, sourceType }) };
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'RACECHECK_SYNTAX') throw error;
    const other: SourceType = sourceType === 'module' ? 'commonjs' : 'module';
    return { sourceType: other, ...rewrite(source, file, { url, sourceType: other }) };
  }
}

if (args[0] === '--time') {
  // A measuring process: `--time <build> <list.json>`, the list holding [file, source type] pairs.
  const rewrite = await loadRewrite(args[1] ?? '');
  const inputs = (JSON.parse(readFileSync(args[2] ?? '', 'utf8')) as [string, SourceType][]).map(([file, sourceType]) => ({ file, sourceType, source: readFileSync(file, 'utf8') }));
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const { file, sourceType, source } of inputs) {
    try {
      rewriteAsShipped(rewrite, source, file, sourceType);
    } catch {
      // Parses under neither source type: it costs what it costs, as in the test.
    }
  }
  const used = process.cpuUsage(cpu);
  process.stdout.write(JSON.stringify({ cpu: (used.user + used.system) / 1e6, wall: (performance.now() - started) / 1000 }));
} else {
  await main();
}

async function main(): Promise<void> {
  const baseline = option('--baseline');
  const rounds = Number(option('--rounds') ?? 3);
  const timing = !args.includes('--no-timing');
  const files = listSourceFiles(path.join(ROOT, 'node_modules'));
  const list = files.map((file) => [file, sourceTypeOf(file)] as [string, SourceType]);
  const megabytes = files.reduce((sum, file) => sum + statSync(file).size, 0) / 1e6;

  const builds = [{ label: 'working tree', dir: build(undefined, 'working-tree') }];
  if (baseline) {
    const commit = execFileSync('git', ['rev-parse', '--short', baseline], { cwd: ROOT, encoding: 'utf8' }).trim();
    builds.unshift({ label: `${baseline} (${commit})`, dir: build(baseline, commit) });
  }

  let differences = 0;
  if (baseline) {
    process.stderr.write(`comparing ${files.length} files…\n`);
    const [before, after] = await Promise.all(builds.map((b) => loadRewrite(b.dir)));
    const listed: string[] = [];
    for (const [file, sourceType] of list) {
      const source = readFileSync(file, 'utf8');
      const difference = compare(outcome(before!, source, file, sourceType), outcome(after!, source, file, sourceType));
      if (difference) {
        differences += 1;
        if (listed.length < 20) listed.push(`  ${path.relative(ROOT, file)}: ${difference}`);
      }
    }
    console.log(`equivalence with ${builds[0]!.label}: ${files.length} files rewritten by both, ${differences} with a different code, sites, shift rows or error`);
    for (const line of listed) console.log(line);
  }

  if (timing) {
    const allList = path.join(BUILDS, 'all-files.json');
    const oneList = path.join(BUILDS, 'typescript.json');
    writeFileSync(allList, JSON.stringify(list));
    writeFileSync(oneList, JSON.stringify(list.filter(([file]) => file === TYPESCRIPT)));
    const samples = builds.map(() => ({ all: [] as Measured[], one: [] as Measured[] }));
    for (let round = 0; round < rounds; round++) {
      // Alternating which goes first, so that a busy moment of the machine does not always hit the same one.
      const order = builds.map((_, index) => index);
      if (round % 2 === 1) order.reverse();
      for (const index of order) {
        process.stderr.write(`round ${round + 1}/${rounds}: ${builds[index]!.label}…\n`);
        samples[index]!.all.push(measure(builds[index]!.dir, allList));
        samples[index]!.one.push(measure(builds[index]!.dir, oneList));
      }
    }
    console.log(`\nrewrite of node_modules · ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length} · Node ${process.version} · median of ${rounds} rounds, each in a fresh process`);
    console.log(`${files.length} files, ${megabytes.toFixed(1)} MB; typescript/lib/typescript.js alone: ${(statSync(TYPESCRIPT).size / 1e6).toFixed(1)} MB\n`);
    console.log('| rewriter | all files: CPU s | wall s | typescript.js: CPU s | wall s |');
    console.log('|---|---|---|---|---|');
    builds.forEach((b, index) => {
      const { all, one } = samples[index]!;
      console.log(`| ${b.label} | ${median(all, 'cpu')} | ${median(all, 'wall')} | ${median(one, 'cpu')} | ${median(one, 'wall')} |`);
    });
  }
  process.exitCode = differences === 0 ? 0 : 1;
}

interface Measured {
  readonly cpu: number;
  readonly wall: number;
}

function measure(buildDir: string, list: string): Measured {
  const output = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--time', buildDir, list], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(output) as Measured;
}

function median(samples: readonly Measured[], key: keyof Measured): string {
  const sorted = samples.map((sample) => sample[key]).sort((a, b) => a - b);
  return (sorted[Math.floor(sorted.length / 2)] ?? NaN).toFixed(2);
}

/** src/instrument of a git ref (or of the working tree), compiled file by file into tmp/rewrite-builds/<name>/instrument. */
function build(ref: string | undefined, name: string): string {
  const dir = path.join(BUILDS, name);
  const out = path.join(dir, 'instrument');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const sources = ref
    ? execFileSync('git', ['ls-tree', '--name-only', `${ref}:src/instrument`], { cwd: ROOT, encoding: 'utf8' }).split('\n')
    : readdirSync(path.join(ROOT, 'src', 'instrument'));
  for (const source of sources.filter((file) => file.endsWith('.ts'))) {
    const text = ref ? execFileSync('git', ['show', `${ref}:src/instrument/${source}`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 }) : readFileSync(path.join(ROOT, 'src', 'instrument', source), 'utf8');
    const { outputText } = ts.transpileModule(text, {
      fileName: source,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
    });
    writeFileSync(path.join(out, source.replace(/\.ts$/, '.js')), outputText);
  }
  return dir;
}

type Outcome = { readonly sourceType: SourceType; readonly code: string; readonly sites: string; readonly shifts: string } | { readonly error: string };

function outcome(rewrite: Rewrite, source: string, file: string, sourceType: SourceType): Outcome {
  try {
    const result = rewriteAsShipped(rewrite, source, file, sourceType);
    return { sourceType: result.sourceType, code: result.code, sites: JSON.stringify(result.sites), shifts: JSON.stringify(result.shifts) };
  } catch (error) {
    return { error: String(error) };
  }
}

/** What differs between two outcomes, or undefined when they are the same. */
function compare(before: Outcome, after: Outcome): string | undefined {
  if ('error' in before || 'error' in after) {
    const text = (o: Outcome) => ('error' in o ? `error ${o.error}` : 'rewritten');
    return text(before) === text(after) ? undefined : `${text(before)} became ${text(after)}`;
  }
  if (before.sourceType !== after.sourceType) return `rewritten as ${before.sourceType}, now as ${after.sourceType}`;
  if (before.code !== after.code) {
    let at = 0;
    while (at < before.code.length && before.code[at] === after.code[at]) at++;
    return `code differs from offset ${at}: ${JSON.stringify(before.code.slice(at, at + 60))} became ${JSON.stringify(after.code.slice(at, at + 60))}`;
  }
  if (before.sites !== after.sites) return 'sites differ';
  if (before.shifts !== after.shifts) return 'shift rows differ';
  return undefined;
}
