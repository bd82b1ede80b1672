import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeReplayToken } from '../../src/report/replay-token.js';
import { runMain } from './helpers.js';

/**
 * A replay token is input: it is decoded, never evaluated, and the file it names is checked before
 * anything is imported. Each crafted token here names a module that would leave a mark if it ran.
 */
describe('a replay token cannot run code', () => {
  let project: string;
  let mark: string;
  const token = (id: string) => encodeReplayToken({ id, strategy: 'random', seed: 1, choices: [0], counts: [1] });

  beforeAll(async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'racecheck-token-'));
    project = path.join(root, 'project');
    mark = path.join(root, 'ran');
    await mkdir(path.join(project, 'scenarios'), { recursive: true });
    const evil = `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(mark)}, 'ran');\nexport const x = { tasks: [() => 1] };\n`;
    await writeFile(path.join(root, 'outside.mjs'), evil);
    await symlink(path.join(root, 'outside.mjs'), path.join(project, 'scenarios', 'link.mjs'));
  });

  it.each([
    ['an absolute path', (root: string) => `${root}/outside.mjs#x`, 'its file is not a path relative to the working directory'],
    ['a path up and out', () => '../outside.mjs#x', 'its file is outside the working directory, or not written as racecheck writes paths'],
    ['a symbolic link that leads out', () => 'scenarios/link.mjs#x', 'its file leads outside the working directory'],
    ['a glob', () => 'scenarios/*.mjs#x', 'there is no such file'],
    ['a directory', () => 'scenarios#x', 'its file is not a scenario module (.ts, .mts, .js, .mjs)'],
    ['a file that is not a module', () => 'package.json#x', 'its file is not a scenario module (.ts, .mts, .js, .mjs)'],
  ])('refuses %s before importing anything', async (_what, id, reason) => {
    const named = id(path.dirname(project));
    const { code, stderr } = await runMain(['--replay', token(named)], { cwd: project });
    expect({ code, stderr }).toEqual({ code: 2, stderr: `racecheck: the replay token names ${JSON.stringify(named)}, which is not a scenario in this directory: ${reason}\n` });
    expect(existsSync(mark)).toBe(false);
  });

  it('refuses a deflate bomb as soon as it inflates past what a schedule can be', async () => {
    const bomb = `1.${deflateRawSync(Buffer.alloc(90 * 1024 * 1024)).toString('base64url')}`;
    expect(bomb.length).toBeLessThan(128 * 1024);
    const { code, stderr } = await runMain(['--replay', bomb], { cwd: project });
    expect({ code, stderr }).toEqual({ code: 2, stderr: 'racecheck: the replay token decompresses to more than 10,070,318 bytes, more than any schedule racecheck records\n' });
  });

  it('refuses out-of-range fields with one line', async () => {
    const seed = encodeReplayToken({ id: 'scenarios/x.ts#x', strategy: 'random', seed: 2 ** 52, choices: [], counts: [] });
    expect((await runMain(['--replay', seed], { cwd: project })).stderr).toBe('racecheck: the replay token is damaged (its seed is out of range); copy it again in full\n');
  });
});

describe('the printed replay command', () => {
  it('reproduces a scenario named by an absolute path outside the working directory', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'racecheck-outside-'));
    const project = path.join(root, 'project');
    const elsewhere = path.join(root, 'elsewhere');
    await mkdir(path.join(elsewhere, 'node_modules'), { recursive: true });
    await mkdir(project, { recursive: true });
    await symlink(path.resolve(import.meta.dirname, '../..'), path.join(elsewhere, 'node_modules', 'racecheck'));
    const file = path.join(elsewhere, 'counter.ts');
    await writeFile(file, (await import('node:fs')).readFileSync(path.resolve(import.meta.dirname, '../../scenarios/counter.ts'), 'utf8'));
    const found = await runMain([file, '--seed', '1', '--json'], { cwd: project });
    const violation = (JSON.parse(found.stdout) as { scenarios: { violation: { replay: string; command: string; trace: unknown } }[] }).scenarios[0]!.violation;
    expect(violation.command).toBe(`racecheck ${file} --replay ${violation.replay}`);
    const replayed = await runMain([file, '--replay', violation.replay, '--json'], { cwd: project });
    expect(replayed.code, replayed.stderr).toBe(1);
    expect((JSON.parse(replayed.stdout) as { scenarios: { violation: { trace: unknown } }[] }).scenarios[0]!.violation.trace).toEqual(violation.trace);
    // The token alone still names no file outside the working directory.
    const alone = await runMain(['--replay', violation.replay], { cwd: project });
    expect(alone.code).toBe(2);
  });
});
