import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startUpstream, type Upstream } from '../helpers/engine-harness.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

let upstream: Upstream;
let t: TestApp;
let org: TestOrganization;
let other: TestOrganization;
let assistantId: string;
let echoToolId: string;
let confirmToolId: string;

const EXECUTION = `id status errorCode errorMessage retryCount triggerContext toolCallId outputResult request
  tool { id } call { callSid } assistant { id }`;
const RESULT = `__typename ... on ToolExecution { ${EXECUTION} } ... on Error { message }
  ... on NotFoundError { entity } ... on ValidationError { issues { field message } }`;

const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) { ${RESULT} } }`;
const EXECUTE_TOOL = `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { ${RESULT} } }`;
const APPROVE = `mutation ($id: ID!) { approveExecution(input: { id: $id }) { ${RESULT} } }`;
const REJECT = `mutation ($id: ID!, $reason: String) { rejectExecution(input: { id: $id, reason: $reason }) { ${RESULT} } }`;
const CANCEL = `mutation ($id: ID!) { cancelExecution(input: { id: $id }) { ${RESULT} } }`;

type Result = Record<string, unknown> & { __typename: string };

async function mutate(query: string, variables: Record<string, unknown>, apiKey: string): Promise<Result> {
  const response = await t.gql<Record<string, Result>>(query, variables, { apiKey });
  expect(response.errors).toBeUndefined();
  return Object.values(response.data ?? {})[0]!;
}

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}` });
  const prisma = t.app.services.prisma;
  org = await createOrganization(prisma, 'Acme');
  other = await createOrganization(prisma, 'Other');
  const definition = (name: string) => ({
    name,
    parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
  });
  const tool = (name: string, extra: Record<string, unknown> = {}) =>
    prisma.tool.create({
      data: {
        organizationId: org.id,
        name,
        displayName: name,
        type: 'ENDPOINT',
        configuration: { url: `${upstream.base}/echo?tool=${name}`, method: 'POST' },
        functionDefinition: definition(name),
        ...extra,
      },
    });
  echoToolId = (await tool('lookup_order')).id;
  confirmToolId = (await tool('refund_order', { requireConfirmation: true })).id;
  const failing = await tool('broken', { configuration: { url: `${upstream.base}/status/400`, method: 'GET' } });
  const assistant = await prisma.assistant.create({
    data: {
      organizationId: org.id,
      name: 'Receptionist',
      toolsSettings: { end_call: { enabled: true, message: 'Bye' } },
    },
  });
  assistantId = assistant.id;
  for (const toolId of [echoToolId, confirmToolId, failing.id]) {
    await prisma.assistantTool.create({ data: { assistantId, toolId } });
  }
});

afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

