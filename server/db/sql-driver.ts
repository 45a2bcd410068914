/**
 * The few raw-SQL operations the migration runner and metrics need, over
 * either a pg Pool or an embedded PGlite instance.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';

export interface SqlDriver {
  readonly kind: 'postgresql' | 'pglite';
  query<Row extends object>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs several statements in one round trip (no parameters). */
  exec(sql: string): Promise<void>;
  /** Runs `work` on one connection, so session-level locks and transactions hold. */
  withConnection<T>(work: (connection: SqlDriver) => Promise<T>): Promise<T>;
}

export function pgDriver(pool: Pool): SqlDriver {
  const driver: SqlDriver = {
    kind: 'postgresql',
    async query<Row extends object>(sql: string, params: unknown[] = []) {
      const result = await pool.query<Row>(sql, params);
      return result.rows;
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async withConnection(work) {
      const client = await pool.connect();
      try {
        return await work({
          kind: 'postgresql',
          async query<Row extends object>(sql: string, params: unknown[] = []) {
            return (await client.query<Row>(sql, params)).rows;
          },
          async exec(sql) {
            await client.query(sql);
          },
          withConnection: (inner) => inner(driver),
        });
      } finally {
        client.release();
      }
    },
  };
  return driver;
}

export function pgliteDriver(db: PGlite): SqlDriver {
  const driver: SqlDriver = {
    kind: 'pglite',
    async query<Row extends object>(sql: string, params: unknown[] = []) {
      return (await db.query<Row>(sql, params)).rows;
    },
    async exec(sql) {
      await db.exec(sql);
    },
    // PGlite has a single connection: every call already shares it.
    withConnection: (work) => work(driver),
  };
  return driver;
}
