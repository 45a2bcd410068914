/**
 * Issue 13, finding 4: an approval decides on what the approver was shown. The
 * execution carries the request it will send (secrets as [secret:NAME]); if the
 * tool changed between the request and the approval, nothing runs and the
 * execution ends TOOL_CHANGED_SINCE_REQUEST.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startUpstream, type Upstream } from '../helpers/engine-harness.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const SECRET = 'approval-secret-value-77';
const EXECUTION = `id status errorCode errorMessage toolVersion approvalPreview`;
const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) {
  __typename ... on Tool { id } ... on ValidationError { issues { field message } } } }`;
const UPDATE = `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { __typename } }`;
const TEST = `mutation ($input: TestToolInput!) { testTool(input: $input) { ... on ToolExecution { ${EXECUTION} } } }`;
const APPROVE = `mutation ($input: ExecutionIdInput!) { approveExecution(input: $input) { __typename ... on ToolExecution { ${EXECUTION} } } }`;

type Execution = {
  id: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  toolVersion: number;
  approvalPreview: Record<string, unknown> | null;
};

let t: TestApp;
let org: TestOrganization;
let upstream: Upstream;

async function gql<T>(query: string, variables: Record<string, unknown>, apiKey: string): Promise<T> {
  const response = await t.gql<T>(query, variables, { apiKey });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!;
}

async function createTool(input: Record<string, unknown>): Promise<string> {
  const data = await gql<{ createTool: { __typename: string; id: string } }>(
    CREATE,
    { input: { requireConfirmation: true, ...input } },
    org.keys.ADMIN,
  );
  expect(data.createTool.__typename, JSON.stringify(data.createTool)).toBe('Tool');
  return data.createTool.id;
}

async function request(toolId: string, parameters: Record<string, unknown> = {}): Promise<Execution> {
  const data = await gql<{ testTool: Execution }>(TEST, { input: { toolId, parameters } }, org.keys.MEMBER);
  expect(data.testTool.status).toBe('PENDING_APPROVAL');
  return data.testTool;
}

async function approve(id: string): Promise<Execution> {
  return (await gql<{ approveExecution: Execution }>(APPROVE, { input: { id } }, org.keys.ADMIN)).approveExecution;
}

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}` });
  org = await createOrganization(t.app.services.prisma, 'Approvals');
  await gql(
    `mutation ($input: SetSecretInput!) { setSecret(input: $input) { __typename } }`,
    { input: { name: 'CRM_TOKEN', value: SECRET } },
    org.keys.ADMIN,
  );
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

describe('approvals decide on what the approver was shown', () => {
  test('the approver sees the rendered request, secrets by name', async () => {
    const toolId = await createTool({
      name: 'refund_order',
      type: 'ENDPOINT',
      configuration: {
        url: `${upstream.base}/echo/\${parameters.order_id}`,
        method: 'POST',
        headers: { 'X-Account': 'acct-${secrets.CRM_TOKEN}' },
        body_template: { order: '${parameters.order_id}', amount: '${parameters.amount}' },
        auth: { type: 'bearer', secret_name: 'CRM_TOKEN' },
      },
      functionDefinition: {
        parameters: {
          type: 'object',
          properties: { order_id: { type: 'string' }, amount: { type: 'number' } },
        },
      },
    });
    const pending = await request(toolId, { order_id: 'A 1', amount: 25 });
    expect(pending.approvalPreview).toMatchObject({
      method: 'POST',
      url: `${upstream.base}/echo/A%201`,
      headers: { Authorization: 'Bearer [secret:CRM_TOKEN]', 'X-Account': 'acct-[secret:CRM_TOKEN]' },
      body: { order: 'A 1', amount: 25 },
    });
    expect(JSON.stringify(pending)).not.toContain(SECRET);

    const approved = await approve(pending.id);
    expect(approved.status).toBe('SUCCESS');
    expect(upstream.hits('/echo/A%201')).toHaveLength(1);
  });

  test('a tool changed after the request is refused at approval: nothing runs', async () => {
    const toolId = await createTool({
      name: 'send_refund',
      type: 'ENDPOINT',
      configuration: { url: `${upstream.base}/echo/benign`, method: 'POST' },
    });
    const pending = await request(toolId);
    expect(pending.approvalPreview).toMatchObject({ url: `${upstream.base}/echo/benign` });

    await gql(
      UPDATE,
      { input: { id: toolId, configuration: { url: `${upstream.base}/echo/changed`, method: 'POST' } } },
      org.keys.MEMBER,
    );
    const decided = await approve(pending.id);
    expect(decided).toMatchObject({ status: 'ERROR', errorCode: 'TOOL_CHANGED_SINCE_REQUEST' });
    expect(decided.errorMessage).toMatch(/changed after this execution was requested/);
    expect(upstream.hits('/echo/benign')).toHaveLength(0);
    expect(upstream.hits('/echo/changed')).toHaveLength(0);
  });

  test('a changed assignment override is a change too', async () => {
    const toolId = await createTool({
      name: 'assigned_refund',
      type: 'ENDPOINT',
      configuration: { url: `${upstream.base}/echo/assigned`, method: 'POST' },
    });
    const assistant = await gql<{ createAssistant: { id: string } }>(
      `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { ... on Assistant { id } } }`,
      { input: { name: 'Refunds' } },
      org.keys.ADMIN,
    );
    const assistantId = assistant.createAssistant.id;
    const assigned = await gql<{ assignTool: { id: string } }>(
      `mutation ($input: AssignToolInput!) { assignTool(input: $input) { ... on ToolAssignment { id } } }`,
      { input: { assistantId, toolId } },
      org.keys.ADMIN,
    );
    const executed = await gql<{ executeTool: Execution }>(
      `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { ... on ToolExecution { ${EXECUTION} } } }`,
      { input: { assistantId, toolName: 'assigned_refund', parameters: {} } },
      org.keys.MEMBER,
    );
    expect(executed.executeTool.status).toBe('PENDING_APPROVAL');
    await gql(
      `mutation ($input: ConfigureToolAssignmentInput!) { configureToolAssignment(input: $input) { __typename } }`,
      {
        input: {
          assignmentId: assigned.assignTool.id,
          customConfiguration: { url: `${upstream.base}/echo/overridden` },
        },
      },
      org.keys.ADMIN,
    );
    const decided = await approve(executed.executeTool.id);
    expect(decided).toMatchObject({ status: 'ERROR', errorCode: 'TOOL_CHANGED_SINCE_REQUEST' });
    expect(upstream.hits('/echo/assigned')).toHaveLength(0);
    expect(upstream.hits('/echo/overridden')).toHaveLength(0);
  });

  test('code and Lambda tools show what they would run', async () => {
    const code = await createTool({
      name: 'code_refund',
      type: 'CODE',
      configuration: {
        code: 'export default function execute(parameters) { return { ok: parameters.id }; }',
        environment_variables: ['CRM_TOKEN'],
      },
    });
    expect((await request(code, { id: 7 })).approvalPreview).toEqual({
      runtime: 'javascript',
      code: 'export default function execute(parameters) { return { ok: parameters.id }; }',
      parameters: { id: 7 },
      secrets: ['[secret:CRM_TOKEN]'],
    });
    const lambda = await createTool({
      name: 'lambda_refund',
      type: 'LAMBDA',
      configuration: {
        function_name: 'refunds',
        region: 'us-east-1',
        access_key_field: 'AWS_KEY',
        secret_key_field: 'AWS_SECRET',
        payload_template: { id: '${parameters.id}', token: '${secrets.CRM_TOKEN}' },
      },
    });
    const pending = await request(lambda, { id: 9 });
    expect(pending.approvalPreview).toMatchObject({
      function_name: 'refunds',
      region: 'us-east-1',
      credentials: { access_key_id: '[secret:AWS_KEY]', secret_access_key: '[secret:AWS_SECRET]' },
      payload: { id: 9, token: '[secret:CRM_TOKEN]', idempotency_key: pending.id },
    });
  });
});
