import type { Reporter } from './types.js';

/** Writes the whole report as one JSON document once the run is over, and nothing before. */
export function createJsonReporter(write: (text: string) => void | Promise<void>): Reporter {
  return {
    onEnd: (report) => write(`${JSON.stringify(report, null, 2)}\n`),
  };
}
