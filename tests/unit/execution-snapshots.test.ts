/**
 * The live monitor's shared execution reads (server/realtime/execution-snapshots.ts)
 * against a fake Prisma client whose reads finish only when the test says so:
 * batching must never hand an organization another's row, nor answer an event
 * with a read that started before the event was published.
 */
import { expect, test } from 'vitest';
import {
  createExecutionSnapshots,
  type SnapshotDatabase,
  type SnapshotEvent,
} from '../../server/realtime/execution-snapshots.ts';

interface Row {
  id: string;
  organizationId: string;
  status: string;
}

interface Read {
  /** `sql` for the common snapshot (one statement), `prisma` for a selection reaching further. */
  via: 'sql' | 'prisma';
  ids: string[];
  organizationId: string;
  include?: unknown;
  finish(): void;
  fail(error: Error): void;
}

/** A table the test edits, and every read with a way to let it finish (with the rows as they were when it started). */
function fakeDatabase(rows: Row[]) {
  const reads: Read[] = [];
  const table = new Map(rows.map((row) => [row.id, row]));
  function read(via: Read['via'], ids: string[], organizationId: string, include?: unknown) {
    const found = ids
      .map((id) => table.get(id))
      .filter((row): row is Row => row?.organizationId === organizationId)
      .map((row) => ({ ...row }));
    return new Promise((resolve, reject) => {
      reads.push({ via, ids, organizationId, include, finish: () => resolve(found), fail: reject });
    });
  }
  const db = {
    sql: {
      query: (_text: string, [ids, organizationId]: [string, string]) =>
        read('sql', ids.slice(1, -1).split(','), organizationId),
    },
    prisma: {
      toolExecution: {
        findMany: (args: { where: { id: { in: string[] }; organizationId: string }; include?: unknown }) =>
          read('prisma', args.where.id.in, args.where.organizationId, args.include),
      },
    },
  } as unknown as SnapshotDatabase;
  return { db, reads, table };
}

const ORG_A = '0a000000-0000-4000-8000-000000000000';
const ORG_B = '0b000000-0000-4000-8000-000000000000';
const X1 = '00000000-0000-4000-8000-0000000000a1';
const X2 = '00000000-0000-4000-8000-0000000000a2';
const Y1 = '00000000-0000-4000-8000-0000000000b1';
const COVERED = { include: { tool: true } };

function event(executionId: string): SnapshotEvent {
  return { executionId };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('events asked for in one turn share one read, and each gets its own row', async () => {
  const fake = fakeDatabase([
    { id: X1, organizationId: ORG_A, status: 'RUNNING' },
    { id: X2, organizationId: ORG_A, status: 'SUCCESS' },
  ]);
  const snapshots = createExecutionSnapshots();
  const first = snapshots.load(fake.db, event(X1), ORG_A, COVERED);
  const second = snapshots.load(fake.db, event(X2), ORG_A, COVERED);
  await turn();
  expect(fake.reads).toHaveLength(1);
  expect(fake.reads[0]).toMatchObject({ via: 'sql', ids: [X1, X2], organizationId: ORG_A });
  fake.reads[0]!.finish();
  expect(await first).toMatchObject({ id: X1, status: 'RUNNING' });
  expect(await second).toMatchObject({ id: X2, status: 'SUCCESS' });
});

test('organizations never share a read: a stranger naming another organization execution gets null', async () => {
  const fake = fakeDatabase([
    { id: X1, organizationId: ORG_A, status: 'RUNNING' },
    { id: Y1, organizationId: ORG_B, status: 'RUNNING' },
  ]);
  const snapshots = createExecutionSnapshots();
  const shared = event(X1);
  const mine = snapshots.load(fake.db, shared, ORG_A, COVERED);
  // The same event object reaching B (a misrouted publish), alongside B's own event, in the same turn.
  const misrouted = snapshots.load(fake.db, shared, ORG_B, COVERED);
  const theirs = snapshots.load(fake.db, event(Y1), ORG_B, COVERED);
  await turn();
  expect(fake.reads.map((read) => read.organizationId).sort()).toEqual([ORG_A, ORG_B]);
  for (const read of fake.reads) read.finish();
  expect(await mine).toMatchObject({ id: X1, organizationId: ORG_A });
  expect(await misrouted).toBeNull();
  expect(await theirs).toMatchObject({ id: Y1, organizationId: ORG_B });
});

test('an event published once a read has started gets a read of its own, never the older row', async () => {
  const fake = fakeDatabase([{ id: X1, organizationId: ORG_A, status: 'RUNNING' }]);
  const snapshots = createExecutionSnapshots();
  const running = snapshots.load(fake.db, event(X1), ORG_A, COVERED);
  await turn();
  expect(fake.reads).toHaveLength(1);
  // The row moves on and FINISHED is published while the first read is still in flight.
  fake.table.set(X1, { id: X1, organizationId: ORG_A, status: 'SUCCESS' });
  const finished = snapshots.load(fake.db, event(X1), ORG_A, COVERED);
  await turn();
  expect(fake.reads).toHaveLength(2);
  fake.reads[1]!.finish();
  fake.reads[0]!.finish();
  expect(await running).toMatchObject({ status: 'RUNNING' });
  expect(await finished).toMatchObject({ status: 'SUCCESS' });
});

test('prefetching and then loading an event costs one read; every subscriber gets the same promise', async () => {
  const fake = fakeDatabase([{ id: X1, organizationId: ORG_A, status: 'RUNNING' }]);
  const snapshots = createExecutionSnapshots();
  const published = event(X1);
  for (let i = 0; i < 100; i += 1) snapshots.prefetch(fake.db, published, ORG_A, { include: { tool: true } });
  const loads = Array.from({ length: 100 }, () => snapshots.load(fake.db, published, ORG_A, COVERED));
  await turn();
  expect(fake.reads).toHaveLength(1);
  expect(new Set(loads).size).toBe(1);
  fake.reads[0]!.finish();
  expect(await loads[0]).toMatchObject({ id: X1 });
  expect(snapshots.reads).toBe(1);
});

test('a selection the common snapshot does not cover is read with its own query', async () => {
  const fake = fakeDatabase([{ id: X1, organizationId: ORG_A, status: 'RUNNING' }]);
  const snapshots = createExecutionSnapshots();
  const published = event(X1);
  const deep = { include: { tool: { include: { createdBy: true } } } };
  const common = snapshots.load(fake.db, published, ORG_A, COVERED);
  const deeper = snapshots.load(fake.db, published, ORG_A, deep);
  await turn();
  expect(fake.reads).toHaveLength(2);
  expect(fake.reads.map((read) => [read.via, read.include])).toContainEqual(['prisma', deep.include]);
  for (const read of fake.reads) read.finish();
  expect(await common).toMatchObject({ id: X1 });
  expect(await deeper).toMatchObject({ id: X1 });
});

test('a failed read is not kept: the next subscriber reads again', async () => {
  const fake = fakeDatabase([{ id: X1, organizationId: ORG_A, status: 'RUNNING' }]);
  const snapshots = createExecutionSnapshots();
  const published = event(X1);
  snapshots.prefetch(fake.db, published, ORG_A, COVERED);
  const failing = snapshots.load(fake.db, published, ORG_A, COVERED);
  await turn();
  fake.reads[0]!.fail(new Error('connection reset'));
  await expect(failing).rejects.toThrow('connection reset');
  const retried = snapshots.load(fake.db, published, ORG_A, COVERED);
  await turn();
  expect(fake.reads).toHaveLength(2);
  fake.reads[1]!.finish();
  expect(await retried).toMatchObject({ id: X1 });
});
