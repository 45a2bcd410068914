/** The benchmarks that need a PostgreSQL database of their own create and drop it through this. */
import pg from 'pg';

/** Runs one statement (CREATE / DROP DATABASE) on a fresh connection to `connectionString`. */
export async function postgresAdmin(connectionString: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
