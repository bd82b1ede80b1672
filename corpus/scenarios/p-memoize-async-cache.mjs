// p-memoize 6.0.2 → 7.0.0: with an asynchronous cache, a call made before the first call's `cache.has()`
// answered did not see the first call and ran the function again.
// https://github.com/sindresorhus/p-memoize/pull/48 ("synchronously cache pending promises": "Before, if a
// function is called twice before the asynchronous cache is checked in the first call, the second call will
// not recognise the first one"), released in 7.0.0; reported in issue #34.
//
// An image service memoizes an expensive thumbnail render behind a cache kept on disk (one JSON file per key,
// read and written with fs/promises), the way p-memoize's readme suggests for persistent caches. Three requests
// for the same thumbnail arrive together. Real files.
import { randomUUID } from 'node:crypto';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pMemoizeBuggy from 'p-memoize-async-cache-buggy';
import pMemoizeFixed from 'p-memoize-async-cache-fixed';

/** A cache that lives on disk: the `has`/`get`/`set` of a Map, each a file operation. */
function createDiskCache(dir) {
  const file = (key) => path.join(dir, `${encodeURIComponent(key)}.json`);
  return {
    has: (key) => access(file(key)).then(() => true, () => false),
    get: async (key) => JSON.parse(await readFile(file(key), 'utf8')),
    set: (key, value) => writeFile(file(key), JSON.stringify(value)),
    delete: (key) => rm(file(key), { force: true }),
    clear: () => {},
  };
}

function scenario(pMemoize, version) {
  const request = async (state) => {
    const thumbnail = await state.thumbnail('cat.png');
    return thumbnail.id;
  };
  return {
    name: `p-memoize@${version}: three requests for one thumbnail, memoized behind a cache on disk`,
    setup: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'rc-corpus-thumbs-'));
      const state = { dir, renders: 0 };
      const render = async (name) => {
        state.renders += 1;
        const id = randomUUID();
        await writeFile(path.join(dir, `${id}.webp`), `thumbnail of ${name}`);
        return { name, id };
      };
      state.thumbnail = pMemoize(render, { cache: createDiskCache(dir) });
      return state;
    },
    tasks: { first: request, second: request, third: request },
    check: (state, results) => {
      if (state.renders !== 1) return `the thumbnail was rendered ${state.renders} times for one memoized key`;
      const ids = new Set(Object.values(results).map((r) => r.value));
      return ids.size === 1 || `the requests got ${ids.size} different thumbnails`;
    },
    teardown: (state) => rm(state.dir, { recursive: true, force: true }),
  };
}

export const buggy = scenario(pMemoizeBuggy, '6.0.2');
export const fixed = scenario(pMemoizeFixed, '7.0.0');
