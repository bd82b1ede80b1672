// p-memoize 8.0.0 → 9.0.0: a pMemoizeClear() that lands between the memoized function's `await cache.has(key)`
// and its `await cache.get(key)` made the call resolve to `undefined` instead of a value.
// https://github.com/sindresorhus/p-memoize/issues/55 ("Cache and pMemoizeClear bug"); 9.0.0 checks a cache
// generation after get() and treats a clear in between as a miss.
//
// A service memoizes reading its settings file. An admin endpoint saves new settings and clears the memo so the
// next read sees them, while a request reads the settings at the same time. The reader must get settings (old
// or new), never `undefined`. Real files.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pMemoizeBuggy, { pMemoizeClear as pMemoizeClearBuggy } from 'p-memoize-clear-buggy';
import pMemoizeFixed, { pMemoizeClear as pMemoizeClearFixed } from 'p-memoize-clear-fixed';

function scenario(pMemoize, pMemoizeClear, version) {
  return {
    name: `p-memoize@${version}: a request reads memoized settings while an admin saves them and clears the memo`,
    setup: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'rc-corpus-settings-'));
      const file = path.join(dir, 'settings.json');
      await writeFile(file, JSON.stringify({ theme: 'light' }));
      const loadSettings = pMemoize(async (name) => JSON.parse(await readFile(path.join(dir, name), 'utf8')));
      await loadSettings('settings.json'); // warm: the memo holds the current settings
      return { dir, file, loadSettings };
    },
    tasks: {
      request: async (state) => state.loadSettings('settings.json'),
      admin: async (state) => {
        await writeFile(state.file, JSON.stringify({ theme: 'dark' }));
        pMemoizeClear(state.loadSettings);
      },
    },
    check: (_state, results) => {
      const settings = results.request.value;
      return settings?.theme === 'light' || settings?.theme === 'dark' || `the request read settings ${JSON.stringify(settings)}`;
    },
    teardown: (state) => rm(state.dir, { recursive: true, force: true }),
  };
}

export const buggy = scenario(pMemoizeBuggy, pMemoizeClearBuggy, '8.0.0');
export const fixed = scenario(pMemoizeFixed, pMemoizeClearFixed, '9.0.0');
