/**
 * The engine's per-execution statements (lookup, insert, finish) go straight
 * to the driver under Prisma: the same pool or PGlite instance, so the same
 * connections and transaction semantics, without Prisma's raw-query path,
 * which costs about a millisecond of CPU per statement. They are prepared per
 * connection: planning the lookup's joins cost more than running it.
 */
import type { SqlDriver } from '../db/sql-driver.ts';

export interface HotSql {
  readonly kind: SqlDriver['kind'];
  query<Row extends object>(text: string, params: unknown[]): Promise<Row[]>;
}

export function hotSql(driver: Pick<SqlDriver, 'kind' | 'query'>): HotSql {
  return { kind: driver.kind, query: (text, params) => driver.query(text, params, { prepare: true }) };
}
