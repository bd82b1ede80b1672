import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const dist = (path: string) => fileURLToPath(new URL(`./dist/${path}`, import.meta.url));
const syncSource = (path: string) => fileURLToPath(new URL(`./packages/sync/src/${path}`, import.meta.url));

/**
 * Unit tests of pure code: no globals or timers left changed (vi's fake timers are restored after each
 * test), no module hooks, no runtime installed, no processes started. A file that starts doing any of that
 * moves out of this list.
 */
const SHARED_PROCESS = [
  'test/cli/options.test.ts',
  'test/cli/ordered-events.test.ts',
  'test/cli/protocol.test.ts',
  'test/advise/report.test.ts',
  'test/advise/variants.test.ts',
  'test/explain/state-access.test.ts',
  'test/instrument/differential-1.test.ts',
  'test/instrument/differential-2.test.ts',
  'test/instrument/differential-3.test.ts',
  'test/instrument/hooks.test.ts',
  'test/instrument/include-report.test.ts',
  'test/instrument/match.test.ts',
  'test/instrument/rewrite.test.ts',
  'test/report/junit.test.ts',
  'test/report/replay-token.test.ts',
  'test/report/timeline.test.ts',
  'test/scenario/code-frame.test.ts',
  'test/scenario/id.test.ts',
  'test/scheduler/schedule-set.test.ts',
  'test/scheduler/violation-kinds.test.ts',
  'test/sync/event.test.ts',
  'test/sync/lock.test.ts',
  'test/sync/semaphore.test.ts',
  'test/vitest/source-map.test.ts',
];

/**
 * Files that run the CLI in this process (`main()`, test/cli/helpers.ts) and start processes (its child
 * processes run the scenarios), and install nothing here: no runtime, no module hooks (a TypeScript config
 * or reporter loads through tsx's, so config.test.ts is not here), no fake timers. They share worker
 * processes, and so import the CLI once per worker instead of once per file.
 */
const SHARED_CLI = [
  'test/advise/cli.test.ts',
  'test/cli/child.test.ts',
  'test/cli/main.test.ts',
  'test/cli/outputs.test.ts',
  'test/cli/replay.test.ts',
  'test/cli/run.test.ts',
  'test/cli/shard.test.ts',
  'test/cli/worker-pool.test.ts',
  'test/explain/report-size.test.ts',
  'test/report/html.test.ts',
  'test/scenario/load.test.ts',
];

/**
 * The files that take longest, longest first. Vitest orders a run by the durations it recorded in the last
 * one; a fresh clone has none, and by file size these would start late and finish last. The files that
 * wait for a step of the shared preparation (test/support/global-setup.ts: the library's run, the packed
 * project) come after the first ones, so that no worker sits waiting for it while there is other work.
 */
const LONGEST_FIRST = [
  'test/cli/main.test.ts',
  'test/vitest/plugin.test.ts',
  'test/scheduler/false-reds-peer.test.ts',
  'test/scheduler/false-reds.test.ts',
  'test/instrument/differential-1.test.ts',
  'test/instrument/differential-2.test.ts',
  'test/instrument/differential-3.test.ts',
  'test/instrument/hooks.test.ts',
  'test/cli/child.test.ts',
  'test/types/ts-setups.test.ts',
  'test/report/html-browser.test.ts',
  'test/scenarios/library.test.ts',
  'test/docs/readme.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = LONGEST_FIRST.indexOf(path.relative(ROOT, file.moduleId).split(path.sep).join('/'));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const SHARED_SETUP = 'test/support/process-state.ts';

export default defineConfig({
  resolve: {
    alias: [
      // Tests that load scenario files use the built package, as users do: its module hook and the files it
      // loads run natively in Node, outside Vite's transform pipeline. Unit tests import src/ themselves.
      { find: /^racecheck$/, replacement: dist('index.js') },
      { find: /^racecheck\/sync$/, replacement: dist('sync/index.js') },
      // The primitives' unit tests run on their source; scenario files get the built package through Node.
      { find: /^@racecheck\/sync$/, replacement: syncSource('index.ts') },
      { find: /^@racecheck\/sync\/bridge$/, replacement: syncSource('bridge.ts') },
    ],
  },
  test: {
    pool: 'forks',
    // Vitest's default is one worker less than the cores: one on this 2-core machine. Many test files
    // spend much of their time waiting: for processes they started (the CLI's children, npm, a browser),
    // and for real time (a peer in another process that answers slowly, a scenario's real timeout). Two
    // workers left a core idle for a quarter of the run; two a core keep the cores busy. On 2 cores, idle:
    // 116 s → 101 s for the tests; with two other processes keeping both cores busy, the medians of five
    // runs: 260 s → 148 s and 166 s.
    maxWorkers: 2 * availableParallelism(),
    sequence: { sequencer: LongestFirst },
    server: { deps: { external: [/\/dist\//] } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      // Files that change nothing outside themselves share worker processes instead of starting one each;
      // test/support/process-state.ts fails a file that leaves the process changed.
      {
        extends: true,
        test: { name: 'unit', include: SHARED_PROCESS, isolate: false, setupFiles: [SHARED_SETUP] },
      },
      {
        extends: true,
        test: { name: 'cli', include: SHARED_CLI, isolate: false, setupFiles: [SHARED_SETUP] },
      },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: ['test/**/*.test.ts'],
          exclude: [...SHARED_PROCESS, ...SHARED_CLI],
          // Packs racecheck and @racecheck/sync once, and installs them into one project, for the tests that need it.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
