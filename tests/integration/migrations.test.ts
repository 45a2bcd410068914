/**
 * The SQL migrations and the Prisma datamodel must describe the same database:
 * every scalar field has a column of the right type and nullability, and no
 * column exists that the datamodel does not know.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { getDatamodel } from '../../server/db/generated/pothos-types.ts';
import { migrate, readMigrations } from '../../server/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { requirePostgres } from '../helpers/required-services.ts';

interface Column {
  table_name: string;
  column_name: string;
  is_nullable: 'YES' | 'NO';
  data_type: string;
  udt_name: string;
}

const EXPECTED_TYPE: Record<string, string> = {
  String: 'text|uuid',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  Float: 'double precision',
  DateTime: 'timestamp with time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

/** Table and column names from @@map / @map in schema.prisma (the generated datamodel does not carry them). */
interface MappedModel {
  table: string;
  columns: Map<string, string>;
  /** Json fields declared `@db.Json` (text json, key order kept) rather than the default jsonb. */
  textJson: Set<string>;
}

async function mappedNames(): Promise<Map<string, MappedModel>> {
  const schema = await readFile(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
  const models = new Map<string, MappedModel>();
  for (const match of schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const [, name = '', body = ''] = match;
    const columns = new Map<string, string>();
    const textJson = new Set<string>();
    for (const line of body.split('\n')) {
      const field = /^\s+(\w+)\s+\S+.*?(?:@map\("([^"]+)"\))?\s*$/.exec(line);
      if (field?.[1] && !line.trim().startsWith('@@') && !line.trim().startsWith('///')) {
        columns.set(field[1], /@map\("([^"]+)"\)/.exec(line)?.[1] ?? field[1]);
        if (/@db\.Json\b/.test(line)) textJson.add(field[1]);
      }
    }
    models.set(name, { table: /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? name, columns, textJson });
  }
  return models;
}

const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

const engines = ['pglite', 'postgresql'] as const;

describe.each(engines)('migrations on %s', (engine) => {
  test('apply once, are recorded like Prisma records them, and a second run applies nothing', async (context) => {
    if (engine === 'postgresql') await requirePostgres(context);
    const db = await createTestDatabase({ engine });
    databases.push(db);
    const migrations = await readMigrations();
    const rows = await db.database.sql.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
    }>(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows.map((row) => row.migration_name)).toEqual(migrations.map((migration) => migration.name));
    for (const [index, row] of rows.entries()) {
      expect(row.checksum).toBe(migrations[index]?.checksum);
      expect(row.finished_at).not.toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    expect(await migrate(db.database.sql)).toEqual([]);
    const again = await db.database.sql.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM "_prisma_migrations"',
    );
    expect(again[0]?.count).toBe(migrations.length);
  });

  test('the migrated columns match the Prisma datamodel (no drift)', async (context) => {
    if (engine === 'postgresql') await requirePostgres(context);
    const db = await createTestDatabase({ engine });
    databases.push(db);
    const columns = await db.database.sql.query<Column>(
      `SELECT table_name, column_name, is_nullable, data_type, udt_name FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    );
    const names = await mappedNames();
    const { datamodel } = getDatamodel();
    const expected = new Set<string>();
    const problems: string[] = [];
    for (const [modelName, model] of Object.entries(datamodel.models)) {
      const mapping = names.get(modelName);
      expect(mapping, `model ${modelName} in schema.prisma`).toBeDefined();
      for (const field of model.fields) {
        if (field.kind === 'object') continue;
        const columnName = mapping!.columns.get(field.name) ?? field.name;
        expected.add(`${mapping!.table}.${columnName}`);
        const column = columns.find(
          (candidate) => candidate.table_name === mapping!.table && candidate.column_name === columnName,
        );
        if (!column) {
          problems.push(`missing column ${mapping!.table}.${columnName}`);
          continue;
        }
        const typeOk = field.isList
          ? column.data_type === 'ARRAY'
          : field.kind === 'enum'
            ? column.data_type === 'USER-DEFINED' && column.udt_name === field.type
            : mapping!.textJson.has(field.name)
              ? column.data_type === 'json'
              : (EXPECTED_TYPE[field.type] ?? '?').split('|').includes(column.data_type);
        if (!typeOk)
          problems.push(`${mapping!.table}.${columnName}: ${field.type} vs ${column.data_type}/${column.udt_name}`);
        // Prisma creates scalar-list columns without NOT NULL.
        const nullable = field.isList || !field.isRequired;
        if ((column.is_nullable === 'YES') !== nullable)
          problems.push(`${mapping!.table}.${columnName}: nullability differs`);
      }
    }
    for (const column of columns) {
      if (!expected.has(`${column.table_name}.${column.column_name}`)) {
        problems.push(`column ${column.table_name}.${column.column_name} is not in the datamodel`);
      }
    }
    expect(problems).toEqual([]);
  });
});

test('a migration changed after it was applied is refused', async () => {
  const db = await createTestDatabase({ engine: 'pglite' });
  databases.push(db);
  await db.database.sql.query('UPDATE "_prisma_migrations" SET checksum = $1', ['0'.repeat(64)]);
  await expect(migrate(db.database.sql)).rejects.toThrow(/changed after it was applied/);
});
