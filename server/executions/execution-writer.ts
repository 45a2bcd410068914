/**
 * The execution rows the engine writes on every run: the insert (RUNNING, or
 * a finished refusal, or PENDING_APPROVAL) and the finish with the tool's
 * counters. Concurrent executions share statements (write-batcher.ts): one
 * multi-row INSERT, one multi-row upsert that also adds each tool's runs to its
 * `execution_count` in the same transaction, so a finished execution and its
 * count are committed together or not at all.
 *
 * The finish writes the whole row (INSERT ... ON CONFLICT (id) DO UPDATE): a
 * RUNNING insert lost in a crash or failover is written again by it, so the
 * caller, answered only once the finish is durable, never holds an execution
 * that is not stored. Every cell goes through storable-text.ts: one
 * organization's NUL or unpaired surrogate is stored escaped instead of
 * failing the batch it shares with others, and a batch that fails anyway is
 * retried row by row (write-batcher.ts), so only the bad row fails.
 *
 * Visibility and durability are separate steps on PostgreSQL. The statements
 * commit asynchronously (visible at once, no WAL flush wait), the engine
 * publishes the state change, then `durable()` waits for a flush that covers
 * it before the caller hears back. A slow flush (this machine's disk has
 * stalls of hundreds of milliseconds) then delays the caller, who must get a
 * durable answer, but not the live monitor. If the database crashes in
 * between, the caller gets an error and never a result whose row could be
 * lost; the monitor may have shown a state that recovery then records as
 * INTERRUPTED. On PGlite there is no other process to see the rows early, and
 * no WAL writer to flush behind the statements, so they commit synchronously.
 */
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import { storableJsonText, storableText } from '../db/storable-text.ts';
import type { HotSql } from './hot-sql.ts';
import { createWriteBatcher } from './write-batcher.ts';

/** Enough to amortize a statement; small enough that one batch never holds the others back for long. */
const MAX_BATCH = 128;

/**
 * Assigns a transaction id, so its commit writes a commit record and (synchronous
 * commit) flushes WAL up to it: every asynchronous commit that finished before
 * this statement started is then durable too, WAL being flushed in order.
 */
const FLUSH_BARRIER = 'SELECT pg_current_xact_id()::text AS "xid"';

/** [column, SQL type] in insert order; the row fields follow the columns (snake_case ↔ camelCase). */
const INSERT_COLUMNS = [
  ['id', 'uuid'],
  ['organization_id', 'uuid'],
  ['tool_id', 'uuid'],
  ['tool_name', 'text'],
  ['tool_version', 'int'],
  ['assistant_id', 'uuid'],
  ['call_id', 'uuid'],
  ['user_id', 'uuid'],
  ['api_key_id', 'uuid'],
  ['tool_call_id', 'text'],
  ['idempotency_key', 'text'],
  ['input_parameters', 'jsonb'],
  ['output_result', 'jsonb'],
  ['status', '"ExecutionStatus"'],
  ['started_at', 'timestamptz'],
  ['completed_at', 'timestamptz'],
  ['duration_ms', 'int'],
  ['error_message', 'text'],
  ['error_code', 'text'],
  ['retry_count', 'int'],
  ['trigger_context', 'text'],
  ['context', 'jsonb'],
  ['request', 'jsonb'],
  ['logs', 'jsonb'],
  ['approval_deadline', 'timestamptz'],
  ['decided_by_id', 'uuid'],
  ['approval_preview', 'jsonb'],
  ['approval_digest', 'text'],
  ['instance_id', 'uuid'],
  ['awaiting_callback_until', 'timestamptz'],
  ['callback_after_hangup', 'boolean'],
  ['queued_at', 'timestamptz'],
  ['cpu_time_ms', 'int'],
  ['peak_memory_bytes', 'bigint'],
  ['billed_duration_ms', 'int'],
  ['memory_size_mb', 'int'],
  ['max_memory_used_mb', 'int'],
  ['init_duration_ms', 'int'],
  ['estimated_cost_nano_usd', 'bigint'],
] as const;

type Columns = readonly (readonly [name: string, type: string])[];

/** Every column of `alias` named as its ToolExecution field, for a RETURNING that reads a whole row back. */
export function executionFieldsSql(alias: string): string {
  return INSERT_COLUMNS.map(
    ([name]) => `${alias}."${name}" AS "${name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())}"`,
  ).join(', ');
}

/** Makes the statement it is part of commit without waiting for its WAL flush, as a FROM item. */
const ASYNC_COMMIT_SOURCE = `(SELECT set_config('synchronous_commit', 'off', true)) AS "async_commit"`;

