/**
 * The tools list (what the dashboard's library screen asks for) costs the same
 * number of SQL statements for 5 tools as for 50: relations are joined or
 * batched, aggregates go through DataLoader.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, endpointToolInput, type TestOrganization } from '../helpers/fixtures.ts';

const statements: string[] = [];
let counting = false;
let t: TestApp;
const QUIET = { SWITCHBOARD_INSTANCE_LEASE_MS: '600000', SWITCHBOARD_DELIVERY_POLL_MS: '600000' };

beforeAll(async () => {
  // Background work (heartbeats, the delivery poller) must not fall into the counting window.
  t = await startTestApp(QUIET, { onQuery: (sql) => counting && statements.push(sql) });
});
afterAll(() => t?.close());

const LIBRARY = `{
  tools(first: 100) {
    edges { node {
      id name displayName type description executionCount lastExecutedAt updatedAt isPublic
      assistantCount successRate lastExecution { id status startedAt }
      createdBy { email }
      assignments { id enabled assistant { id name } }
      versions(first: 1) { edges { node { version createdAt } } }
    } }
  }
}`;

const ASSISTANT = `query ($id: ID!) { assistant(id: $id) { id name toolAssignments { id enabled executionOrder customConfiguration tool { id name type assistantCount } } } }`;

async function organizationWith(count: number): Promise<{ org: TestOrganization; assistantId: string }> {
  const org = await createOrganization(t.app.services.prisma, `Count ${count}`);
  const assistant = await t.gql<{ createAssistant: { id: string } }>(
    `mutation { createAssistant(input: { name: "A" }) { ... on Assistant { id } } }`,
    {},
    { apiKey: org.keys.ADMIN },
  );
  const assistantId = assistant.data!.createAssistant.id;
  for (let index = 0; index < count; index += 1) {
    const created = await t.gql<{ createTool: { id: string } }>(
      `mutation ($input: CreateToolInput!) { createTool(input: $input) { ... on Tool { id } } }`,
      { input: endpointToolInput(`tool_${index}`) },
      { apiKey: org.keys.ADMIN },
    );
    const toolId = created.data!.createTool.id;
    await t.gql(
      `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`,
      {
        input: { assistantId, toolId },
      },
      { apiKey: org.keys.ADMIN },
    );
    await t.app.services.prisma.toolExecution.createMany({
      data: [1, 2].map((minute) => ({
        organizationId: org.id,
        toolId,
        toolName: `tool_${index}`,
        toolVersion: 1,
        inputParameters: {},
        status: 'SUCCESS' as const,
        triggerContext: 'test',
        startedAt: new Date(Date.now() - minute * 60_000),
      })),
    });
  }
  return { org, assistantId };
}

async function countStatements(query: string, variables: Record<string, unknown>, apiKey: string): Promise<number> {
  // Authenticate once first so the API key's last-used write is not counted.
  await t.gql(`{ viewer { role } }`, {}, { apiKey });
  statements.length = 0;
  counting = true;
  const response = await t.gql(query, variables, { apiKey });
  counting = false;
  expect(response.errors).toBeUndefined();
  return statements.length;
}

test('the tools list and an assistant screen cost a constant number of statements', async () => {
  const small = await organizationWith(5);
  const large = await organizationWith(50);
  const smallLibrary = await countStatements(LIBRARY, {}, small.org.keys.VIEWER);
  const largeLibrary = await countStatements(LIBRARY, {}, large.org.keys.VIEWER);
  expect(largeLibrary).toBe(smallLibrary);
  expect(smallLibrary).toBeGreaterThan(0);
  expect(largeLibrary).toBeLessThanOrEqual(12);

  const smallAssistant = await countStatements(ASSISTANT, { id: small.assistantId }, small.org.keys.VIEWER);
  const largeAssistant = await countStatements(ASSISTANT, { id: large.assistantId }, large.org.keys.VIEWER);
  expect(largeAssistant).toBe(smallAssistant);
}, 120_000);
