/** `afterMs: "auto"` resolved from recorded executions when the definitions are served. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { addTool, createAssistant } from '../helpers/assistant-tools.ts';
import { lookupOrderInput } from '../helpers/integrations.ts';

let t: TestApp;
let org: TestOrganization;
let assistantId: string;
const toolIds: Record<string, string> = {};

const repeat = (value: number, times: number) => Array.from({ length: times }, () => value);
const AUTO = { requestStart: 'One moment.', requestDelayed: { message: 'Still checking.', afterMs: 'auto' } };

/** Finished runs of the tool, one per duration, a second apart from `ageMs` ago. */
async function record(toolId: string, name: string, durations: number[], ageMs = 3_600_000): Promise<void> {
  const now = Date.now() - ageMs + 3_600_000;
  await t.app.services.prisma.toolExecution.createMany({
    data: durations.map((durationMs, index) => ({
      id: randomUUID(),
      organizationId: org.id,
      toolId,
      toolName: name,
      toolVersion: 1,
      assistantId,
      inputParameters: {},
      status: index % 10 === 0 ? ('ERROR' as const) : ('SUCCESS' as const),
      startedAt: new Date(now - 3_600_000 + index * 1000),
      completedAt: new Date(now - 3_600_000 + index * 1000 + durationMs),
      durationMs,
      triggerContext: 'call',
    })),
  });
}

beforeAll(async () => {
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'Filler');
  assistantId = await createAssistant(t, org, 'Filler desk');
  for (const name of ['fast_tool', 'slow_tool', 'new_tool', 'fixed_tool']) {
    const input = lookupOrderInput('http://127.0.0.1:9', name);
    input.messages = name === 'fixed_tool' ? { requestDelayed: { message: 'Hold on.', afterMs: 2500 } } : AUTO;
    toolIds[name] = await addTool(t, org, assistantId, input);
  }
  await record(
    toolIds.fast_tool!,
    'fast_tool',
    Array.from({ length: 60 }, (_, index) => 150 + index * 5),
  );
  await record(
    toolIds.slow_tool!,
    'slow_tool',
    Array.from({ length: 60 }, (_, index) => 900 + index * 20),
  );
  await record(toolIds.new_tool!, 'new_tool', [5_000, 6_000]);
  // Slow runs older than the seven-day window are not observations.
  await record(toolIds.fast_tool!, 'fast_tool', repeat(10_000, 60), 8 * 86_400_000);
});
afterAll(async () => {
  await t?.close();
});

describe('auto filler timing', () => {
  test("GET /v1/assistants/:id/tools resolves auto from each tool's recorded latency", async () => {
    const response = await fetch(`${t.url}/v1/assistants/${assistantId}/tools`, {
      headers: { authorization: `Bearer ${org.keys.VIEWER}` },
    });
    expect(response.status).toBe(200);
    const { messages } = (await response.json()) as { messages: Record<string, unknown> };
    // p95 445 ms: nobody notices, so no filler.
    expect(messages.fast_tool).toEqual({ requestStart: 'One moment.' });
    // p95 above a second, nearest-rank p50 1480 ms (900 + 29 × 20): spoken at the median.
    expect(messages.slow_tool).toEqual({
      requestStart: 'One moment.',
      requestDelayed: { message: 'Still checking.', afterMs: 1_480 },
    });
    // Two observations: the default.
    expect(messages.new_tool).toEqual({
      requestStart: 'One moment.',
      requestDelayed: { message: 'Still checking.', afterMs: 1_000 },
    });
    expect(messages.fixed_tool).toEqual({ requestDelayed: { message: 'Hold on.', afterMs: 2_500 } });
  });

  test('the tool itself keeps "auto" as saved', async () => {
    const tool = await t.app.services.prisma.tool.findUnique({ where: { id: toolIds.slow_tool } });
    expect(tool?.messages).toEqual(AUTO);
  });
});
