import type { PGlite } from '@electric-sql/pglite';

/** A table of counters, `items (id, value)`, in a Postgres database. */
export class ItemStore {
  constructor(private readonly db: PGlite) {}

  async value(id: number): Promise<number> {
    const { rows } = await this.db.query<{ value: number }>('SELECT value FROM items WHERE id = $1', [id]);
    if (rows[0] === undefined) throw new Error(`no item ${id}`);
    return rows[0].value;
  }

  /**
   * Reads the value, then writes it back plus one, in two statements. Another update can run between the
   * SELECT and the UPDATE, and this one then overwrites it with a stale value.
   */
  async incrementReadModifyWrite(id: number): Promise<void> {
    const current = await this.value(id);
    await this.db.query('UPDATE items SET value = $1 WHERE id = $2', [current + 1, id]);
  }

  /** One statement: the database reads and writes the row atomically. */
  async incrementAtomically(id: number): Promise<void> {
    await this.db.query('UPDATE items SET value = value + 1 WHERE id = $1', [id]);
  }
}
