#!/usr/bin/env node
// The only place that sets the exit code and listens for signals: everything below returns the code.
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write('racecheck: dist/ is missing: run `npm install` (or `npm run build`) in the racecheck package first\n');
  process.exit(3);
}
// A reader that goes away early (`racecheck | head`) is not an error worth a stack trace; the exit code
// still tells what racecheck found. Other write errors are reported by main.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE' && stream.listenerCount('error') === 1) throw error;
  });
}
// The first SIGINT or SIGTERM stops the run and reports what it found; a second ends it at once (main
// ends its children and returns); should that not be quick, a third, or two seconds, leave regardless.
const listeners = new Set();
let signals = 0;
const onSignal = (signal) => {
  signals++;
  // Before the run has begun (reading options, finding files) there is nothing to report: leave now.
  if (listeners.size === 0) process.exit(signal === 'SIGINT' ? 130 : 143);
  for (const listener of listeners) listener(signal);
  if (signals >= 3) process.exit(signal === 'SIGINT' ? 130 : 143);
  if (signals === 2) setTimeout(() => process.exit(signal === 'SIGINT' ? 130 : 143), 2000).unref();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signals: {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  },
});
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
