/**
 * The worker thread that loads scenario modules and runs them, so that a run stuck in a synchronous loop,
 * or one that calls process.exit, takes down only this thread. It talks to the parent in messages and
 * writes a heartbeat at every step.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadScenarios } from '../scenario/load.js';
import type { LoadedScenario } from '../scenario/types.js';
import { runScenario } from '../scheduler/search.js';
import { onSitesRegistered } from '../scheduler/runtime.js';
import { HeartbeatWriter } from './heartbeat.js';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js';

const PROGRESS_INTERVAL_MS = 100;

const port = parentPort!;
const config = workerData as WorkerConfig;
const heartbeat = new HeartbeatWriter(config.heartbeat);
const scenarios = new Map<string, LoadedScenario>();
const post = (message: FromWorker) => port.postMessage(message);

onSitesRegistered((sites) => {
  post({ type: 'sites', sites: sites.map(({ id, file, line, column, text }) => ({ id, file, line, column, text })) });
});

port.on('message', (message: ToWorker) => {
  void handle(message);
});

async function handle(message: ToWorker): Promise<void> {
  if (message.type === 'load') {
    try {
      const loaded = await loadScenarios(message.file, { cwd: config.cwd, include: config.include, exclude: config.exclude });
      for (const scenario of loaded) scenarios.set(scenario.id, scenario);
      post({
        type: 'loaded',
        file: message.file,
        scenarios: loaded.map(({ id, file, exportName, scenario }) => ({
          id,
          file,
          exportName,
          name: scenario.name,
          tasks: scenario.tasks.map((task) => task.name),
          runs: scenario.runs,
          timeoutMs: scenario.timeoutMs,
        })),
      });
    } catch (error) {
      post({ type: 'load-error', file: message.file, message: error instanceof Error ? error.message : String(error) });
    }
    return;
  }
  const scenario = scenarios.get(message.id);
  if (!scenario) {
    post({ type: 'failed', id: message.id, message: `no scenario ${message.id} is loaded in the worker` });
    return;
  }
  let lastProgress = performance.now();
  try {
    const result = await runScenario(scenario, {
      ...message.options,
      onRunStart: (run) => heartbeat.startRun(run),
      onViolation: (result) => post({ type: 'provisional', id: message.id, result }),
      onStep: (_run, step, taskIndex, kind, site, choice, candidates) => heartbeat.step(step, taskIndex, kind, site?.id ?? -1, choice, candidates),
      onRun: (completed) => {
        heartbeat.endRun();
        const now = performance.now();
        if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
          lastProgress = now;
          post({ type: 'progress', id: message.id, runs: completed });
        }
      },
    });
    post({ type: 'result', id: message.id, result });
  } catch (error) {
    heartbeat.endRun();
    post({ type: 'failed', id: message.id, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}
