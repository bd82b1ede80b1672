import type { OutStream } from './outputs.js';

/** SIGINT and SIGTERM, from wherever they come: the process's (bin/racecheck.js), or a test's. */
export interface SignalSource {
  on(listener: (signal: 'SIGINT' | 'SIGTERM') => void): () => void;
}

/** The process around the CLI, passed in so tests can run it without spawning. */
export interface CliEnvironment {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly signals?: SignalSource;
}
