import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll } from 'vitest';

/**
 * Starts test/fixtures/trust/slow-peer-server.mjs (a peer in a process of its own) before the tests of the
 * enclosing describe, puts its ports in RACECHECK_SLOW_PEER for the fixtures, and ends it after them.
 */
export function useSlowPeer(): void {
  let peer: ChildProcess | undefined;
  beforeAll(async () => {
    peer = spawn(process.execPath, ['test/fixtures/trust/slow-peer-server.mjs'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = await Promise.race([
      (async () => {
        for await (const first of createInterface({ input: peer!.stdout! })) return [first];
        return [undefined];
      })(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the slow peer did not start in 10 s')), 10_000)),
    ]);
    process.env.RACECHECK_SLOW_PEER = line;
  });
  afterAll(() => {
    peer?.kill();
    delete process.env.RACECHECK_SLOW_PEER;
  });
}
