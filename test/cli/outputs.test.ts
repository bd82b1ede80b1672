import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { openSync, closeSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureStream, ROOT, runMain } from './helpers.js';

/** Reports are written or the run fails: one line on stderr and exit 2, never 0 or 1. */
describe('where reports go', () => {
  const counter = ['scenarios/counter.ts', '--runs', '1', '--seed', '1'];

  it.each([
    ['a directory', ['--json', '--output', 'scenarios'], 'racecheck: cannot write the json report to scenarios: it is a directory\n'],
    ['a full disk', ['--json', '--output', '/dev/full'], 'racecheck: cannot write the json report to /dev/full: no space left on the device (ENOSPC)\n'],
    ['a full disk, for JUnit', ['--reporter', 'junit:/dev/full'], 'racecheck: cannot write the junit report to /dev/full: no space left on the device (ENOSPC)\n'],
    // /proc takes no new files, even from root (a read-only directory does not stop root).
    ['a directory that takes no files', ['--reporter', 'junit:/proc/racecheck.xml'], 'racecheck: cannot write the junit report to /proc/racecheck.xml: no such file or directory (ENOENT)\n'],
  ])('fails for %s with one line and exit 2', async (_what, args, message) => {
    const { code, stderr } = await runMain([...counter, ...args]);
    expect(code).toBe(2);
    expect(stderr.endsWith(message)).toBe(true);
    expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('refuses two reporters to one file, however it is spelled', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'racecheck-same-'));
    const same = path.join(dir, 'same.xml');
    expect(await runMain([...counter, '--reporter', `json:${same}`, '--reporter', `junit:${same}`])).toMatchObject({
      code: 2,
      stderr: `racecheck: json and junit would both write to ${same}; give each reporter its own file\n`,
    });
    expect(await runMain([...counter, '--reporter', `junit:${dir}/./same.xml`, '--json', '--output', same])).toMatchObject({ code: 2, stderr: expect.stringMatching(/would both write to/) });
  });

  it('says nothing when the reader of stdout goes away (EPIPE), and the exit code still says what was found', async () => {
    const closed = Object.assign(
      new Writable({
        write(_chunk, _encoding, done) {
          done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        },
      }),
      { isTTY: false },
    );
    closed.on('error', () => undefined);
    const stderr = captureStream();
    const code = await main([...counter, '--json'], { stdout: closed, stderr, env: { ...process.env, NO_COLOR: '1' }, cwd: ROOT });
    expect({ code, stderr: stderr.text() }).toEqual({ code: 1, stderr: '' });
  });

  it('fails with one line when stdout is a full disk (the real CLI, its fd 1 on /dev/full)', async () => {
    const full = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, [fileURLToPath(new URL('../../bin/racecheck.js', import.meta.url)), ...counter, '--json'], { cwd: ROOT, stdio: ['ignore', full, 'pipe'] });
    closeSync(full);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 2, stderr: 'racecheck: cannot write the json report to stdout: no space left on the device (ENOSPC)\n' });
  });

  it('keeps the other reports when one reporter throws, and says which', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'racecheck-broken-')), 'report.json');
    const { code, stdout, stderr } = await runMain([...counter, '--reporter', 'test/fixtures/cli/reporters/broken-reporter.mjs', '--reporter', 'pretty', '--reporter', `json:${file}`]);
    expect({ code, stderr }).toEqual({ code: 2, stderr: 'racecheck: the reporter test/fixtures/cli/reporters/broken-reporter.mjs failed: Error: this reporter is broken\n' });
    expect(stdout).toContain('1 failed (1 scenario)');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ summary: { failed: 1 } });
  });

  it('writes the HTML report to its file, beside the pretty report', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'racecheck-html-')), 'report.html');
    const { code, stdout } = await runMain([...counter, '--reporter', 'pretty', '--reporter', `html:${file}`]);
    expect(code).toBe(1);
    expect(stdout).toContain('✗ scenarios/counter.ts#default');
    const html = await readFile(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('scenarios/counter.ts#default');
  });

  it('takes a reporter module of ones own, by its path, to stdout or to a file', async () => {
    const reporter = 'test/fixtures/cli/reporters/count-reporter.mjs';
    const { code, stdout } = await runMain([...counter, 'test/fixtures/core/counter-locked.ts', '--reporter', reporter]);
    expect(code).toBe(1);
    expect(stdout).toBe('3 scenarios (scenarios/counter.ts#default, test/fixtures/core/counter-locked.ts#exclusive, test/fixtures/core/counter-locked.ts#locked), 1 failed\n');
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'racecheck-own-')), 'count.txt');
    await writeFile(file, 'stale');
    expect((await runMain([...counter, '--reporter', 'pretty', '--reporter', `${reporter}:${file}`])).stdout).toContain('✗ scenarios/counter.ts#default');
    expect(await readFile(file, 'utf8')).toBe('1 scenarios (scenarios/counter.ts#default), 1 failed\n');
  });
});
