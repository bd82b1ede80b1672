// Starts a bench engine in a process of its own: racecheck's with its instrumentation installed first (so
// the programs' awaits become scheduling points), fast-check's with only tsx, on native awaits.
const [engine, ...args] = process.argv.slice(2);
if (engine === 'racecheck') {
  const { installInstrumentation } = await import('../dist/index.js');
  installInstrumentation({ exclude: ['bench/engines/**'] });
} else if (engine === 'fast-check') {
  const { register } = await import('tsx/esm/api');
  register();
} else {
  throw new Error(`unknown engine ${engine}`);
}
const { main } = await import(`./engines/${engine}.ts`);
await main(args);