/**
 * A batch's rows as the relation "input", from one jsonb parameter (an array of
 * objects keyed by column, batchParameter()): a fixed text whatever the batch
 * size, so it is prepared once, and one JSON.stringify per batch where an array
 * per column cost the driver an escaping pass over every element.
 */
function recordsetInput(columns: Columns, asyncCommit: boolean): string {
  const definitions = columns.map(([name, type]) => `"${name}" ${type}`).join(', ');
  return `jsonb_to_recordset($1::jsonb) AS "input"(${definitions})${asyncCommit ? `, ${ASYNC_COMMIT_SOURCE}` : ''}`;
}

/** A column's scalar parameter in the one-row statements, whose parameters follow `columns`. */
function scalar(columns: Columns, name: string): string {
  const index = columns.findIndex(([column]) => column === name);
  return `$${index + 1}::${columns[index]?.[1]}`;
}

/**
 * Two texts per write, both prepared once: one row from scalar parameters (what an
 * idle engine sends, and cheaper to run: the embedded database pays for every
 * relation a statement builds), and a batch from arrays.
 */
/** The insert's parameters: the row's columns, then the configuration version it was resolved at. */
const INSERT_INPUT = [...INSERT_COLUMNS, ['config_version', 'int']] as const;

/**
 * A row is written only while its organization's `config_version` is still the
 * one the engine resolved the tool at (lookup-cache.ts): otherwise nothing is
 * written and the engine resolves again.
 */
function insertSql(batch: boolean, asyncCommit: boolean): string {
  const names = INSERT_COLUMNS.map(([name]) => name);
  const current = `"organizations" AS "o"${asyncCommit ? `, ${ASYNC_COMMIT_SOURCE}` : ''}`;
  const values = batch
    ? `${names.map((name) => `"input"."${name}"`).join(', ')} FROM ${recordsetInput(INSERT_INPUT, false)}, ${current}
       WHERE "o"."id" = "input"."organization_id" AND "o"."config_version" = "input"."config_version"`
    : `${names.map((name) => scalar(INSERT_INPUT, name)).join(', ')} FROM ${current}
       WHERE "o"."id" = ${scalar(INSERT_INPUT, 'organization_id')}
         AND "o"."config_version" = ${scalar(INSERT_INPUT, 'config_version')}`;
  return `INSERT INTO "tool_execution_logs" (${names.map((name) => `"${name}"`).join(', ')}) SELECT ${values}
    ON CONFLICT ("organization_id", "idempotency_key") DO NOTHING RETURNING "id"`;
}

/**
 * SQL for a CTE named "job" that enqueues one job per row of the CTE `source` (its column "id" is the
 * execution id) and yields their "id"; `maxAttempts` is SQL for the job's attempts (async-queue.ts).
 */
export type JobCte = (source: string, maxAttempts: string) => string;

/**
 * An async execution's QUEUED row and its job in one statement, so both are written or neither:
 * a lost idempotency key or a stale configuration writes no job either.
 */
function queuedInsertSql(asyncCommit: boolean, jobCte: JobCte): string {
  return `WITH "inserted" AS (${insertSql(false, asyncCommit)}),
    ${jobCte('inserted', `$${INSERT_INPUT.length + 1}::int`)}
    SELECT "id" FROM "job"`;
}

/** The finish's parameters: the whole row, then the tool whose counters the run adds to (null: not counted) and when it started. */
const FINISH_COLUMNS = [...INSERT_COLUMNS, ['counted_tool_id', 'uuid'], ['counted_at', 'timestamptz']] as const;

/** What a finish changes on a row that is still there. */
const FINISHED_COLUMNS = [
  'status',
  'error_code',
  'error_message',
  'output_result',
  'request',
  'logs',
  'completed_at',
  'duration_ms',
  'retry_count',
  'tool_version',
  'awaiting_callback_until',
  'callback_after_hangup',
  'cpu_time_ms',
  'peak_memory_bytes',
  'billed_duration_ms',
  'memory_size_mb',
  'max_memory_used_mb',
  'init_duration_ms',
  'estimated_cost_nano_usd',
] as const;

/** Counted runs that are not failures for the tool's `error_count` (a cancel is the caller's decision). */
const NOT_FAILED = `('SUCCESS', 'CANCELLED')`;

/**
 * Only RUNNING rows move (a cancel that got there first keeps its verdict),
 * and rows a sweep called INTERRUPTED: that was a guess, and this is what
 * happened. A row that is missing is inserted whole. Every counted run is
 * counted: the tool did run. Counters are raw on purpose: `updated_at` is a
 * tool's edit time and must not move when it runs.
 */
