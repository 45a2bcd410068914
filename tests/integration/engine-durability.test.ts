/**
 * Every execution that ran is stored with what really happened, on PostgreSQL
 * and PGlite: text PostgreSQL refuses (NUL, lone surrogates) from one
 * organization never fails another's rows written in the same batch, a
 * RUNNING row that was lost is written whole by the finish, and a tool call id
 * deduplicates only the same call's same tool.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JsonObject } from '../../server/executors/types.ts';
import { startEngineHarness, type EngineHarness } from '../helpers/engine-harness.ts';
import { createOrganization } from '../helpers/fixtures.ts';

/** NUL, a lone high and a lone low surrogate: PostgreSQL refuses each in text and in jsonb. */
const POISON = 'a\u0000b \ud800 \udfff end';
/** How the writer stores it (README, "Text PostgreSQL cannot store"). */
const STORED_POISON = 'a\\u0000b \ufffd \ufffd end';

for (const database of ['postgresql', 'pglite'] as const) {
  describe(`execution durability on ${database}`, () => {
    let h: EngineHarness;

    beforeAll(async () => {
      h = await startEngineHarness({ database });
    });
    afterAll(async () => {
      await h?.close();
    });

    it("one organization's poison output and parameters fail none of another organization's concurrent executions", async () => {
      const prisma = h.db.database.prisma;
      const poisoner = await createOrganization(prisma, 'Poisoner');
      const poisonTool = await prisma.tool.create({
        data: {
          organizationId: poisoner.id,
          name: 'poison',
          displayName: 'poison',
          type: 'ENDPOINT',
          // The upstream echoes the body: the output carries the parameters' NUL and surrogates back.
          configuration: { url: `${h.upstream.base}/echo`, method: 'POST' },
          functionDefinition: { name: 'poison', parameters: { type: 'object' } },
        },
      });
      const victimTool = await h.createTool();
      const victims = Array.from({ length: 300 }, (_, index) =>
        h.run({ toolId: victimTool, parameters: { order_id: `B-${index}` } }),
      );
      const poisons = Array.from({ length: 30 }, (_, index) =>
        h.engine.run({
          organizationId: poisoner.id,
          toolId: poisonTool.id,
          parameters: { text: POISON, [`key${POISON}`]: index },
          context: { triggerContext: 'call', toolCallId: `tc${POISON}${index}`, callSid: `CA${POISON}` },
          actor: { userId: null, apiKeyId: null },
        }),
      );
      const settled = await Promise.allSettled([...victims, ...poisons]);
      const failures = settled.filter((result) => result.status === 'rejected');
      expect(failures.map((failure) => String((failure as PromiseRejectedResult).reason))).toEqual([]);

      const victimRows = await prisma.toolExecution.findMany({ where: { toolId: victimTool } });
      expect(victimRows).toHaveLength(300);
      expect(victimRows.filter((row) => row.status !== 'SUCCESS')).toEqual([]);
      expect((await prisma.tool.findUniqueOrThrow({ where: { id: victimTool } })).executionCount).toBe(300);

      // The poisoner's rows are final and true too, their text stored escaped.
      const poisonRows = await prisma.toolExecution.findMany({ where: { toolId: poisonTool.id } });
      expect(poisonRows).toHaveLength(30);
      expect(poisonRows.filter((row) => row.status !== 'SUCCESS')).toEqual([]);
      const sample = poisonRows[0]!;
      expect((sample.inputParameters as JsonObject).text).toBe(STORED_POISON);
      expect(Object.keys(sample.inputParameters as JsonObject)).toContain(`key${STORED_POISON}`);
      expect(sample.toolCallId?.startsWith(`tc${STORED_POISON}`)).toBe(true);
      const echoed = ((sample.outputResult as JsonObject).data as JsonObject).body as JsonObject;
      expect(echoed.text).toBe(STORED_POISON);
      // The same poison twice is still the same tool call: the escaped key deduplicates.
      const again = await h.engine.run({
        organizationId: poisoner.id,
        toolId: poisonTool.id,
        parameters: { text: 'again' },
        context: { triggerContext: 'call', toolCallId: `tc${POISON}0`, callSid: `CA${POISON}` },
        actor: { userId: null, apiKeyId: null },
      });
      expect(poisonRows.map((row) => row.id)).toContain(again.id);
    });

    it('a RUNNING row lost before the finish is written whole by it, with the run counted', async () => {
      const prisma = h.db.database.prisma;
      const toolId = await h.createTool({ configuration: { url: `${h.upstream.base}/slow/500`, method: 'GET' } });
      const running = h.run({ toolId, parameters: { order_id: 'lost-1' }, context: { triggerContext: 'call' } });
      // As if the database lost the asynchronously committed insert: the row vanishes mid-run.
      await vi.waitUntil(() => h.upstream.hits('/slow/500').length === 1, { timeout: 10_000, interval: 5 });
      expect((await prisma.toolExecution.deleteMany({ where: { toolId, status: 'RUNNING' } })).count).toBe(1);
      const answered = await running;
      expect(answered.status).toBe('SUCCESS');
      const stored = await prisma.toolExecution.findUniqueOrThrow({ where: { id: answered.id } });
      expect(stored).toMatchObject({
        status: 'SUCCESS',
        toolId,
        organizationId: h.org.id,
        toolVersion: 1,
        inputParameters: { order_id: 'lost-1' },
        triggerContext: 'call',
        userId: h.actor.userId,
      });
      expect(stored.startedAt.getTime()).toBe(answered.startedAt.getTime());
      expect(stored.outputResult).toEqual(answered.outputResult);
      expect((await prisma.tool.findUniqueOrThrow({ where: { id: toolId } })).executionCount).toBe(1);
    });

    it('a tool call id deduplicates only the same tool call of the same call', async () => {
      const assistantId = await h.createAssistant();
      const x = await h.createTool({ name: `x_${database}` });
      const y = await h.createTool({ name: `y_${database}` });
      await h.assign(assistantId, x);
      await h.assign(assistantId, y);
      const call = (toolName: string, callSid: string | null) =>
        h.run({
          assistantId,
          toolName,
          context: { triggerContext: 'call', toolCallId: 'shared', ...(callSid ? { callSid } : {}) },
        });
      const first = await call(`x_${database}`, null);
      const other = await call(`y_${database}`, null);
      expect(other.id).not.toBe(first.id);
      expect(other.toolId).toBe(y);
      expect(other.status).toBe('SUCCESS');
      // The same tool call again is the same execution; in a call, it is that call's own.
      expect((await call(`x_${database}`, null)).id).toBe(first.id);
      const inCall = await call(`x_${database}`, 'CA-dedupe');
      expect(inCall.id).not.toBe(first.id);
      expect((await call(`x_${database}`, 'CA-dedupe')).id).toBe(inCall.id);
      // Another assistant naming the same tool call id is not that call either.
      const otherAssistant = await h.createAssistant();
      await h.assign(otherAssistant, x);
      const elsewhere = await h.run({
        assistantId: otherAssistant,
        toolName: `x_${database}`,
        context: { triggerContext: 'call', toolCallId: 'shared' },
      });
      expect(elsewhere.id).not.toBe(first.id);
    });
  });

  describe(`a finish the database refuses on ${database}`, () => {
    let h: EngineHarness;
    let refusals = 0;

    beforeAll(async () => {
      h = await startEngineHarness({
        database,
        wrapSql: (driver) => ({
          kind: driver.kind,
          query: (text, params, options) => {
            if (refusals > 0 && text.includes('ON CONFLICT ("id") DO UPDATE')) {
              refusals -= 1;
              return Promise.reject(new Error('connection terminated unexpectedly'));
            }
            return driver.query(text, params, options);
          },
        }),
      });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('is retried until stored: the caller gets the real outcome and the row says it', async () => {
      const toolId = await h.createTool();
      refusals = 3;
      const row = await h.run({ toolId });
      expect(refusals).toBe(0);
      expect(row.status).toBe('SUCCESS');
      const stored = await h.db.database.prisma.toolExecution.findUniqueOrThrow({ where: { id: row.id } });
      expect(stored).toMatchObject({ status: 'SUCCESS', outputResult: row.outputResult });
      expect((await h.db.database.prisma.tool.findUniqueOrThrow({ where: { id: toolId } })).executionCount).toBe(1);
    });

    it('past finishAnswerMs the caller gets an error, and the retries store the row once the database takes it', async () => {
      const toolId = await h.createTool();
      const impatient = h.restart({ finishAnswerMs: 300 });
      refusals = Number.MAX_SAFE_INTEGER;
      const answer = impatient.run({
        organizationId: h.org.id,
        toolId,
        parameters: { order_id: 'A-9' },
        context: { triggerContext: 'call' },
        actor: { userId: h.actor.userId, apiKeyId: null },
      });
      await expect(answer).rejects.toMatchObject({ name: 'ExecutionNotStoredError' });
      const prisma = h.db.database.prisma;
      expect((await prisma.toolExecution.findFirstOrThrow({ where: { toolId } })).status).toBe('RUNNING');
      refusals = 0;
      const stored = await vi.waitUntil(
        async () => {
          const row = await prisma.toolExecution.findFirstOrThrow({ where: { toolId } });
          return row.status === 'RUNNING' ? null : row;
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(stored).toMatchObject({ status: 'SUCCESS' });
      // The live monitor hears of it too.
      await vi.waitUntil(() => h.events.some((event) => event.executionId === stored.id && event.kind === 'finished'), {
        timeout: 5_000,
        interval: 20,
      });
      await impatient.close();
    });
  });
}
