/**
 * The engine remembers what it resolved, so a call's repeated tool calls skip
 * the lookup; yet no run ever uses outdated settings, however they changed
 * (Prisma, raw SQL, another instance): the execution is written only at the
 * organization's current configuration version, and a stale entry is resolved again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineHarness, type EngineHarness } from '../helpers/engine-harness.ts';

let h: EngineHarness;

beforeAll(async () => {
  h = await startEngineHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Counts the engine's lookup statements while `work` runs. */
async function lookupsDuring(work: () => Promise<unknown>): Promise<number> {
  const driver = h.db.database.sql;
  const query = driver.query.bind(driver);
  let lookups = 0;
  driver.query = ((text: string, ...rest: unknown[]) => {
    if (text.includes('"feature_flags" AS "featureFlags"')) lookups += 1;
    return (query as (...args: unknown[]) => unknown)(text, ...rest);
  }) as typeof driver.query;
  try {
    await work();
  } finally {
    driver.query = query;
  }
  return lookups;
}

describe('lookup cache', () => {
  it("repeated calls of one assistant's tool read it once; runs (and their counters) do not invalidate it", async () => {
    const assistantId = await h.createAssistant();
    const toolId = await h.createTool({ name: 'cached_lookup' });
    await h.assign(assistantId, toolId);
    const call = () => h.run({ assistantId, toolName: 'cached_lookup' });
    expect(await lookupsDuring(call)).toBe(1);
    expect(await lookupsDuring(async () => Promise.all([call(), call(), call()]))).toBe(0);
    const tool = await h.db.database.prisma.tool.findUniqueOrThrow({ where: { id: toolId } });
    expect(tool.executionCount).toBe(4);
  });

  it('a name the assistant does not have costs one lookup, and a cached refusal is re-read once', async () => {
    const assistantId = await h.createAssistant();
    const unknown = () => h.run({ assistantId, toolName: 'no_such_tool' });
    expect(await lookupsDuring(() => expect(unknown()).rejects.toMatchObject({ name: 'NotFoundError' }))).toBe(1);
    // The assistant is cached now (without that tool): the refusal is confirmed by one fresh read.
    expect(await lookupsDuring(() => expect(unknown()).rejects.toMatchObject({ name: 'NotFoundError' }))).toBe(1);
  });

  it('a tool switched off with raw SQL is refused at the next call', async () => {
    const toolId = await h.createTool();
    expect((await h.run({ toolId })).status).toBe('SUCCESS');
    await h.db.database.sql.query(`UPDATE "tools" SET "is_active" = false WHERE "id" = $1::uuid`, [toolId]);
    expect(await h.run({ toolId })).toMatchObject({ status: 'ERROR', errorCode: 'TOOL_INACTIVE' });
    await h.db.database.sql.query(`UPDATE "tools" SET "is_active" = true WHERE "id" = $1::uuid`, [toolId]);
    expect((await h.run({ toolId })).status).toBe('SUCCESS');
  });

  it("another instance's changes apply at once: configuration, unassignment, feature flags", async () => {
    const other = h.restart();
    const assistantId = await h.createAssistant();
    const toolId = await h.createTool({ name: 'shared_tool' });
    await h.assign(assistantId, toolId, { customConfiguration: { url: `${h.upstream.base}/echo/first` } });
    const call = (engine = h.engine) =>
      engine.run({
        organizationId: h.org.id,
        assistantId,
        toolName: 'shared_tool',
        parameters: { order_id: 'A-1' },
        context: { triggerContext: 'call' },
        actor: { userId: null, apiKeyId: null },
      });
    expect((await call()).status).toBe('SUCCESS');
    expect((await call(other)).status).toBe('SUCCESS');

    const prisma = h.db.database.prisma;
    await prisma.assistantTool.update({
      where: { assistantId_toolId: { assistantId, toolId } },
      data: { customConfiguration: { url: `${h.upstream.base}/echo/second` } },
    });
    const before = h.upstream.hits('/echo/second').length;
    expect((await call()).status).toBe('SUCCESS');
    expect((await call(other)).status).toBe('SUCCESS');
    expect(h.upstream.hits('/echo/second').length).toBe(before + 2);

    await prisma.organization.update({ where: { id: h.org.id }, data: { featureFlags: { ENDPOINT: false } } });
    await expect(call()).rejects.toMatchObject({ name: 'FeatureDisabledError' });
    await prisma.organization.update({ where: { id: h.org.id }, data: { featureFlags: {} } });
    expect((await call()).status).toBe('SUCCESS');

    await prisma.assistantTool.delete({ where: { assistantId_toolId: { assistantId, toolId } } });
    await expect(call(other)).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(call()).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('a stale entry costs one fresh lookup, and the run it answers is recorded once', async () => {
    const toolId = await h.createTool();
    await h.run({ toolId });
    await h.db.database.prisma.tool.update({ where: { id: toolId }, data: { retryAttempts: 1 } });
    let row: Awaited<ReturnType<typeof h.run>> | undefined;
    expect(
      await lookupsDuring(async () => {
        row = await h.run({ toolId, idempotencyKey: 'stale-once' });
      }),
    ).toBe(1);
    expect(row?.status).toBe('SUCCESS');
    const rows = await h.db.database.prisma.toolExecution.count({ where: { idempotencyKey: 'key:stale-once' } });
    expect(rows).toBe(1);
  });
});
