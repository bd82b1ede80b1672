// p-map 7.0.4 → 7.0.5: pMapIterable handed the mapper an `index` numbered in the order the input promises
// settled, not their position in the source: `await mapper(await value, index++)` read the shared counter after
// the worker's own `await value`. https://github.com/sindresorhus/p-map/pull/88 ("Fix `pMapIterable` mapper
// index for out-of-order promise inputs").
//
// A build step reads three source files at once (their reads are the input promises, in the order the files are
// listed) and streams them through pMapIterable to a bundler that needs each chunk's position in the list.
// The position a chunk was given must be the position of its file. Real files.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pMapIterable as pMapIterableBuggy } from 'p-map-iterable-buggy';
import { pMapIterable as pMapIterableFixed } from 'p-map-iterable-fixed';

const FILES = ['header.js', 'body.js', 'footer.js'];

function scenario(pMapIterable, version) {
  return {
    name: `p-map@${version}: pMapIterable over three file reads gives each chunk its file's position`,
    setup: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'rc-corpus-bundle-'));
      for (const name of FILES) await writeFile(path.join(dir, name), `// ${name}\n`);
      return { dir };
    },
    tasks: {
      bundle: async (state) => {
        const reads = FILES.map((name) => readFile(path.join(state.dir, name), 'utf8'));
        const chunks = [];
        for await (const chunk of pMapIterable(reads, (source, index) => ({ index, source }), { concurrency: 3 })) {
          chunks.push(chunk);
        }
        return chunks;
      },
    },
    check: (_state, results) => {
      for (const { index, source } of results.bundle.value) {
        if (source !== `// ${FILES[index]}\n`) return `chunk ${JSON.stringify(source.trim())} was given position ${index} (${FILES[index]})`;
      }
      return true;
    },
    teardown: (state) => rm(state.dir, { recursive: true, force: true }),
  };
}

export const buggy = scenario(pMapIterableBuggy, '7.0.4');
export const fixed = scenario(pMapIterableFixed, '7.0.5');
