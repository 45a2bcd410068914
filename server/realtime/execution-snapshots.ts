/**
 * One database read per live event per process, shared by every subscriber.
 *
 * Every subscriber of an organization's topic executes its subscription
 * document for each event, and `ToolExecution.execution` used to read the
 * row (and each selected relation) per subscriber: 1,000 subscribers, 1,000
 * reads per event. Here the read starts as soon as the event is queued for the
 * first subscriber selecting the execution (`prefetch`), while earlier events
 * are still being delivered, and every subscriber awaits the same promise.
 *
 * Keyed by the event object itself: the pub/sub hands one object per published
 * event to all the listeners of a process (the in-memory target dispatches the
 * payload it was given; the Redis target parses each message once), so two
 * distinct events never share a result, even for the same execution within the
 * same millisecond. The cache lives exactly as long as some subscriber queue
 * still holds the event (WeakMap), so it is bounded by the subscription queue limits.
 *
 * Reads are batched: events asked for in the same synchronous run (an execution's
 * CREATED and FINISHED published back to back, a burst of Redis messages) share
 * one `id = ANY(...)` read that starts once that run is over, so it still starts
 * after every event it answers was published: a batch never answers an event
 * with a row older than the event. An event arriving once the read has started
 * gets a read of its own.
 *
 * Within an event the read is keyed by the reading organization: the topic is
 * per organization already, but the rows are still read with `organizationId`
 * in the where clause, so a misrouted event resolves to null for a stranger.
 *
 * The common snapshot is one SQL statement with the joins (Prisma's include
 * costs a round trip per relation, five in all, each waiting for a busy event
 * loop); selections reaching further go through Prisma with their own query.
 */
import { Prisma as P } from '../db/generated/prisma/client.ts';
import type { Prisma } from '../db/database.ts';
import { uuidOrNil } from '../db/json.ts';
import type { SqlDriver } from '../db/sql-driver.ts';

/** What the live monitor's ToolExecution exposes as relations, loaded with the row. */
export const SNAPSHOT_INCLUDE = {
  tool: true,
  assistant: true,
  call: { include: { assistant: true } },
} as const satisfies P.ToolExecutionInclude;

export type ExecutionSnapshot = P.ToolExecutionGetPayload<{ include: typeof SNAPSHOT_INCLUDE }>;

/** A Prisma query as Pothos derives it from a selection (include / select trees and arguments). */
export type SelectionQuery = Record<string, unknown>;

type IncludeTree = { readonly [relation: string]: true | { readonly include: IncludeTree } };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether rows loaded with `tree` answer `query` without anything missing: the query
 * only includes (whole rows, no select, no filtering or ordering) relations the tree has.
 */
export function includeCovers(tree: IncludeTree, query: unknown): boolean {
  if (query === true) return true;
  if (!isPlainObject(query)) return false;
  for (const key in query) {
    if (key !== 'include') return false;
  }
  const include = query.include;
  if (include === undefined) return true;
  if (!isPlainObject(include)) return false;
  for (const relation in include) {
    const wanted = include[relation];
    if (wanted === false || wanted === undefined) continue;
    const have = tree[relation];
    if (have === undefined) return false;
    if (wanted === true) continue;
    if (!includeCovers(have === true ? {} : have.include, wanted)) return false;
  }
  return true;
}

/** Columns follow the fields (`@map("snake_case")` throughout the schema); a test compares with Prisma's own read. */
function columns(alias: string, prefix: string, fields: readonly string[]): string {
  return fields
    .map((field) => `${alias}."${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}" AS "${prefix}${field}"`)
    .join(', ');
}

const EXECUTION_FIELDS = Object.values(P.ToolExecutionScalarFieldEnum);
const TOOL_FIELDS = Object.values(P.ToolScalarFieldEnum);
const ASSISTANT_FIELDS = Object.values(P.AssistantScalarFieldEnum);
const CALL_FIELDS = Object.values(P.CallScalarFieldEnum);

/** SNAPSHOT_INCLUDE as one statement: relations as LEFT JOINs, their columns prefixed. */
const SNAPSHOT_SQL = `SELECT ${[
  columns('e', '', EXECUTION_FIELDS),
  columns('t', 't.', TOOL_FIELDS),
  columns('a', 'a.', ASSISTANT_FIELDS),
  columns('c', 'c.', CALL_FIELDS),
  columns('ca', 'ca.', ASSISTANT_FIELDS),
].join(', ')}
FROM "tool_execution_logs" e
LEFT JOIN "tools" t ON t."id" = e."tool_id"
LEFT JOIN "assistants" a ON a."id" = e."assistant_id"
LEFT JOIN "calls" c ON c."id" = e."call_id"
LEFT JOIN "assistants" ca ON ca."id" = c."assistant_id"
WHERE e."id" = ANY($1::uuid[]) AND e."organization_id" = $2::uuid`;

type Row = Record<string, unknown>;

