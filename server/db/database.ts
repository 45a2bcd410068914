/**
 * Opens the platform's database: PostgreSQL through @prisma/adapter-pg when a
 * URL is configured, otherwise the embedded PGlite store under the data dir.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/prisma/client.ts';
import { migrate } from './migrate.ts';
import { pgDriver, pgliteDriver, type SqlDriver } from './sql-driver.ts';

export type Prisma = PrismaClient;

export interface Database {
  prisma: PrismaClient;
  sql: SqlDriver;
  /** Where the data lives, for start-up messages: a redacted URL or a directory. */
  description: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | null;
  /** Embedded mode: directory of the PGlite store; `memory://` keeps it in memory. */
  dataDir: string;
  /** Apply pending migrations before returning (the default). */
  migrate?: boolean;
  poolSize?: number;
  /** Called with every SQL statement Prisma sends (tests count them to keep N+1 out). */
  onQuery?: (sql: string) => void;
  /**
   * An idle PostgreSQL connection failed (server restart, failover, an administrator ending it).
   * The pool has already dropped it and the next query opens a new one; this only reports it.
   */
  onConnectionError?: (error: Error) => void;
}

function createClient(adapter: PrismaPg | PrismaPGlite, onQuery?: (sql: string) => void): PrismaClient {
  if (!onQuery) return new PrismaClient({ adapter });
  const client = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  client.$on('query', (event) => onQuery(event.query));
  return client;
}

function redactUrl(raw: string): string {
  const parsed = new URL(raw);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let database: Database;
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // Without a listener, pg re-throws an idle connection's error and the whole process exits.
    pool.on('error', (error) => options.onConnectionError?.(error));
    const prisma = createClient(new PrismaPg(pool), options.onQuery);
    database = {
      prisma,
      sql: pgDriver(pool),
      description: redactUrl(options.databaseUrl),
      async close() {
        await prisma.$disconnect();
        await pool.end();
      },
    };
  } else {
    const inMemory = options.dataDir === 'memory://';
    const dir = inMemory ? undefined : path.join(options.dataDir, 'pgdata');
    if (dir) await mkdir(dir, { recursive: true, mode: 0o700 });
    const pglite = await PGlite.create(dir ? { dataDir: dir } : {});
    const prisma = createClient(new PrismaPGlite(pglite), options.onQuery);
    database = {
      prisma,
      sql: pgliteDriver(pglite),
      description: dir ? `embedded PGlite at ${dir}` : 'embedded PGlite in memory',
      async close() {
        await prisma.$disconnect();
        await pglite.close();
      },
    };
  }
  if (options.migrate !== false) {
    try {
      await migrate(database.sql);
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  return database;
}
