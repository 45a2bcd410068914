/**
 * The engine's statements run prepared: on PostgreSQL through pg's named
 * statements, on PGlite over its wire protocol. Both must return exactly
 * what an unprepared query returns, and fail the same way.
 */
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDriver, type SqlDriver } from '../../server/db/sql-driver.ts';
import { createTestDatabase } from '../helpers/database.ts';

const SETUP = `CREATE TABLE prepared_probe (
  id uuid PRIMARY KEY, name text NOT NULL, n int, flag boolean, doc jsonb, at timestamptz, tags text[]
)`;
const SELECT = `SELECT id, name, n, flag, doc, at, tags FROM prepared_probe WHERE id = $1::uuid OR name = $2::text ORDER BY name`;
const INSERT = `INSERT INTO prepared_probe (id, name, n, flag, doc, at, tags)
  VALUES ($1::uuid, $2::text, $3::int, $4::boolean, $5::jsonb, $6::timestamptz, ARRAY['a', 'b']) RETURNING id`;

const ID = '6f1c1d52-3f7a-4c55-9d2e-0d6f5e1c2b3a';

function contract(name: string, open: () => Promise<{ sql: SqlDriver; close(): Promise<void> }>) {
  describe(name, () => {
    let sql: SqlDriver;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ sql, close } = await open());
      await sql.exec(SETUP);
    });
    afterAll(async () => {
      await close?.();
    });

    it('returns what an unprepared query returns, types included', async () => {
      const at = new Date('2026-11-24T06:00:00.000Z');
      await sql.query(INSERT, [ID, 'first', 7, true, JSON.stringify({ k: [1, 'two'] }), at.toISOString()], {
        prepare: true,
      });
      await sql.query(INSERT, ['7a2f0c1e-1b2c-4d3e-8f90-a1b2c3d4e5f6', 'second', null, null, null, null], {
        prepare: true,
      });
      const prepared = await sql.query(SELECT, [ID, 'second'], { prepare: true });
      const plain = await sql.query(SELECT, [ID, 'second']);
      expect(prepared).toEqual(plain);
      expect(prepared).toHaveLength(2);
      expect(prepared[0]).toMatchObject({ id: ID, name: 'first', n: 7, flag: true, doc: { k: [1, 'two'] }, at });
      expect(prepared[0]).toMatchObject({ tags: ['a', 'b'] });
      // The second run uses the statement prepared by the first.
      expect(await sql.query(SELECT, [ID, 'second'], { prepare: true })).toEqual(plain);
    });

    it('fails like an unprepared query and keeps working afterwards', async () => {
      await expect(sql.query(INSERT, [ID, 'dup', 1, false, null, null], { prepare: true })).rejects.toMatchObject({
        code: '23505',
      });
      await expect(sql.query(SELECT, ['not-a-uuid', 'x'], { prepare: true })).rejects.toMatchObject({
        code: '22P02',
      });
      expect(await sql.query(SELECT, [ID, 'nobody'], { prepare: true })).toHaveLength(1);
    });
  });
}

contract('prepared statements on PGlite', async () => {
  const db = new PGlite();
  await db.waitReady;
  return { sql: pgliteDriver(db), close: () => db.close() };
});

contract('prepared statements on the test database (PostgreSQL when reachable)', async () => {
  const test = await createTestDatabase();
  return { sql: test.database.sql, close: () => test.drop() };
});

describe('prepared statements on PGlite and transactions', () => {
  it('never run inside another caller’s open transaction', async () => {
    const db = new PGlite();
    const sql = pgliteDriver(db);
    await sql.exec('CREATE TABLE counter (n int); INSERT INTO counter VALUES (0)');
    let inside!: Promise<unknown>;
    await db.transaction(async (tx) => {
      await tx.query('UPDATE counter SET n = 1');
      inside = sql.query<{ n: number }>('SELECT n FROM counter', [], { prepare: true });
      await new Promise((resolve) => setTimeout(resolve, 20));
      await tx.rollback();
    });
    // Queued behind the transaction, it sees the rolled-back value, not the uncommitted one.
    await expect(inside).resolves.toEqual([{ n: 0 }]);
    await db.close();
  });
});
