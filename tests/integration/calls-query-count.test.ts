/**
 * The calls list (what a /calls screen asks for: each call, its assistant and its
 * first tool calls) costs the same number of SQL statements for 3 calls as for 12.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const statements: string[] = [];
let counting = false;
let t: TestApp;
const QUIET = { SWITCHBOARD_INSTANCE_LEASE_MS: '600000', SWITCHBOARD_DELIVERY_POLL_MS: '600000' };

beforeAll(async () => {
  // Background work (heartbeats, the delivery poller) must not fall into the counting window.
  t = await startTestApp(QUIET, { onQuery: (sql) => counting && statements.push(sql) });
});
afterAll(() => t?.close());

const CALLS = `{
  calls(first: 20) {
    edges { node {
      id externalId platform status startedAt endedAt endReason fromNumber toNumber
      assistant { id name }
      executions(first: 3) { edges { node { id toolName status errorCode startedAt } } }
    } }
  }
}`;

async function organizationWith(count: number): Promise<TestOrganization> {
  const prisma = t.app.services.prisma;
  const org = await createOrganization(prisma, `Calls ${count}`);
  const assistant = await prisma.assistant.create({ data: { organizationId: org.id, name: 'A' } });
  for (let index = 0; index < count; index += 1) {
    const call = await prisma.call.create({
      data: { organizationId: org.id, assistantId: assistant.id, callSid: `call-${index}`, platform: 'VAPI' },
    });
    await prisma.toolExecution.createMany({
      data: [1, 2].map((minute) => ({
        organizationId: org.id,
        callId: call.id,
        assistantId: assistant.id,
        toolName: 'lookup',
        toolVersion: 1,
        inputParameters: {},
        status: 'SUCCESS' as const,
        triggerContext: 'call',
        startedAt: new Date(Date.now() - minute * 60_000),
      })),
    });
  }
  return org;
}

async function countStatements(apiKey: string): Promise<{ count: number; calls: number }> {
  // Authenticate once first so the API key's last-used write is not counted.
  await t.gql(`{ viewer { role } }`, {}, { apiKey });
  statements.length = 0;
  counting = true;
  const response = await t.gql<{ calls: { edges: unknown[] } }>(CALLS, {}, { apiKey });
  counting = false;
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return { count: statements.length, calls: response.data!.calls.edges.length };
}

test('the calls list with assistants and executions does not grow with the number of calls', async () => {
  const few = await countStatements((await organizationWith(3)).keys.VIEWER);
  const many = await countStatements((await organizationWith(12)).keys.VIEWER);
  expect(few.calls).toBe(3);
  expect(many.calls).toBe(12);
  expect(many.count).toBe(few.count);
});
