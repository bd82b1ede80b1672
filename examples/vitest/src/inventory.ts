import { Lock } from '@racecheck/sync';

/** Where stock levels are persisted; any async store will do. */
export interface StockStore {
  save(item: string, count: number): Promise<void>;
}

/** Reserves stock. Two reservations can both see the last unit: the check and the write straddle an await. */
export class Inventory {
  protected readonly stock: Map<string, number>;

  constructor(
    stock: Record<string, number>,
    protected readonly store: StockStore,
  ) {
    this.stock = new Map(Object.entries(stock));
  }

  async reserve(item: string, count: number): Promise<boolean> {
    const available = this.stock.get(item) ?? 0;
    if (available < count) return false;
    await this.store.save(item, available - count); // another reserve() can run here
    this.stock.set(item, available - count);
    return true;
  }

  left(item: string): number {
    return this.stock.get(item) ?? 0;
  }
}

/** The fix: the check, the save and the write happen under one lock, so no reservation sees stale stock. */
export class LockedInventory extends Inventory {
  readonly #lock = new Lock();

  override reserve(item: string, count: number): Promise<boolean> {
    return this.#lock.runExclusive(() => super.reserve(item, count));
  }
}
