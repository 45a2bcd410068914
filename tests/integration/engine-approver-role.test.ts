import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/actor.ts';
import { createBuiltinExecutor } from '../../server/executions/builtins.ts';
import { createEndpointExecutor } from '../../server/executors/endpoint.ts';
import { createLambdaExecutor } from '../../server/executors/lambda.ts';
import { createSsrfPolicy } from '../../server/security/ssrf.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startEngineHarness, startUpstream, type EngineHarness, type Upstream } from '../helpers/engine-harness.ts';
import { createOrganization, endpointToolInput, type TestOrganization } from '../helpers/fixtures.ts';

/** The configuration keys the engine reads itself; no executor may refuse them. */
const ENGINE_KEYS = {
  approver_role: 'MEMBER',
  approval_timeout_seconds: 30,
  rate_limit: { burst: 5, per_second: 1, per_call: 3 },
};

describe('approver role in the engine', () => {
  let h: EngineHarness;
  const as = (role: Actor['role']): Actor => ({ ...h.actor, role });

  beforeAll(async () => {
    h = await startEngineHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function pendingFor(approverRole?: string): Promise<string> {
    const toolId = await h.createTool({
      requireConfirmation: true,
      configuration: {
        url: `${h.upstream.base}/echo?role=${approverRole ?? 'default'}`,
        method: 'POST',
        ...(approverRole === undefined ? {} : { approver_role: approverRole }),
      },
    });
    const pending = await h.run({ toolId });
    expect(pending.status).toBe('PENDING_APPROVAL');
    return pending.id;
  }

  it('without approver_role only ADMIN and above decide', async () => {
    const id = await pendingFor();
    await expect(h.engine.approve(as('MEMBER'), id)).rejects.toMatchObject({ name: 'AccessError', code: 'FORBIDDEN' });
    await expect(h.engine.reject(as('MEMBER'), id)).rejects.toMatchObject({ name: 'AccessError', code: 'FORBIDDEN' });
    expect(await h.engine.approve(as('ADMIN'), id)).toMatchObject({ status: 'SUCCESS' });
  });

  it('approver_role MEMBER lets a MEMBER approve or reject, never a VIEWER', async () => {
    const approved = await pendingFor('MEMBER');
    await expect(h.engine.approve(as('VIEWER'), approved)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await h.engine.approve(as('MEMBER'), approved)).toMatchObject({ status: 'SUCCESS' });
    const rejected = await pendingFor('MEMBER');
    await expect(h.engine.reject(as('VIEWER'), rejected)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await h.engine.reject(as('MEMBER'), rejected, 'no')).toMatchObject({ status: 'REJECTED' });
  });

  it('approver_role OWNER refuses an ADMIN; a refused decision leaves the execution pending', async () => {
    const id = await pendingFor('OWNER');
    await expect(h.engine.approve(as('ADMIN'), id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const row = await h.db.database.prisma.toolExecution.findUniqueOrThrow({ where: { id } });
    expect(row.status).toBe('PENDING_APPROVAL');
    expect(h.upstream.hits('/echo?role=OWNER')).toHaveLength(0);
    expect(await h.engine.approve(as('OWNER'), id)).toMatchObject({ status: 'SUCCESS' });
  });

  it('an invalid stored approver_role falls back to ADMIN', async () => {
    const id = await pendingFor('VIEWER');
    await expect(h.engine.approve(as('MEMBER'), id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await h.engine.approve(as('ADMIN'), id)).toMatchObject({ status: 'SUCCESS' });
  });
});

describe('engine-level configuration keys', () => {
  it('every executor accepts approver_role, approval_timeout_seconds and rate_limit', async () => {
    const endpoint = createEndpointExecutor({ policy: createSsrfPolicy({ allowedPrivateHosts: [] }) });
    const lambda = createLambdaExecutor({});
    try {
      expect(
        await endpoint.validateConfiguration({ url: 'https://api.example.com/x', method: 'GET', ...ENGINE_KEYS }),
      ).toEqual([]);
      expect(
        await lambda.validateConfiguration({
          function_name: 'orders',
          region: 'us-east-1',
          access_key_field: 'AWS_KEY',
          secret_key_field: 'AWS_SECRET',
          ...ENGINE_KEYS,
        }),
      ).toEqual([]);
      expect(await createBuiltinExecutor().validateConfiguration(ENGINE_KEYS)).toEqual([]);
    } finally {
      lambda.close();
    }
  });
});

describe('approver role over GraphQL', () => {
  let t: TestApp;
  let upstream: Upstream;
  let org: TestOrganization;
  let assistantId: string;

  const EXECUTION = `__typename ... on ToolExecution { id status }`;
  const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) {
    __typename ... on Tool { id configuration } ... on ValidationError { issues { field message } } } }`;
  const EXECUTE = `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { ${EXECUTION} } }`;
  const APPROVE = `mutation ($id: ID!) { approveExecution(input: { id: $id }) { ${EXECUTION} } }`;
  const REJECT = `mutation ($id: ID!) { rejectExecution(input: { id: $id }) { ${EXECUTION} } }`;

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}` });
    org = await createOrganization(t.app.services.prisma, 'Approvers');
    const assistant = await t.app.services.prisma.assistant.create({ data: { organizationId: org.id, name: 'A' } });
    assistantId = assistant.id;
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  async function first(query: string, variables: Record<string, unknown>, apiKey: string) {
    const response = await t.gql<Record<string, Record<string, unknown>>>(query, variables, { apiKey });
    return { errors: response.errors, result: Object.values(response.data ?? {})[0] };
  }

  it('refuses an approver_role outside MEMBER/ADMIN/OWNER at save time', async () => {
    for (const role of ['VIEWER', 'admin', 3]) {
      const { result } = await first(
        CREATE,
        {
          input: endpointToolInput(`bad_role_${String(role)}`, {
            configuration: { url: 'https://api.example.com/x', method: 'GET', approver_role: role },
          }),
        },
        org.keys.ADMIN,
      );
      expect(result).toMatchObject({
        __typename: 'ValidationError',
        issues: [expect.objectContaining({ field: 'configuration.approver_role' })],
      });
    }
  });

  it('a MEMBER key approves and rejects executions of a tool whose approver_role is MEMBER; VIEWER is refused', async () => {
    const { result: tool } = await first(
      CREATE,
      {
        input: endpointToolInput('member_approved', {
          requireConfirmation: true,
          configuration: { url: `${upstream.base}/echo?member=1`, method: 'POST', approver_role: 'MEMBER' },
        }),
      },
      org.keys.ADMIN,
    );
    expect(tool).toMatchObject({
      __typename: 'Tool',
      configuration: expect.objectContaining({ approver_role: 'MEMBER' }),
    });
    await t.app.services.prisma.assistantTool.create({ data: { assistantId, toolId: String(tool!.id) } });
    const pending = async (): Promise<string> => {
      const { result } = await first(
        EXECUTE,
        { input: { assistantId, toolName: 'member_approved', parameters: { order_id: 'M-1' } } },
        org.keys.MEMBER,
      );
      expect(result).toMatchObject({ status: 'PENDING_APPROVAL' });
      return String(result!.id);
    };

    const id = await pending();
    const viewer = await first(APPROVE, { id }, org.keys.VIEWER);
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await first(APPROVE, { id }, org.keys.MEMBER)).result).toMatchObject({ status: 'SUCCESS' });
    expect(upstream.hits('/echo?member=1')).toHaveLength(1);

    const other = await pending();
    expect((await first(REJECT, { id: other }, org.keys.VIEWER)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await first(REJECT, { id: other }, org.keys.MEMBER)).result).toMatchObject({ status: 'REJECTED' });
  });
});
