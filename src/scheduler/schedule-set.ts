/**
 * Counts distinct schedules by their 52-bit hashes in an open-addressing table of doubles: 8 bytes a
 * schedule, so a search of millions of runs keeps its count without keeping its runs.
 */
export class ScheduleSet {
  private table = new Float64Array(1024);
  private count = 0;
  private hasZero = false;

  get size(): number {
    return this.count;
  }

  /** Adds a hash; true if it was not there before. */
  add(hash: number): boolean {
    if (hash === 0) {
      if (this.hasZero) return false;
      this.hasZero = true;
      this.count++;
      return true;
    }
    if (this.count * 2 >= this.table.length) this.grow();
    const mask = this.table.length - 1;
    for (let i = hash % this.table.length; ; i = (i + 1) & mask) {
      const slot = this.table[i]!;
      if (slot === hash) return false;
      if (slot === 0) {
        this.table[i] = hash;
        this.count++;
        return true;
      }
    }
  }

  delete(hash: number): void {
    if (hash === 0) {
      if (this.hasZero) this.count--;
      this.hasZero = false;
      return;
    }
    const old = this.table;
    const mask = old.length - 1;
    for (let i = hash % old.length; old[i] !== 0; i = (i + 1) & mask) {
      if (old[i] !== hash) continue;
      // Linear probing: re-insert the rest of the cluster so lookups still find it.
      old[i] = 0;
      this.count--;
      for (let j = (i + 1) & mask; old[j] !== 0; j = (j + 1) & mask) {
        const moved = old[j]!;
        old[j] = 0;
        this.count--;
        this.add(moved);
      }
      return;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2);
    this.count = this.hasZero ? 1 : 0;
    for (const hash of old) if (hash !== 0) this.add(hash);
  }
}
