/**
 * A fresh, migrated database per test file: a new PostgreSQL database when the
 * server is reachable (CI and this machine), else embedded PGlite in memory;
 * under CI=true an unreachable PostgreSQL fails instead. SWITCHBOARD_TEST_DB=pglite
 * forces the embedded path.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../server/db/database.ts';

export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | null = null;
export function postgresReachable(): Promise<boolean> {
  if (process.env.SWITCHBOARD_TEST_DB === 'pglite') return Promise.resolve(false);
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      return false;
    }
  })();
  return reachable;
}

export interface TestDatabase {
  database: Database;
  /** The PostgreSQL URL, or null on PGlite. */
  url: string | null;
  drop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createPostgresDatabase(): Promise<string> {
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropPostgresDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

export async function createTestDatabase(
  options: { engine?: 'postgresql' | 'pglite'; onQuery?: (sql: string) => void } = {},
): Promise<TestDatabase> {
  const usePostgres = options.engine ? options.engine === 'postgresql' : await postgresReachable();
  // Under CI a missing PostgreSQL is a failure, not a quiet move to PGlite (only an explicit choice is).
  if (!usePostgres && !options.engine && process.env.CI === 'true' && process.env.SWITCHBOARD_TEST_DB !== 'pglite')
    throw new Error(`PostgreSQL (${TEST_POSTGRES_URL}) is required under CI=true, and it is not reachable`);
  if (usePostgres) {
    const url = await createPostgresDatabase();
    const database = await openDatabase({
      databaseUrl: url,
      dataDir: 'memory://',
      poolSize: 5,
      onQuery: options.onQuery,
    });
    return {
      database,
      url,
      async drop() {
        await database.close();
        await dropPostgresDatabase(url);
      },
    };
  }
  const database = await openDatabase({ databaseUrl: null, dataDir: 'memory://', onQuery: options.onQuery });
  return { database, url: null, drop: () => database.close() };
}
