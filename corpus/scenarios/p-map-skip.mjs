// p-map 5.2.0 → 5.3.0: with more than one `pMapSkip`, the result dropped the wrong elements whenever the mappers
// that skipped finished in ascending index order: 5.2.0 spliced the skipped indexes out of the result one by one,
// in the order they finished, so each splice shifted the positions the next one used. 5.3.0 ("Support multiple
// `pMapSkip`'s") filters the skipped indexes out after all mappers settled.
// https://github.com/sindresorhus/p-map/compare/v5.2.0...v5.3.0
//
// A CLI loads its optional plugin manifests: every name in the list whose manifest file exists, skipping the
// missing ones with `pMapSkip`, as p-map's readme shows. Two of the five are missing. Real files.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pMapBuggy, { pMapSkip as pMapSkipBuggy } from 'p-map-skip-buggy';
import pMapFixed, { pMapSkip as pMapSkipFixed } from 'p-map-skip-fixed';

const PLUGINS = ['lint', 'format', 'test', 'deploy', 'docs'];
const INSTALLED = ['lint', 'test', 'docs'];

function scenario(pMap, pMapSkip, version) {
  return {
    name: `p-map@${version}: load the plugin manifests that exist, pMapSkip the two that are missing`,
    setup: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'rc-corpus-plugins-'));
      for (const name of INSTALLED) await writeFile(path.join(dir, `${name}.json`), JSON.stringify({ name }));
      return { dir };
    },
    tasks: {
      cli: (state) =>
        pMap(
          PLUGINS,
          async (name) => {
            try {
              return JSON.parse(await readFile(path.join(state.dir, `${name}.json`), 'utf8')).name;
            } catch (error) {
              if (error.code === 'ENOENT') return pMapSkip;
              throw error;
            }
          },
          { concurrency: 2 },
        ),
    },
    check: (_state, results) => {
      const loaded = results.cli.value;
      return JSON.stringify(loaded) === JSON.stringify(INSTALLED) || `loaded ${JSON.stringify(loaded)}, expected ${JSON.stringify(INSTALLED)}`;
    },
    teardown: (state) => rm(state.dir, { recursive: true, force: true }),
  };
}

export const buggy = scenario(pMapBuggy, pMapSkipBuggy, '5.2.0');
export const fixed = scenario(pMapFixed, pMapSkipFixed, '5.3.0');
