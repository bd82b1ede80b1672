// `npm test` after the build: the type check (tsc --noEmit over src, test, scenarios and bench) and
// `vitest run` at the same time, instead of one after the other. The build before it is `build:unchecked`
// (tsc emits dist/ with --noCheck, in a third of the time of a checked build): this check covers src/ as
// well and fails the run for any error it finds. The check is one single-threaded process
// of about 10 s of CPU; the tests leave a core idle now and then (a worker waiting for npm, a browser, a
// timer), and the check, at a lower priority, takes those gaps instead of delaying the first test by 10 s.
// Its lower priority also keeps it from stealing time from the tests whose verdicts are about real time.
//
// Arguments go to vitest (`npm test -- test/cli` runs that folder, and still type-checks everything).
// Exits non-zero when either fails: vitest's code first, else tsc's. tsc's output is held until vitest is
// done, so that it does not land in the middle of vitest's.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Node 20 reads the certificates NODE_EXTRA_CA_CERTS names at the start of every process, whether it makes a
// TLS connection or not: 40 ms of CPU here, twice the rest of a start. The tests start hundreds of Node
// processes and only npm needs it (it may ask the registry): they run without it, and registryEnv()
// (test/support/prepared.ts, SUITE_CA_VARIABLE) gives it back to npm.
const env = { ...process.env };
if (env.NODE_EXTRA_CA_CERTS !== undefined) {
  env.SUITE_NODE_EXTRA_CA_CERTS = env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_EXTRA_CA_CERTS;
}
const bin = (path) => fileURLToPath(new URL(`../../node_modules/${path}`, import.meta.url));

function start(args, options) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, ...options });
  const exited = new Promise((resolve) => {
    child.on('error', (error) => resolve({ code: 1, error }));
    child.on('exit', (code, signal) => resolve({ code: code ?? 1, signal }));
  });
  return { child, exited };
}

const typecheck = start([bin('typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit', '--pretty', String(process.stdout.isTTY === true)], { stdio: ['ignore', 'pipe', 'pipe'] });
let typecheckOutput = '';
typecheck.child.stdout.on('data', (chunk) => (typecheckOutput += chunk));
typecheck.child.stderr.on('data', (chunk) => (typecheckOutput += chunk));
try {
  if (typecheck.child.pid !== undefined) setPriority(typecheck.child.pid, 10);
} catch {
  // Not allowed here: it runs at the same priority, which is only slower.
}

const tests = start([bin('vitest/vitest.mjs'), 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl-C reaches both through the terminal; a SIGTERM to this process is passed on.
for (const signal of ['SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    typecheck.child.kill(signal);
    tests.child.kill(signal);
  });
}

const began = performance.now();
const ended = (done) => done.then((outcome) => ({ ...outcome, at: (performance.now() - began) / 1000 }));
const [testsDone, typecheckDone] = await Promise.all([ended(tests.exited), ended(typecheck.exited)]);
// When the check ended tells whether it made the run longer (it did if it ended after the tests).
const when = `in ${typecheckDone.at.toFixed(1)} s, the tests in ${testsDone.at.toFixed(1)} s`;
if (typecheckDone.code === 0) process.stdout.write(`\ntypecheck (tsc -p tsconfig.json --noEmit): no errors, ${when}\n`);
else process.stdout.write(`\ntypecheck (tsc -p tsconfig.json --noEmit) failed${typecheckDone.error ? `: ${typecheckDone.error.message}` : ''}, ${when}:\n${typecheckOutput}`);
process.exitCode = testsDone.code !== 0 ? testsDone.code : typecheckDone.code;
