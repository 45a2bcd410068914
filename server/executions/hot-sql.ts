/**
 * The engine's per-execution statements (lookup, insert, finish) go straight
 * to the driver under Prisma: the same pool or PGlite instance, so the same
 * connections and transactions semantics, without Prisma's raw-query path,
 * which costs about a millisecond of CPU per statement. They are prepared per
 * connection on PostgreSQL: planning the lookup's joins cost more than running it.
 */
import type { Prisma } from '../db/database.ts';
import type { SqlDriver } from '../db/sql-driver.ts';

export interface HotSql {
  query<Row extends object>(text: string, params: unknown[]): Promise<Row[]>;
}

/** The driver when given; else the same statements through Prisma (callers that only have a client). */
export function hotSql(prisma: Prisma, driver?: Pick<SqlDriver, 'query'>): HotSql {
  if (driver) return { query: (text, params) => driver.query(text, params, { prepare: true }) };
  return { query: (text, params) => prisma.$queryRawUnsafe(text, ...params) };
}
