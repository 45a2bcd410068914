/**
 * PostgreSQL ending a pooled connection (a restart, a failover, an administrator)
 * must not take the process down: pg re-throws an idle connection's error when the
 * pool has no listener, and Prisma's own listener only exists while Prisma is
 * connected (not during migrations, not after it disconnects).
 */
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { openDatabase } from '../../server/db/database.ts';
import { createPostgresDatabase, dropPostgresDatabase } from '../helpers/database.ts';
import { requirePostgres } from '../helpers/required-services.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function terminateOthers(url: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return rows.length;
  } finally {
    await admin.end();
  }
}

describe('database connections', () => {
  test('an idle connection ended by the server is reported, and the next query opens a new one', async (context) => {
    await requirePostgres(context);
    const url = await createPostgresDatabase();
    cleanups.push(() => dropPostgresDatabase(url));
    const failures: Error[] = [];
    // No Prisma query yet: only the driver's pool is in use, as during start-up migrations.
    const database = await openDatabase({
      databaseUrl: url,
      dataDir: 'memory://',
      poolSize: 2,
      onConnectionError: (error) => failures.push(error),
    });
    cleanups.push(() => database.close());
    await database.sql.query('SELECT 1');

    expect(await terminateOthers(url)).toBeGreaterThan(0);
    await expect.poll(() => failures.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(failures[0]!.message).toMatch(/terminat/);
    expect(await database.sql.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