function pick(row: Row, prefix: string, fields: readonly string[]): Row | null {
  if (row[`${prefix}id`] === null) return null;
  const picked: Row = {};
  for (const field of fields) {
    const value = row[`${prefix}${field}`];
    // pg hands bytea over as a Buffer; Prisma (and PGlite) as a plain Uint8Array.
    picked[field] = Buffer.isBuffer(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : value;
  }
  return picked;
}

/** Rows shaped exactly as `findMany({ include: SNAPSHOT_INCLUDE })` returns them. */
export async function readSnapshots(
  sql: SqlDriver,
  executionIds: readonly string[],
  organizationId: string,
): Promise<ExecutionSnapshot[]> {
  // An array literal in text: prepared statements take scalar parameters (and uuids need no quoting).
  const ids = `{${executionIds.map(uuidOrNil).join(',')}}`;
  const rows = await sql.query<Row>(SNAPSHOT_SQL, [ids, uuidOrNil(organizationId)], { prepare: true });
  return rows.map((row) => {
    const call = pick(row, 'c.', CALL_FIELDS);
    return {
      ...pick(row, '', EXECUTION_FIELDS),
      tool: pick(row, 't.', TOOL_FIELDS),
      assistant: pick(row, 'a.', ASSISTANT_FIELDS),
      call: call && { ...call, assistant: pick(row, 'ca.', ASSISTANT_FIELDS) },
    } as unknown as ExecutionSnapshot;
  });
}

/** Where snapshots are read from (the app's services have both). */
export interface SnapshotDatabase {
  prisma: Prisma;
  sql: SqlDriver;
}

/** The parts of an event the read needs; the object's identity is what the cache keys on. */
export interface SnapshotEvent {
  executionId: string;
}

export interface ExecutionSnapshots {
  /**
   * The execution an event refers to, read once per (event, organization, query shape):
   * the common snapshot (row, tool, assistant, call with its assistant) answers every
   * selection it covers; a selection reaching further (e.g. `tool { createdBy }`) gets
   * its own read, shared by the subscribers making the same selection.
   */
  load(
    db: SnapshotDatabase,
    event: SnapshotEvent,
    organizationId: string,
    query: SelectionQuery,
  ): Promise<ExecutionSnapshot | null>;
  /** Starts `load` ahead of the subscribers (when the event is queued), ignoring failures: they retry. */
  prefetch(db: SnapshotDatabase, event: SnapshotEvent, organizationId: string, query: SelectionQuery): void;
  /** Reads (SQL round trips of the snapshot query) started so far, for tests and diagnostics. */
  readonly reads: number;
}

interface Batch {
  ids: Set<string>;
  rows: Promise<Map<string, ExecutionSnapshot>>;
}

function ignore(): void {}

// A subscription prefetches with the same query object for every event: its shape is computed once.
const shapes = new WeakMap<SelectionQuery, string | null>();

/** Null when the common snapshot covers the query, else the query's text (what tells reads apart). */
function shapeOf(query: SelectionQuery): string | null {
  let shape = shapes.get(query);
  if (shape === undefined) {
    shape = includeCovers(SNAPSHOT_INCLUDE, query) ? null : JSON.stringify(query);
    shapes.set(query, shape);
  }
  return shape;
}

export function createExecutionSnapshots(): ExecutionSnapshots {
  const byEvent = new WeakMap<SnapshotEvent, Map<string, Promise<ExecutionSnapshot | null>>>();
  // Batches not started yet, per database and (organization, query shape).
  const pending = new WeakMap<SqlDriver, Map<string, Batch>>();
  let reads = 0;

  function batchFor(db: SnapshotDatabase, key: string, organizationId: string, query: SelectionQuery | null): Batch {
    let forClient = pending.get(db.sql);
    if (!forClient) {
      forClient = new Map();
      pending.set(db.sql, forClient);
    }
    const open = forClient.get(key);
    if (open) return open;
    const ids = new Set<string>();
    const started = Promise.resolve().then(async () => {
      forClient.delete(key);
      reads += 1;
      const rows = query
        ? ((await db.prisma.toolExecution.findMany({
            ...query,
            where: { id: { in: [...ids] }, organizationId },
          })) as ExecutionSnapshot[])
        : await readSnapshots(db.sql, [...ids], organizationId);
      return new Map(rows.map((row) => [row.id, row]));
    });
    const batch: Batch = { ids, rows: started };
    forClient.set(key, batch);
    return batch;
  }

  /** The read answering `event`, and whether this call started it. */
  function readFor(
    db: SnapshotDatabase,
    event: SnapshotEvent,
    organizationId: string,
    query: SelectionQuery,
  ): [Promise<ExecutionSnapshot | null>, boolean] {
    const shape = shapeOf(query);
    const key = shape === null ? organizationId : `${organizationId} ${shape}`;
    let forEvent = byEvent.get(event);
    if (!forEvent) {
      forEvent = new Map();
      byEvent.set(event, forEvent);
    }
    const cached = forEvent.get(key);
    if (cached) return [cached, false];
    const batch = batchFor(db, key, organizationId, shape === null ? null : query);
    batch.ids.add(event.executionId);
    const read = batch.rows.then(
      (rows) => rows.get(event.executionId) ?? null,
      (error: unknown) => {
        // A failed read is not kept: subscribers still resolving this event try again.
        if (forEvent.get(key) === read) forEvent.delete(key);
        throw error;
      },
    );
    forEvent.set(key, read);
    return [read, true];
  }

  return {
    get reads() {
      return reads;
    },
    load(db, event, organizationId, query) {
      return readFor(db, event, organizationId, query)[0];
    },
    prefetch(db, event, organizationId, query) {
      // Every subscriber of the process calls this for the same event: only the first starts anything.
      const [read, started] = readFor(db, event, organizationId, query);
      if (started) read.catch(ignore);
    },
  };
}

/** Process-wide: events are per process, and so is the sharing. */
export const executionSnapshots = createExecutionSnapshots();
