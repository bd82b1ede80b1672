/**
 * The first setup file of every test worker (the plugin puts it there). vitest loads setup files through
 * Vite, so the `vitest` imported here is the one running the tests (the plugin dedupes it); everything
 * else of racecheck's runs natively, from ./worker.js.
 */
import { afterAll, expect, inject, onTestFinished, test, vi } from 'vitest';
import { PROVIDE_KEY, type WorkerSettings } from './settings.js';
import { connectWorker } from './worker.js';

connectWorker({ test, expect, onTestFinished, afterAll, vi }, (inject as unknown as (key: string) => WorkerSettings | undefined)(PROVIDE_KEY));
