/**
 * A tool's health says "no data" while nothing of it finished in the health
 * window, instead of an "OK" nobody measured.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ExecutionStatus } from '../../server/db/generated/prisma/client.ts';
import { HEALTH_WINDOW_MS } from '../../server/metrics/tool-health.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, createToolRow, type TestOrganization } from '../helpers/fixtures.ts';

let t: TestApp;
let org: TestOrganization;

const HEALTH = `query ($id: ID!, $window: MetricsWindowInput!) {
  tool(id: $id) { health executionCount }
  toolMetrics(toolId: $id, window: $window) { health totals { executions } }
}`;

async function health(toolId: string) {
  const to = new Date();
  const from = new Date(to.getTime() - 24 * 3_600_000);
  const response = await t.gql<{
    tool: { health: string; executionCount: number };
    toolMetrics: { health: string; totals: { executions: number } };
  }>(HEALTH, { id: toolId, window: { from: from.toISOString(), to: to.toISOString() } }, { apiKey: org.keys.VIEWER });
  expect(response.errors).toBeUndefined();
  return response.data!;
}

async function record(toolId: string, status: ExecutionStatus, startedAt: Date, errorCode: string | null = null) {
  await t.app.services.prisma.toolExecution.create({
    data: {
      organizationId: org.id,
      toolId,
      toolName: 'probe',
      toolVersion: 1,
      inputParameters: {},
      status,
      errorCode,
      durationMs: 40,
      startedAt,
      triggerContext: 'test',
    },
  });
}

beforeAll(async () => {
  t = await startTestApp();
  org = await createOrganization(t.app.services.prisma, 'Health');
});

afterAll(async () => {
  await t?.close();
});

describe('tool health', () => {
  test('is NO_DATA for a tool that never ran, on the tool and in its metrics', async () => {
    const tool = await createToolRow(t.app.services.prisma, org.id, 'ENDPOINT', { url: 'https://example.com' });
    await expect(health(tool.id)).resolves.toMatchObject({
      tool: { health: 'NO_DATA', executionCount: 0 },
      toolMetrics: { health: 'NO_DATA', totals: { executions: 0 } },
    });
  });

  test('is NO_DATA when the only executions are older than the health window', async () => {
    const tool = await createToolRow(t.app.services.prisma, org.id, 'ENDPOINT', { url: 'https://example.com' });
    await record(tool.id, 'SUCCESS', new Date(Date.now() - HEALTH_WINDOW_MS - 60_000));
    const read = await health(tool.id);
    expect(read.tool.health).toBe('NO_DATA');
    // The older run still shows in the 24 h metrics: only health looks at the last 15 minutes.
    expect(read.toolMetrics.totals.executions).toBe(1);
  });

  test('is judged again once an execution finishes in the window', async () => {
    const tool = await createToolRow(t.app.services.prisma, org.id, 'ENDPOINT', { url: 'https://example.com' });
    await record(tool.id, 'SUCCESS', new Date());
    await expect(health(tool.id)).resolves.toMatchObject({ tool: { health: 'OK' }, toolMetrics: { health: 'OK' } });
  });
});
