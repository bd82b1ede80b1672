/**
 * A lock with threading.Lock's shape: `acquire()` does not return until the lock is free, by waiting
 * synchronously. Between threads another thread would release it; inside one event loop nothing else can
 * run while acquire() spins, so a contended acquire never returns. (A real thread lock blocks in the
 * kernel instead of spinning; to the event loop it is the same.)
 */
export class SpinLock {
  #locked = false;

  acquire(): void {
    while (this.#locked) {
      // Waits for a release that only another thread could make.
    }
    this.#locked = true;
  }

  release(): void {
    this.#locked = false;
  }
}
