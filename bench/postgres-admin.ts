/** The benchmarks that need a PostgreSQL database of their own create and drop it through this. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type Prisma } from '../server/db/database.ts';

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

/** The PostgreSQL server the benchmarks create their databases on. */
export const BENCH_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** Runs `run` on a migrated database of its own, dropped afterwards whatever happens. */
export async function withBenchDatabase<T>(poolSize: number, run: (database: Database) => Promise<T>): Promise<T> {
  const name = `sb_bench_${randomBytes(5).toString('hex')}`;
  await postgresAdmin(BENCH_ADMIN_URL, `CREATE DATABASE "${name}"`);
  const url = new URL(BENCH_ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: 'memory://', poolSize });
  try {
    return await run(database);
  } finally {
    await database.close();
    await postgresAdmin(BENCH_ADMIN_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

/** An organization with `count` tools of the three types, for benchmarks that write executions directly. */
export async function createBenchTools(prisma: Prisma, count: number) {
  const org = await prisma.organization.create({
    data: { name: 'Bench', slug: `bench-${randomBytes(4).toString('hex')}` },
  });
  const types = ['ENDPOINT', 'CODE', 'LAMBDA'] as const;
  const tools = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      prisma.tool.create({
        data: {
          organizationId: org.id,
          name: `tool_${i}`,
          displayName: `tool ${i}`,
          type: types[i % types.length]!,
          functionDefinition: { name: `tool_${i}`, parameters: { type: 'object', properties: {} } },
        },
      }),
    ),
  );
  return { org, tools };
}