function finishSql(batch: boolean, asyncCommit: boolean): string {
  const names = INSERT_COLUMNS.map(([name]) => name);
  const source = batch
    ? `SELECT ${names.map((name) => `"input"."${name}"`).join(', ')} FROM "input"${asyncCommit ? `, ${ASYNC_COMMIT_SOURCE}` : ''}`
    : `SELECT ${names.map((name) => scalar(FINISH_COLUMNS, name)).join(', ')}${asyncCommit ? ` FROM ${ASYNC_COMMIT_SOURCE}` : ''}`;
  const moved = `INSERT INTO "tool_execution_logs" AS e (${names.map((name) => `"${name}"`).join(', ')}) ${source}
      ON CONFLICT ("id") DO UPDATE SET ${FINISHED_COLUMNS.map((name) => `"${name}" = EXCLUDED."${name}"`).join(', ')}
      WHERE e."status" = 'RUNNING' OR (e."status" = 'ERROR' AND e."error_code" = 'INTERRUPTED')
      RETURNING e."id"`;
  if (!batch) {
    const param = (name: string): string => scalar(FINISH_COLUMNS, name);
    return `WITH "moved" AS (${moved}),
      "counted" AS (
        UPDATE "tools" SET "execution_count" = "execution_count" + 1,
          "error_count" = "error_count" + (CASE WHEN ${param('status')} IN ${NOT_FAILED} THEN 0 ELSE 1 END),
          "last_executed_at" = GREATEST(COALESCE("last_executed_at", ${param('counted_at')}), ${param('counted_at')})
        WHERE "id" = ${param('counted_tool_id')}
      )
      SELECT "id" FROM "moved"`;
  }
  return `WITH "input" AS (SELECT * FROM ${recordsetInput(FINISH_COLUMNS, false)}),
    "moved" AS (${moved}),
    "counted" AS (
      UPDATE "tools" AS t SET "execution_count" = t."execution_count" + c."runs",
        "error_count" = t."error_count" + c."failures",
        "last_executed_at" = GREATEST(COALESCE(t."last_executed_at", c."last_at"), c."last_at")
      FROM (SELECT "counted_tool_id", count(*)::int AS "runs", max("counted_at") AS "last_at",
              (count(*) FILTER (WHERE "status" NOT IN ${NOT_FAILED}))::int AS "failures"
            FROM "input" WHERE "counted_tool_id" IS NOT NULL GROUP BY "counted_tool_id") AS c
      WHERE t."id" = c."counted_tool_id"
    )
    SELECT "id" FROM "moved"`;
}

/**
 * One row's cells as the one-row statement's parameters: JSON columns as their
 * text (null stays SQL NULL), times as ISO strings.
 */
function scalarParameters(columns: Columns, cells: unknown[]): unknown[] {
  return cells.map((cell, index) => {
    if (cell === null || cell === undefined) return null;
    if (columns[index]?.[1] === 'jsonb') return storableJsonText(cell);
    if (typeof cell === 'string') return storableText(cell);
    return cell instanceof Date ? cell.toISOString() : cell;
  });
}

/**
 * A batch as recordsetInput()'s parameter. A JSON null becomes SQL NULL in every
 * column, jsonb ones included, as in the one-row statement; Dates serialize as ISO strings.
 */
function batchParameter(keys: readonly string[], rows: unknown[][]): string {
  const objects = rows.map(
    (cells) => `{${cells.map((cell, index) => `${keys[index]}:${storableJsonText(cell ?? null)}`).join(',')}}`,
  );
  return `[${objects.join(',')}]`;
}

interface Insert {
  id: string;
  row: ToolExecution;
  configVersion: number;
}

/** BigInt columns cross as numbers (JSON has no bigint; these stay far below 2^53), or as the driver's text when read back raw. */
function bigintCell(value: bigint | string | number | null): number | null {
  return value === null ? null : Number(value);
}

function rowCells(row: ToolExecution): unknown[] {
  return [
    row.id,
    row.organizationId,
    row.toolId,
    row.toolName,
    row.toolVersion,
    row.assistantId,
    row.callId,
    row.userId,
    row.apiKeyId,
    row.toolCallId,
    row.idempotencyKey,
    row.inputParameters,
    row.outputResult,
    row.status,
    row.startedAt,
    row.completedAt,
    row.durationMs,
    row.errorMessage,
    row.errorCode,
    row.retryCount,
    row.triggerContext,
    row.context,
    row.request,
    row.logs,
    row.approvalDeadline,
    row.decidedById,
    row.approvalPreview,
    row.approvalDigest,
    row.instanceId,
    row.awaitingCallbackUntil,
    row.callbackAfterHangup,
    row.queuedAt,
    row.cpuTimeMs,
    bigintCell(row.peakMemoryBytes),
    row.billedDurationMs,
    row.memorySizeMb,
    row.maxMemoryUsedMb,
    row.initDurationMs,
    bigintCell(row.estimatedCostNanoUsd),
  ];
}

