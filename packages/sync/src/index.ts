/**
 * Async synchronisation primitives with asyncio's semantics, for the code racecheck tests and for its fixes.
 * Waits are first come first served and take `{ timeoutMs, signal }`; a wait that times out rejects with
 * LockTimeoutError, one that is aborted with an AbortError, and neither holds what it waited for.
 */
export { Lock } from './lock.js';
export { Semaphore, BoundedSemaphore } from './semaphore.js';
export { Event } from './event.js';
export { LockTimeoutError, LockNotHeldError, SemaphoreOverReleaseError, type AcquireOptions } from './errors.js';
