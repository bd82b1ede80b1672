import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const dist = (path: string) => fileURLToPath(new URL(`./dist/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests use the built package, as users do: its module hook and the scenario files it loads run
    // natively in Node, outside Vite's transform pipeline.
    alias: [
      { find: /^racecheck$/, replacement: dist('index.js') },
      { find: /^racecheck\/sync$/, replacement: dist('sync/index.js') },
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