describe('testTool', () => {
  it('runs the tool in the test context for a MEMBER', async () => {
    const result = await mutate(
      TEST_TOOL,
      { input: { toolId: echoToolId, parameters: { order_id: 'A-1' } } },
      org.keys.MEMBER,
    );
    expect(result).toMatchObject({
      __typename: 'ToolExecution',
      status: 'SUCCESS',
      triggerContext: 'test',
      tool: { id: echoToolId },
    });
  });

  it('is refused to a VIEWER', async () => {
    const response = await t.gql(
      TEST_TOOL,
      { input: { toolId: echoToolId, parameters: { order_id: 'A-1' } } },
      { apiKey: org.keys.VIEWER },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a tool of another organization is not found', async () => {
    const result = await mutate(
      TEST_TOOL,
      { input: { toolId: echoToolId, parameters: { order_id: 'A-1' } } },
      other.keys.OWNER,
    );
    expect(result).toMatchObject({ __typename: 'NotFoundError', entity: 'Tool' });
  });

  it('parameters must be an object', async () => {
    const result = await mutate(TEST_TOOL, { input: { toolId: echoToolId, parameters: [1, 2] } }, org.keys.MEMBER);
    expect(result).toMatchObject({ __typename: 'ValidationError', issues: [{ field: 'parameters' }] });
  });

  it('invalid parameters are an execution with an LLM-actionable message, not a GraphQL error', async () => {
    const result = await mutate(TEST_TOOL, { input: { toolId: echoToolId, parameters: {} } }, org.keys.MEMBER);
    expect(result).toMatchObject({ __typename: 'ToolExecution', status: 'ERROR', errorCode: 'INVALID_PARAMETERS' });
    expect(result.errorMessage).toContain('order_id');
  });
});

describe('executeTool', () => {
  it('runs an assigned tool for a call with an API key, once per tool call id', async () => {
    const input = {
      assistantId,
      toolName: 'lookup_order',
      parameters: { order_id: 'A-2' },
      context: { callSid: 'CA-gql-1', from: '+15550001111', to: '+15550002222' },
      toolCallId: 'call_1',
    };
    const before = upstream.hits('/echo?tool=lookup_order').length;
    const first = await mutate(EXECUTE_TOOL, { input }, org.keys.MEMBER);
    expect(first).toMatchObject({
      __typename: 'ToolExecution',
      status: 'SUCCESS',
      triggerContext: 'call',
      toolCallId: 'call_1',
      call: { callSid: 'CA-gql-1' },
      assistant: { id: assistantId },
    });
    const again = await mutate(EXECUTE_TOOL, { input }, org.keys.ADMIN);
    expect(again.id).toBe(first.id);
    expect(upstream.hits('/echo?tool=lookup_order')).toHaveLength(before + 1);
  });

  it('a failed run is the execution with status ERROR', async () => {
    const result = await mutate(
      EXECUTE_TOOL,
      { input: { assistantId, toolName: 'broken', parameters: { order_id: 'x' } } },
      org.keys.MEMBER,
    );
    expect(result).toMatchObject({ __typename: 'ToolExecution', status: 'ERROR', errorCode: 'HTTP_ERROR' });
  });

  it('runs built-ins', async () => {
    const result = await mutate(
      EXECUTE_TOOL,
      { input: { assistantId, toolName: 'endCall', context: { triggerContext: 'SMS' } } },
      org.keys.MEMBER,
    );
    expect(result).toMatchObject({
      status: 'SUCCESS',
      triggerContext: 'sms',
      outputResult: { data: { action: 'end_call', message: 'Bye' } },
    });
  });

  it("another organization's assistant is not found", async () => {
    const result = await mutate(
      EXECUTE_TOOL,
      { input: { assistantId, toolName: 'lookup_order', parameters: { order_id: '1' } } },
      other.keys.OWNER,
    );
    expect(result).toMatchObject({ __typename: 'NotFoundError', entity: 'Assistant' });
  });
});

describe('approvals and cancellation', () => {
  const pending = async (): Promise<string> => {
    const result = await mutate(
      EXECUTE_TOOL,
      { input: { assistantId, toolName: 'refund_order', parameters: { order_id: 'R-1' } } },
      org.keys.MEMBER,
    );
    expect(result.status).toBe('PENDING_APPROVAL');
    return String(result.id);
  };

  it('approveExecution needs ADMIN and runs the tool', async () => {
    const id = await pending();
    const forbidden = await t.gql(APPROVE, { id }, { apiKey: org.keys.MEMBER });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await mutate(APPROVE, { id }, other.keys.OWNER)).toMatchObject({ __typename: 'NotFoundError' });
    expect(await mutate(APPROVE, { id }, org.keys.ADMIN)).toMatchObject({
      __typename: 'ToolExecution',
      status: 'SUCCESS',
    });
    expect(await mutate(APPROVE, { id }, org.keys.ADMIN)).toMatchObject({ __typename: 'ConflictError' });
  });

  it('rejectExecution', async () => {
    const id = await pending();
    expect(await mutate(REJECT, { id, reason: 'too large' }, org.keys.ADMIN)).toMatchObject({
      status: 'REJECTED',
      errorCode: 'REJECTED',
    });
  });

  it('cancelExecution cancels a pending execution; a finished one is a conflict', async () => {
    const id = await pending();
    expect(await mutate(CANCEL, { id }, org.keys.MEMBER)).toMatchObject({ status: 'CANCELLED' });
    expect(await mutate(CANCEL, { id }, org.keys.MEMBER)).toMatchObject({ __typename: 'ConflictError' });
    expect(await mutate(CANCEL, { id: 'nope' }, org.keys.MEMBER)).toMatchObject({ __typename: 'NotFoundError' });
  });
});
