/** Async synchronisation primitives with asyncio's semantics, for the code racecheck tests and for its fixes. */
export { Lock } from './lock.js';
export { LockTimeoutError, type AcquireOptions } from './errors.js';