function insertCells({ row, configVersion }: Insert): unknown[] {
  return [...rowCells(row), configVersion];
}

/** The fields a finish sets (FINISHED_COLUMNS). */
export type Outcome = Pick<
  ToolExecution,
  | 'status'
  | 'errorCode'
  | 'errorMessage'
  | 'outputResult'
  | 'request'
  | 'logs'
  | 'completedAt'
  | 'durationMs'
  | 'retryCount'
  | 'toolVersion'
  | UsageField
> & { completedAt: Date; durationMs: number };

/** The resource usage columns a finish sets (null where unknown). */
export type UsageField =
  | 'cpuTimeMs'
  | 'peakMemoryBytes'
  | 'billedDurationMs'
  | 'memorySizeMb'
  | 'maxMemoryUsedMb'
  | 'initDurationMs'
  | 'estimatedCostNanoUsd';

/** A run to add to its tool's `execution_count`, and when it reached the executor (`last_executed_at`). */
export interface Count {
  toolId: string;
  at: Date;
}

interface Finish {
  id: string;
  row: ToolExecution;
  count: Count | null;
}

function finishCells({ row, count }: Finish): unknown[] {
  return [...rowCells(row), count?.toolId ?? null, count?.at ?? null];
}

export interface ExecutionWriter {
  /**
   * Inserts the row exactly as given; false when its idempotency key was taken
   * (by an earlier execution, or by another row of the same batch) or its
   * organization's configuration is no longer at `configVersion`. Rows that
   * answer a caller themselves (refusals, PENDING_APPROVAL) are followed by
   * `durable()`; a RUNNING row is not, its final update is.
   */
  insert(row: ToolExecution, configVersion: number): Promise<boolean>;
  /**
   * Writes the finished row whole (inserting it if its RUNNING row was lost) and
   * counts the run; false when someone else (a cancel) finished it first.
   */
  finish(row: ToolExecution, count: Count | null): Promise<boolean>;
  /**
   * Inserts a QUEUED row together with its job (`jobCte`, async-queue.ts), one statement per row:
   * false as for insert(), and then no job was written either.
   */
  insertQueued(row: ToolExecution, configVersion: number, maxAttempts: number): Promise<boolean>;
  /** Resolves once everything written so far is durable (at once where statements commit synchronously). */
  durable(): Promise<void>;
}

export function createExecutionWriter(sql: HotSql, jobCte?: JobCte): ExecutionWriter {
  const asyncCommit = sql.kind === 'postgresql';
  const queuedText = jobCte ? queuedInsertSql(asyncCommit, jobCte) : null;
  const insertTexts = [insertSql(false, asyncCommit), insertSql(true, asyncCommit)] as const;
  const finishTexts = [finishSql(false, asyncCommit), finishSql(true, asyncCommit)] as const;

  /** Writes the batch with the statement for its size; true for each item whose id came back. */
  function writeAll<T extends { id: string }>(
    texts: readonly [single: string, batch: string],
    columns: Columns,
    cells: (item: T) => unknown[],
  ): (items: T[]) => Promise<boolean[]> {
    const keys = columns.map(([name]) => JSON.stringify(name));
    return async (items) => {
      const written =
        items.length === 1
          ? await sql.query<{ id: string }>(texts[0], scalarParameters(columns, cells(items[0] as T)))
          : await sql.query<{ id: string }>(texts[1], [batchParameter(keys, items.map(cells))]);
      const ids = new Set(written.map((row) => row.id));
      return items.map((item) => ids.has(item.id));
    };
  }

  const inserts = createWriteBatcher(writeAll(insertTexts, INSERT_INPUT, insertCells), MAX_BATCH);
  const finishes = createWriteBatcher(writeAll(finishTexts, FINISH_COLUMNS, finishCells), MAX_BATCH);
  // A barrier started after a write covers it: those queued while one is in flight share the next.
  const barriers = createWriteBatcher<null, null>(
    async (waiting) => {
      await sql.query(FLUSH_BARRIER, []);
      return waiting.map(() => null);
    },
    Number.MAX_SAFE_INTEGER,
    false,
  );

  return {
    insert: (row, configVersion) => inserts.write({ id: row.id, row, configVersion }),
    finish: (row, count) => finishes.write({ id: row.id, row, count }),
    async insertQueued(row, configVersion, maxAttempts) {
      if (!queuedText) throw new Error('async executions need a queue');
      const cells = [...insertCells({ id: row.id, row, configVersion }), maxAttempts];
      const written = await sql.query<{ id: string }>(queuedText, scalarParameters(INSERT_INPUT, cells));
      return written.length > 0;
    },
    async durable() {
      if (asyncCommit) await barriers.write(null);
    },
  };
}
