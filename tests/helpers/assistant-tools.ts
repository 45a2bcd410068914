/** An assistant of its own with tools created and assigned through GraphQL, for tests that need only that. */
import { expect } from 'vitest';
import type { TestApp } from './app.ts';
import type { TestOrganization } from './fixtures.ts';
import { createToolVia } from './integrations.ts';

const CREATE_ASSISTANT = `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { __typename ... on Assistant { id } } }`;
const ASSIGN = `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`;

export async function createAssistant(t: TestApp, org: TestOrganization, name: string): Promise<string> {
  const created = await t.gql<{ createAssistant: { __typename: string; id: string } }>(
    CREATE_ASSISTANT,
    { input: { name } },
    { apiKey: org.keys.ADMIN },
  );
  expect(created.data?.createAssistant.__typename).toBe('Assistant');
  return created.data!.createAssistant.id;
}

/** Creates the tool (as MEMBER) and assigns it to the assistant (as ADMIN); returns the tool id. */
export async function addTool(
  t: TestApp,
  org: TestOrganization,
  assistantId: string,
  input: Record<string, unknown>,
): Promise<string> {
  const toolId = await createToolVia(t, org.keys.MEMBER, input);
  await assignTool(t, org, assistantId, toolId);
  return toolId;
}

/** Assigns an existing tool to the assistant (as ADMIN). */
export async function assignTool(
  t: TestApp,
  org: TestOrganization,
  assistantId: string,
  toolId: string,
): Promise<void> {
  const assigned = await t.gql<{ assignTool: { __typename: string } }>(
    ASSIGN,
    { input: { assistantId, toolId } },
    { apiKey: org.keys.ADMIN },
  );
  expect(assigned.data?.assignTool.__typename).toBe('ToolAssignment');
}
