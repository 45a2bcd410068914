/**
 * The engine's batched writes on PostgreSQL and PGlite: a batch behaves exactly
 * like its rows written one by one (duplicates, counters, lost races), JSON of
 * any content survives the array encoding, and on PostgreSQL a write is only
 * reported durable after a flush barrier that started once the write was done.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import type { ToolExecution } from '../../server/db/generated/prisma/client.ts';
import type { QueryOptions, SqlDriver } from '../../server/db/sql-driver.ts';
import { createExecutionWriter, type Outcome } from '../../server/executions/execution-writer.ts';
import { hotSql } from '../../server/executions/hot-sql.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { NO_USAGE } from '../../server/executions/usage-fields.ts';

/** JSON that an array literal must escape: quotes, backslashes, braces, commas, NULL-looking text, unicode. */
const AWKWARD = {
  text: 'say "hi", then \\ {braces} , NULL',
  nested: [{ a: 'NULL' }, null, '\u00e9\u4e2d\ud83d\ude00', '\\"'],
  empty: '',
};

function runningRow(organizationId: string, toolId: string, extra: Partial<ToolExecution> = {}): ToolExecution {
  return {
    id: randomUUID(),
    organizationId,
    toolId,
    toolName: 'probe',
    toolVersion: 1,
    assistantId: null,
    callId: null,
    userId: null,
    apiKeyId: null,
    toolCallId: null,
    idempotencyKey: randomUUID(),
    inputParameters: AWKWARD,
    outputResult: null,
    status: 'RUNNING',
    startedAt: new Date('2026-12-01T10:00:00.000Z'),
    completedAt: null,
    durationMs: null,
    errorMessage: null,
    errorCode: null,
    retryCount: 0,
    triggerContext: 'call',
    context: { call_sid: 'CA "1"' },
    request: null,
    logs: null,
    approvalDeadline: null,
    decidedById: null,
    approvalPreview: null,
    approvalDigest: null,
    instanceId: null,
    awaitingCallbackUntil: null,
    callbackAfterHangup: false,
    queuedAt: null,
    ...NO_USAGE,
    ...extra,
  };
}

function success(at: Date, data: unknown = AWKWARD): Outcome {
  return {
    status: 'SUCCESS',
    errorCode: null,
    errorMessage: null,
    outputResult: { success: true, message: 'done', data } as Outcome['outputResult'],
    request: { method: 'GET', url: 'https://example.test/?q="x"' },
    logs: ['line "one"', 'line \\ two'],
    completedAt: at,
    durationMs: 12,
    ...NO_USAGE,
    retryCount: 1,
    toolVersion: 2,
  };
}

