// cache-manager 5.2.4 → 5.3.x: concurrent `wrap()` calls for a key that is not cached yet each ran the wrapped
// function; 4.x had coalesced them and 5.0 lost it. https://github.com/jaredwray/cacheable/issues/395
// ("Concurrent calls to `.wrap()` don't use the cached value", also #417), fixed by
// https://github.com/jaredwray/cacheable/pull/599 ("coalesce concurrent requests to `wrap` function", 5.3.0;
// 5.3.0's tarball has no dist/, so 5.3.2 is the fixed version used here).
//
// NOTE: cache-manager 5.2.4 is transpiled TypeScript (`__awaiter` generators), so `--include` finds no native
// await in the buggy version; the race is still reachable here because the wrapped loader is scenario code.
//
// Three request handlers ask for the same user through `memoryCache.wrap(key, () => getUser(id), ttl)`, the
// readme's example; getUser reads the user's JSON file from disk and counts its reads. Real files.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { caching as cachingBuggy } from 'cache-manager-buggy';
import { caching as cachingFixed } from 'cache-manager-fixed';

function scenario(caching, version) {
  const handler = async (state) => {
    const user = await state.cache.wrap('user:42', () => state.getUser(42), 10_000);
    return user.name;
  };
  return {
    name: `cache-manager@${version}: three concurrent handlers wrap() the same user lookup`,
    setup: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'rc-corpus-users-'));
      await writeFile(path.join(dir, '42.json'), JSON.stringify({ id: 42, name: 'Ada' }));
      const state = { dir, reads: 0, cache: await caching('memory', { max: 100, ttl: 10_000 }) };
      state.getUser = async (id) => {
        state.reads += 1;
        return JSON.parse(await readFile(path.join(dir, `${id}.json`), 'utf8'));
      };
      return state;
    },
    tasks: { home: handler, profile: handler, settings: handler },
    check: (state) => state.reads === 1 || `the user was read from disk ${state.reads} times for one cached key`,
    teardown: (state) => rm(state.dir, { recursive: true, force: true }),
  };
}

export const buggy = scenario(cachingBuggy, '5.2.4');
export const fixed = scenario(cachingFixed, '5.3.2');
