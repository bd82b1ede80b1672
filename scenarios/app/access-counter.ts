import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lock } from 'racecheck/sync';

/** A request listener with node:http's signature, for `http.createServer(app)`, plus what it has counted. */
export interface AccessCounterApp {
  (req: IncomingMessage, res: ServerResponse): void;
  /** How many times /access has been served. */
  readonly accesses: number;
}

/**
 * The web server of seed article 002, Example 5: GET /access counts an access to a shared resource and
 * answers with the count. The handler reads the counter, does 100 ms of processing and writes it back plus
 * one; with `lock` it does that holding the lock, as the article's handler does.
 */
export function createAccessCounterApp(options: { lock?: Lock } = {}): AccessCounterApp {
  let accesses = 0;

  async function accessResource(res: ServerResponse): Promise<void> {
    const current = accesses;
    await sleep(100); // some processing delay
    accesses = current + 1;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`Resource accessed ${accesses} times.`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' || req.url !== '/access') {
      res.writeHead(404).end();
      return;
    }
    const { lock } = options;
    if (lock) await lock.runExclusive(() => accessResource(res));
    else await accessResource(res);
  }

  const app = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  };
  return Object.defineProperty(app, 'accesses', { get: () => accesses }) as AccessCounterApp;
}