for (const engine of ['postgresql', 'pglite'] as const) {
  describe(`execution writer on ${engine}`, () => {
    let test: TestDatabase;
    let database: Database;
    let organizationId: string;
    let toolA: string;
    let toolB: string;

    beforeAll(async () => {
      test = await createTestDatabase({ engine });
      database = test.database;
      const prisma = database.prisma;
      organizationId = (await prisma.organization.create({ data: { name: 'Writer', slug: `w-${randomUUID()}` } })).id;
      const tool = (name: string) =>
        prisma.tool.create({
          data: {
            organizationId,
            name,
            displayName: name,
            type: 'ENDPOINT',
            configuration: {},
            functionDefinition: {},
          },
        });
      toolA = (await tool('a')).id;
      toolB = (await tool('b')).id;
    });
    afterAll(async () => {
      await test?.drop();
    });

    /** The test database's driver, with every statement passed through `observe`. */
    const traced = (
      observe: (text: string, run: () => Promise<object[]>) => Promise<object[]>,
    ): Pick<SqlDriver, 'kind' | 'query'> => ({
      kind: database.sql.kind,
      query: async <Row extends object>(text: string, params?: unknown[], options?: QueryOptions) =>
        (await observe(text, () => database.sql.query(text, params, options))) as Row[],
    });

    const version = async (): Promise<number> =>
      (await database.prisma.organization.findUniqueOrThrow({ where: { id: organizationId } })).configVersion;

    it('writes nothing for an organization whose configuration moved past the version the row was resolved at', async () => {
      const writer = createExecutionWriter(hotSql(database.sql));
      const before = await version();
      await database.prisma.tool.update({ where: { id: toolB }, data: { isActive: false } });
      expect(await version()).toBe(before + 1);
      const stale = [runningRow(organizationId, toolB), runningRow(organizationId, toolB)];
      const fresh = runningRow(organizationId, toolB);
      // One alone, then a batch mixing stale and current rows.
      expect(await writer.insert(stale[0]!, before)).toBe(false);
      const batch = await Promise.all([
        writer.insert(runningRow(organizationId, toolB), before + 1),
        writer.insert(stale[1]!, before),
        writer.insert(fresh, before + 1),
      ]);
      expect(batch).toEqual([true, false, true]);
      const ids = [...stale, fresh].map((row) => row.id);
      expect(
        (await database.prisma.toolExecution.findMany({ where: { id: { in: ids } } })).map((row) => row.id),
      ).toEqual([fresh.id]);
      await database.prisma.tool.update({ where: { id: toolB }, data: { isActive: true } });
    });

    it('a batch inserts every row as given, and refuses a taken idempotency key inside the batch or before it', async () => {
      const writer = createExecutionWriter(hotSql(database.sql));
      const taken = runningRow(organizationId, toolA, { idempotencyKey: 'call-1:tc-1' });
      await expect(writer.insert(taken, await version())).resolves.toBe(true);
      const rows = [
        runningRow(organizationId, toolA, { idempotencyKey: 'call-1:tc-1' }),
        runningRow(organizationId, toolA, { idempotencyKey: 'call-1:tc-2' }),
        runningRow(organizationId, toolB, { idempotencyKey: 'call-1:tc-2' }),
        runningRow(organizationId, toolB, { idempotencyKey: null }),
        runningRow(organizationId, toolB, { idempotencyKey: null, status: 'ERROR', errorCode: 'TOOL_INACTIVE' }),
      ];
      // Issued together: the first goes out alone, the other four share the next statement.
      const current = await version();
      const inserted = await Promise.all(rows.map((row) => writer.insert(row, current)));
      // Of two rows with one key in one batch exactly one is written (which one is the database's choice).
      expect([inserted[0], inserted[1] !== inserted[2], inserted[3], inserted[4]]).toEqual([false, true, true, true]);

      const stored = await database.prisma.toolExecution.findMany({ where: { id: { in: rows.map((row) => row.id) } } });
      expect(stored).toHaveLength(3);
      for (const row of stored) {
        const given = rows.find((candidate) => candidate.id === row.id);
        expect(row).toEqual(given);
      }
    });

    it('a batch finishes RUNNING rows only, and counts every counted run on its own tool', async () => {
      const writer = createExecutionWriter(hotSql(database.sql));
      const before = await database.prisma.tool.findMany({
        where: { id: { in: [toolA, toolB] } },
        orderBy: { name: 'asc' },
      });
      const rows = [0, 1, 2, 3, 4].map((index) => runningRow(organizationId, index < 3 ? toolA : toolB));
      const current = await version();
      await Promise.all(rows.map((row) => writer.insert(row, current)));
      // Someone else decided the last one first: its verdict stays, the run still counts.
      await database.prisma.toolExecution.update({ where: { id: rows[4]!.id }, data: { status: 'CANCELLED' } });

      const finishedAt = new Date('2026-12-01T10:00:01.000Z');
      const countedAt = (ms: number) => new Date(Date.parse('2026-12-01T10:00:00.000Z') + ms);
      const moved = await Promise.all([
        writer.finish({ ...rows[0]!, ...success(finishedAt) }, { toolId: toolA, at: countedAt(5) }),
        writer.finish({ ...rows[1]!, ...success(finishedAt, 'second') }, { toolId: toolA, at: countedAt(30) }),
        writer.finish({ ...rows[2]!, ...success(finishedAt) }, null),
        writer.finish({ ...rows[3]!, ...success(finishedAt) }, { toolId: toolB, at: countedAt(10) }),
        writer.finish({ ...rows[4]!, ...success(finishedAt) }, { toolId: toolB, at: countedAt(20) }),
      ]);
      expect(moved).toEqual([true, true, true, true, false]);

      const after = await database.prisma.tool.findMany({
        where: { id: { in: [toolA, toolB] } },
        orderBy: { name: 'asc' },
      });
      expect(after.map((tool) => tool.executionCount)).toEqual([
        before[0]!.executionCount + 2,
        before[1]!.executionCount + 2,
      ]);
      expect(after.map((tool) => tool.lastExecutedAt?.toISOString())).toEqual([
        countedAt(30).toISOString(),
        countedAt(20).toISOString(),
      ]);
      expect(after.map((tool) => tool.updatedAt)).toEqual(before.map((tool) => tool.updatedAt));

      const stored = await database.prisma.toolExecution.findMany({ where: { id: { in: rows.map((row) => row.id) } } });
      const byId = new Map(stored.map((row) => [row.id, row]));
      expect(byId.get(rows[0]!.id)).toMatchObject({
        status: 'SUCCESS',
        outputResult: { success: true, message: 'done', data: AWKWARD },
        request: { method: 'GET', url: 'https://example.test/?q="x"' },
        logs: ['line "one"', 'line \\ two'],
        completedAt: finishedAt,
        durationMs: 12,
        retryCount: 1,
        toolVersion: 2,
      });
      expect(byId.get(rows[1]!.id)?.outputResult).toEqual({ success: true, message: 'done', data: 'second' });
      expect(byId.get(rows[4]!.id)?.status).toBe('CANCELLED');
    });

    it('stores NUL and unpaired surrogates escaped, alone and in a batch, in text and jsonb columns', async () => {
      const writer = createExecutionWriter(hotSql(database.sql));
      const poison = 'x\u0000y\ud800z\udc00';
      const stored = 'x\\u0000y\ufffdz\ufffd';
      const poisoned = (): ToolExecution =>
        runningRow(organizationId, toolA, {
          toolCallId: poison,
          idempotencyKey: `${poison}${randomUUID()}`,
          inputParameters: { [poison]: [poison, { deeper: poison }] },
          context: { call_sid: poison },
        });
      const alone = poisoned();
      const batch = [poisoned(), runningRow(organizationId, toolA), poisoned()];
      const current = await version();
      expect(await writer.insert(alone, current)).toBe(true);
      expect(await Promise.all(batch.map((row) => writer.insert(row, current)))).toEqual([true, true, true]);
      const finished = await Promise.all(
        [alone, ...batch].map((row) =>
          writer.finish({ ...row, ...success(new Date(), { text: poison }), errorMessage: poison }, null),
        ),
      );
      expect(finished).toEqual([true, true, true, true]);
      const rows = await database.prisma.toolExecution.findMany({ where: { id: { in: [alone.id, batch[0]!.id] } } });
      for (const row of rows) {
        expect(row.toolCallId).toBe(stored);
        expect(row.idempotencyKey?.startsWith(stored)).toBe(true);
        expect(row.inputParameters).toEqual({ [stored]: [stored, { deeper: stored }] });
        expect(row.context).toEqual({ call_sid: stored });
        expect(row.errorMessage).toBe(stored);
        expect(row.outputResult).toMatchObject({ data: { text: stored } });
      }
    });

    it('a row its batch cannot write fails alone: the others of the batch are written', async () => {
      const writer = createExecutionWriter(hotSql(database.sql));
      const rows = [0, 1, 2, 3].map(() => runningRow(organizationId, toolA));
      const current = await version();
      // An execution row naming a user that does not exist violates a foreign key.
      const inserts = await Promise.allSettled([
        writer.insert(rows[0]!, current),
        writer.insert({ ...rows[1]!, userId: randomUUID() }, current),
        writer.insert(rows[2]!, current),
        writer.insert(rows[3]!, current),
      ]);
      expect(inserts.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      // A duration beyond the int column fails its finish only.
      const finishes = await Promise.allSettled([
        writer.finish({ ...rows[0]!, ...success(new Date()) }, { toolId: toolA, at: new Date() }),
        writer.finish({ ...rows[2]!, ...success(new Date()), durationMs: 2 ** 40 }, { toolId: toolA, at: new Date() }),
        writer.finish({ ...rows[3]!, ...success(new Date()) }, { toolId: toolA, at: new Date() }),
      ]);
      expect(finishes.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const stored = await database.prisma.toolExecution.findMany({ where: { id: { in: rows.map((row) => row.id) } } });
      expect(Object.fromEntries(stored.map((row) => [row.id, row.status]))).toEqual({
        [rows[0]!.id]: 'SUCCESS',
        [rows[2]!.id]: 'RUNNING',
        [rows[3]!.id]: 'SUCCESS',
      });
    });

    it('a finish whose RUNNING row is missing inserts the whole row, alone and in a batch', async () => {
      const writer = createExecutionWriter(hotSql(database.sql));
      const rows = [0, 1, 2].map(() => runningRow(organizationId, toolB));
      const before = (await database.prisma.tool.findUniqueOrThrow({ where: { id: toolB } })).executionCount;
      expect(await writer.finish({ ...rows[0]!, ...success(new Date()) }, { toolId: toolB, at: new Date() })).toBe(
        true,
      );
      expect(
        await Promise.all(
          rows
            .slice(1)
            .map((row) => writer.finish({ ...row, ...success(new Date()) }, { toolId: toolB, at: new Date() })),
        ),
      ).toEqual([true, true]);
      const stored = await database.prisma.toolExecution.findMany({ where: { id: { in: rows.map((row) => row.id) } } });
      expect(stored).toHaveLength(3);
      for (const row of stored) {
        expect(row).toMatchObject({
          status: 'SUCCESS',
          toolName: 'probe',
          inputParameters: AWKWARD,
          idempotencyKey: rows.find((given) => given.id === row.id)?.idempotencyKey,
        });
      }
      expect((await database.prisma.tool.findUniqueOrThrow({ where: { id: toolB } })).executionCount).toBe(before + 3);
    });

    it('a later count never moves last_executed_at back', async () => {
      const writer = createExecutionWriter(hotSql(database.sql));
      const late = runningRow(organizationId, toolA);
      const early = runningRow(organizationId, toolA);
      await writer.insert(late, await version());
      await writer.insert(early, await version());
      await writer.finish(
        { ...late, ...success(new Date()) },
        { toolId: toolA, at: new Date('2030-01-01T00:00:00.000Z') },
      );
      await writer.finish(
        { ...early, ...success(new Date()) },
        { toolId: toolA, at: new Date('2029-01-01T00:00:00.000Z') },
      );
      const tool = await database.prisma.tool.findUniqueOrThrow({ where: { id: toolA } });
      expect(tool.lastExecutedAt?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    });

    if (engine === 'postgresql') {
      it('reports a write durable only after a flush barrier that started once the write was done', async () => {
        const log: string[] = [];
        const writer = createExecutionWriter(
          hotSql(
            traced(async (text, run) => {
              const name = text.includes('pg_current_xact_id')
                ? 'barrier'
                : text.includes('UPDATE')
                  ? 'finish'
                  : 'insert';
              log.push(`${name} start`);
              const rows = await run();
              log.push(`${name} done`);
              return rows;
            }),
          ),
        );
        const row = runningRow(organizationId, toolA);
        await writer.insert(row, await version());
        await writer.finish({ ...row, ...success(new Date()) }, null);
        await writer.durable();
        log.push('durable');
        expect(log).toEqual([
          'insert start',
          'insert done',
          'finish start',
          'finish done',
          'barrier start',
          'barrier done',
          'durable',
        ]);

        // A barrier already in flight does not cover writes that finished after it started.
        log.length = 0;
        const first = writer.durable();
        const other = runningRow(organizationId, toolA);
        await writer.insert(other, await version());
        const second = writer.durable();
        await Promise.all([first, second]);
        expect(log.filter((entry) => entry.startsWith('barrier start'))).toHaveLength(2);
        expect(log.indexOf('insert done')).toBeLessThan(log.lastIndexOf('barrier start'));
      });
    } else {
      it('commits synchronously: nothing waits for a barrier', async () => {
        const log: string[] = [];
        const writer = createExecutionWriter(
          hotSql(
            traced((text, run) => {
              log.push(text.includes('synchronous_commit') ? 'async statement' : 'statement');
              return run();
            }),
          ),
        );
        const row = runningRow(organizationId, toolA);
        await writer.insert(row, await version());
        await writer.finish({ ...row, ...success(new Date()) }, null);
        await writer.durable();
        expect(log).toEqual(['statement', 'statement']);
      });
    }
  });
}
