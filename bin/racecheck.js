#!/usr/bin/env node
// The only place that sets the exit code: everything below returns it.
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write('racecheck: dist/ is missing: run `npm install` (or `npm run build`) in the racecheck package first\n');
  process.exit(3);
}
// A reader that goes away early (`racecheck | head`) is not an error worth a stack trace; the exit code
// still tells what racecheck found.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
