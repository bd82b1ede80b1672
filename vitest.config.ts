import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const dist = (path: string) => fileURLToPath(new URL(`./dist/${path}`, import.meta.url));
const syncSource = (path: string) => fileURLToPath(new URL(`./packages/sync/src/${path}`, import.meta.url));

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
    include: ['test/**/*.test.ts'],
    // Packs racecheck and @racecheck/sync once, and installs them into one project, for the tests that need it.
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    server: { deps: { external: [/\/dist\//] } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
