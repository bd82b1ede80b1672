/**
 * Seed article 002 ("how to use asyncio.Lock"), "Example 5: Using asyncio.Lock in an Asynchronous Web
 * Server": a request handler counts accesses to a shared resource. The handler here has node:http's
 * `(req, res)` signature and is driven in-process with light-my-request, one request per task, so each
 * request's handler runs as part of the task that sent it. It reads the counter, awaits 100 ms of
 * processing, and writes it back: concurrent requests lose counts and several get the same answer. The
 * article's handler holds one lock across the whole update, which fixes it. (The article's handler does
 * `resource_counter += 1` after the await, which would count correctly even without the lock; this one
 * reads before the await, the way the lock matters.)
 */
import inject from 'light-my-request';
import { defineScenario, type TaskResults } from 'racecheck';
import { Lock } from 'racecheck/sync';
import { createAccessCounterApp, type AccessCounterApp } from './app/access-counter.js';

const REQUESTS = 4;

async function request(app: AccessCounterApp): Promise<string> {
  const response = await inject(app, { method: 'GET', url: '/access' });
  if (response.statusCode !== 200) throw new Error(`GET /access answered ${response.statusCode}: ${response.body}`);
  return response.body;
}

function check(app: AccessCounterApp, results: TaskResults): true | string {
  if (app.accesses !== REQUESTS) return `expected ${REQUESTS} accesses after ${REQUESTS} requests, counted ${app.accesses}`;
  const bodies = Object.values(results).map((result) => (result.status === 'fulfilled' ? result.value : null));
  const distinct = new Set(bodies);
  return distinct.size === REQUESTS || `responses repeat a count: ${JSON.stringify(bodies)}`;
}

const scenario = (name: string, create: () => AccessCounterApp) =>
  defineScenario({
    name,
    setup: create,
    tasks: Array.from({ length: REQUESTS }, () => request),
    check,
  });

export const buggyHandlerWithoutLock = scenario('web server: concurrent requests lose counts without a lock', () => createAccessCounterApp());

export const fixedHandlerWithLock = scenario('web server: the handler updates the counter under one lock', () =>
  createAccessCounterApp({ lock: new Lock() }),
);
