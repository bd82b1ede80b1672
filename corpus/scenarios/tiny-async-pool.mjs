// tiny-async-pool 2.0.1 → 2.1.0: results were lost when two iterations settled before the consumer asked for the
// next one. 2.0.1 removed each settled promise from its pool in a `.then`, so a second promise that settled in the
// meantime was removed too and never yielded. https://github.com/rxaviers/async-pool/pull/44 ("Consume each
// Promise.race promise at a time", fixes #42).
//
// A backup tool reads four files with at most two reads at once, `for await (const data of asyncPool(2, files,
// read))` as in the readme, and must get the contents of all four. Real files.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import asyncPoolBuggy from 'tiny-async-pool-buggy';
import asyncPoolFixed from 'tiny-async-pool-fixed';

const FILES = ['a.txt', 'b.txt', 'c.txt', 'd.txt'];

function scenario(asyncPool, version) {
  return {
    name: `tiny-async-pool@${version}: read four files two at a time and collect every content`,
    setup: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'rc-corpus-pool-'));
      for (const name of FILES) await writeFile(path.join(dir, name), `contents of ${name}`);
      return { dir };
    },
    tasks: {
      backup: async (state) => {
        const contents = [];
        for await (const data of asyncPool(2, FILES, (name) => readFile(path.join(state.dir, name), 'utf8'))) {
          contents.push(data);
        }
        return contents;
      },
    },
    check: (_state, results) => {
      const got = [...results.backup.value].sort();
      const expected = FILES.map((name) => `contents of ${name}`);
      return JSON.stringify(got) === JSON.stringify(expected) || `got ${got.length} of ${FILES.length} files: ${JSON.stringify(got)}`;
    },
    teardown: (state) => rm(state.dir, { recursive: true, force: true }),
  };
}

export const buggy = scenario(asyncPoolBuggy, '2.0.1');
export const fixed = scenario(asyncPoolFixed, '2.1.0');
