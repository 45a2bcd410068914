/**
 * The few raw-SQL operations the migration runner and metrics need, over
 * either a pg Pool or an embedded PGlite instance.
 */
import { createHash } from 'node:crypto';
import { parse, protocol, type PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';

export interface QueryOptions {
  /**
   * Prepares the statement once per connection (PostgreSQL): later runs skip
   * parsing and planning, which cost more than executing the engine's small
   * statements. Only for fixed statement texts, which are few.
   */
  prepare?: boolean;
}

export interface SqlDriver {
  readonly kind: 'postgresql' | 'pglite';
  /** The pool under a PostgreSQL driver: graphile-worker opens its own pool with the same settings. */
  readonly pool?: Pool;
  query<Row extends object>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Row[]>;
  /** Runs several statements in one round trip (no parameters). */
  exec(sql: string): Promise<void>;
  /** Runs `work` on one connection, so session-level locks and transactions hold. */
  withConnection<T>(work: (connection: SqlDriver) => Promise<T>): Promise<T>;
}

/** Statement names are derived from the text, so every connection prepares a text under the same name. */
const statementNames = new Map<string, string>();

function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `sb_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    statementNames.set(sql, name);
  }
  return name;
}

export function pgDriver(pool: Pool): SqlDriver {
  const driver: SqlDriver = {
    kind: 'postgresql',
    pool,
    async query<Row extends object>(sql: string, params: unknown[] = [], options?: QueryOptions) {
      const result = options?.prepare
        ? await pool.query<Row>({ name: statementName(sql), text: sql, values: params })
        : await pool.query<Row>(sql, params);
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

/** An array parameter as a PostgreSQL array literal: every element quoted, NULL bare. */
function arrayLiteral(values: readonly unknown[]): string {
  const elements = values.map((value) => {
    const text = textParameter(value);
    return text === null ? 'NULL' : `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  });
  return `{${elements.join(',')}}`;
}

/** A parameter of a prepared PGlite statement in PostgreSQL's text format (as pg sends them). */
function textParameter(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return arrayLiteral(value);
  throw new TypeError('prepared statements take scalars and arrays of them (serialise JSON before passing it)');
}

function concatenate(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Named statements over PGlite's wire protocol (its `query()` parses and plans
 * every time, which costs the embedded database more than running the engine's
 * statements). Same locks as `query()`, so it never interleaves with a transaction.
 */
function preparedPglite(db: PGlite): <Row extends object>(sql: string, params: unknown[]) => Promise<Row[]> {
  const prepared = new Set<string>();
  return async <Row extends object>(sql: string, params: unknown[]) => {
    await db.waitReady;
    const name = statementName(sql);
    const values = params.map(textParameter);
    return db._runExclusiveTransaction(() =>
      db._runExclusiveQuery(async () => {
        if (!prepared.has(name)) {
          await db.execProtocol(
            concatenate([protocol.serialize.parse({ name, text: sql, types: [] }), protocol.serialize.sync()]),
            {},
          );
          prepared.add(name);
        }
        const result = await db.execProtocol(
          concatenate([
            protocol.serialize.bind({ statement: name, values }),
            protocol.serialize.describe({ type: 'P' }),
            protocol.serialize.execute({}),
            protocol.serialize.sync(),
          ]),
          {},
        );
        return (parse.parseResults(result.messages, db.parsers)[0]?.rows ?? []) as Row[];
      }),
    );
  };
}

export function pgliteDriver(db: PGlite): SqlDriver {
  const queryPrepared = preparedPglite(db);
  const driver: SqlDriver = {
    kind: 'pglite',
    async query<Row extends object>(sql: string, params: unknown[] = [], options?: QueryOptions) {
      if (options?.prepare) return queryPrepared<Row>(sql, params);
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
