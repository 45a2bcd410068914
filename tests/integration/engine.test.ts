import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../server/executors/types.ts';
import {
  flush,
  LAMBDA_KEY_ID,
  LAMBDA_REGION,
  LAMBDA_SECRET_KEY,
  startEngineHarness,
  type EngineHarness,
} from '../helpers/engine-harness.ts';

let h: EngineHarness;

beforeAll(async () => {
  h = await startEngineHarness();
  await h.setSecret('AWS_KEY', LAMBDA_KEY_ID);
  await h.setSecret('AWS_SECRET', LAMBDA_SECRET_KEY);
});

afterAll(async () => {
  await h?.close();
});

function output(row: { outputResult: unknown }): JsonObject {
  return row.outputResult as JsonObject;
}

describe('statuses', () => {
  it('SUCCESS: runs the endpoint, records request, output, timings and the tool version', async () => {
    const toolId = await h.createTool();
    const row = await h.run({ toolId, parameters: { order_id: 'A-7', quantity: 2 } });
    expect(row.status).toBe('SUCCESS');
    expect(row.errorCode).toBeNull();
    expect(row.toolVersion).toBe(1);
    expect(row.retryCount).toBe(0);
    expect(row.durationMs).toBeGreaterThanOrEqual(0);
    expect(row.completedAt).toBeInstanceOf(Date);
    expect(output(row).success).toBe(true);
    expect((output(row).data as JsonObject).body).toEqual({ order_id: 'A-7', quantity: 2 });
    const request = row.request as JsonObject;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`${h.upstream.base}/echo`);
    expect((request.headers as Record<string, string>)['Idempotency-Key']).toBe(row.id);
    const stored = await h.db.database.prisma.toolExecution.findUniqueOrThrow({ where: { id: row.id } });
    expect(stored.status).toBe('SUCCESS');
    expect(stored.outputResult).toEqual(row.outputResult);
    expect(stored.request).toEqual(row.request);
  });

  it('ERROR: a 400 is an error execution with the upstream message, not an exception', async () => {
    const toolId = await h.createTool({ configuration: { url: `${h.upstream.base}/status/400`, method: 'GET' } });
    const row = await h.run({ toolId });
    expect(row.status).toBe('ERROR');
    expect(row.errorCode).toBe('HTTP_ERROR');
    expect(row.errorMessage).toContain('HTTP 400');
    expect(output(row)).toMatchObject({ success: false });
  });

  it('TIMEOUT: the deadline aborts the socket', async () => {
    const toolId = await h.createTool({
      configuration: { url: `${h.upstream.base}/slow/5000`, method: 'GET' },
      timeoutSeconds: 1,
    });
    const started = Date.now();
    const row = await h.run({ toolId });
    expect(row.status).toBe('TIMEOUT');
    expect(row.errorCode).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('CANCELLED: cancel aborts a running execution', async () => {
    const toolId = await h.createTool({ configuration: { url: `${h.upstream.base}/slow/5000`, method: 'GET' } });
    const running = h.run({ toolId });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const rows = await h.db.database.prisma.toolExecution.findMany({ where: { toolId, status: 'RUNNING' } });
    expect(rows).toHaveLength(1);
    const cancelled = await h.engine.cancel(h.actor, rows[0]!.id);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.errorCode).toBe('CANCELLED');
    expect((await running).status).toBe('CANCELLED');
    await expect(h.engine.cancel(h.actor, rows[0]!.id)).rejects.toMatchObject({ name: 'ConflictError' });
  });
});

describe('refusals are recorded as executions', () => {
  it('INVALID_PARAMETERS lists every problem so the LLM can fix its call', async () => {
    const toolId = await h.createTool();
    const before = h.upstream.requests.length;
    const row = await h.run({ toolId, parameters: { quantity: 'two' } });
    expect(row.status).toBe('ERROR');
    expect(row.errorCode).toBe('INVALID_PARAMETERS');
    expect(row.errorMessage).toContain('missing required parameter "order_id"');
    expect(row.errorMessage).toContain('"quantity" must be of type integer');
    expect(h.upstream.requests.length).toBe(before);
  });

  it('TOOL_INACTIVE, ASSIGNMENT_DISABLED and CONTEXT_NOT_ALLOWED', async () => {
    const inactive = await h.createTool({ isActive: false });
    expect((await h.run({ toolId: inactive })).errorCode).toBe('TOOL_INACTIVE');

    const smsOnly = await h.createTool({ allowedContexts: ['sms'] });
    const refused = await h.run({ toolId: smsOnly });
    expect(refused).toMatchObject({ status: 'ERROR', errorCode: 'CONTEXT_NOT_ALLOWED' });
    expect((await h.run({ toolId: smsOnly, context: { triggerContext: 'sms' } })).status).toBe('SUCCESS');

    const assistantId = await h.createAssistant();
    const toolId = await h.createTool({ name: 'disabled_tool' });
    await h.assign(assistantId, toolId, { enabled: false });
    const disabled = await h.run({ assistantId, toolName: 'disabled_tool' });
    expect(disabled).toMatchObject({ status: 'ERROR', errorCode: 'ASSIGNMENT_DISABLED', assistantId, toolId });
  });

  it('ids from another organization are not found', async () => {
    const other = await h.db.database.prisma.organization.create({
      data: { name: 'Other', slug: `other-${Date.now()}` },
    });
    const toolId = await h.createTool();
    await expect(h.run({ organizationId: other.id, toolId })).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(h.run({ toolId: 'not-a-uuid' })).rejects.toMatchObject({ name: 'NotFoundError' });
    const row = await h.run({ toolId });
    await expect(
      h.engine.cancel({ organizationId: other.id, userId: null, apiKeyId: null }, row.id),
    ).rejects.toMatchObject({
      name: 'NotFoundError',
    });
  });
});

describe('assistants, calls and configuration', () => {
  it("deep-merges the assignment's custom configuration over the tool's, visibly upstream", async () => {
    const assistantId = await h.createAssistant();
    const toolId = await h.createTool({
      name: 'merge_tool',
      configuration: {
        url: `${h.upstream.base}/echo`,
        method: 'POST',
        headers: { 'X-Tenant': 'base', 'X-Keep': 'kept' },
        body_template: { order: '${parameters.order_id}', options: { lang: 'en', voice: 'a' } },
      },
    });
    await h.assign(assistantId, toolId, {
      customConfiguration: { headers: { 'X-Tenant': 'acme' }, body_template: { options: { lang: 'de' } } },
    });
    const row = await h.run({ assistantId, toolName: 'merge_tool', parameters: { order_id: 'B-2' } });
    expect(row.status).toBe('SUCCESS');
    const sent = h.upstream.requests.at(-1)!;
    expect(sent.headers['x-tenant']).toBe('acme');
    expect(sent.headers['x-keep']).toBe('kept');
    expect(JSON.parse(sent.body)).toEqual({ order: 'B-2', options: { lang: 'de', voice: 'a' } });
  });

  it('creates one Call per call sid and links every execution to it', async () => {
    const assistantId = await h.createAssistant();
    const toolId = await h.createTool({ name: 'call_tool' });
    await h.assign(assistantId, toolId);
    const context = { triggerContext: 'call' as const, callSid: 'CA-link-1', from: '+15550001111', to: '+15550002222' };
    const first = await h.run({ assistantId, toolName: 'call_tool', context });
    const second = await h.run({ assistantId, toolName: 'call_tool', context });
    expect(first.callId).not.toBeNull();
    expect(second.callId).toBe(first.callId);
    const call = await h.db.database.prisma.call.findUniqueOrThrow({ where: { id: first.callId! } });
    expect(call).toMatchObject({
      callSid: 'CA-link-1',
      assistantId,
      fromNumber: '+15550001111',
      toNumber: '+15550002222',
    });
    expect(first.context).toEqual({ call_sid: 'CA-link-1', from: '+15550001111', to: '+15550002222' });
  });

  it('increments execution_count and last_executed_at without touching updated_at', async () => {
    const toolId = await h.createTool();
    const before = await h.db.database.prisma.tool.findUniqueOrThrow({ where: { id: toolId } });
    await Promise.all([h.run({ toolId }), h.run({ toolId }), h.run({ toolId })]);
    await h.run({ toolId, parameters: {} }); // refused: not counted as a run
    const after = await h.db.database.prisma.tool.findUniqueOrThrow({ where: { id: toolId } });
    expect(after.executionCount).toBe(before.executionCount + 3);
    expect(after.lastExecutedAt).not.toBeNull();
    expect(after.updatedAt.getTime()).toBe(before.updatedAt.getTime());
  });

  it('counts every one of many concurrent runs of one tool (increments are batched, never lost)', async () => {
    const toolId = await h.createTool();
    const runs = await Promise.all(Array.from({ length: 40 }, () => h.run({ toolId })));
    expect(runs.every((row) => row.status === 'SUCCESS')).toBe(true);
    const after = await h.db.database.prisma.tool.findUniqueOrThrow({ where: { id: toolId } });
    expect(after.executionCount).toBe(40);
    const firstStart = Math.min(...runs.map((row) => row.startedAt.getTime()));
    expect(after.lastExecutedAt!.getTime()).toBeGreaterThanOrEqual(firstStart);
  });
});

describe('idempotency', () => {
  it('the same (call, tool call id) executes once, sequentially', async () => {
    const toolId = await h.createTool({ configuration: { url: `${h.upstream.base}/echo?idem=seq`, method: 'POST' } });
    const context = { triggerContext: 'call' as const, callSid: 'CA-idem-1', toolCallId: 'tc_1' };
    const first = await h.run({ toolId, context });
    const second = await h.run({ toolId, context });
    expect(second.id).toBe(first.id);
    expect(second.status).toBe('SUCCESS');
    expect(h.upstream.hits('/echo?idem=seq')).toHaveLength(1);
    const other = await h.run({ toolId, context: { ...context, callSid: 'CA-idem-2' } });
    expect(other.id).not.toBe(first.id);
  });

  it('concurrent duplicates resolve to one row and one upstream request', async () => {
    const toolId = await h.createTool({
      configuration: { url: `${h.upstream.base}/slow/150?idem=conc`, method: 'GET' },
    });
    const context = { triggerContext: 'call' as const, callSid: 'CA-idem-3', toolCallId: 'tc_2' };
    const rows = await Promise.all(Array.from({ length: 8 }, () => h.run({ toolId, context })));
    expect(new Set(rows.map((row) => row.id)).size).toBe(1);
    expect(rows.every((row) => row.status === 'SUCCESS')).toBe(true);
    expect(h.upstream.hits('/slow/150?idem=conc')).toHaveLength(1);
    expect(await h.db.database.prisma.toolExecution.count({ where: { toolId } })).toBe(1);
  });

  it('an explicit idempotency key works without a call', async () => {
    const toolId = await h.createTool({ configuration: { url: `${h.upstream.base}/echo?idem=key`, method: 'GET' } });
    const first = await h.run({ toolId, idempotencyKey: 'order-123' });
    const again = await h.run({ toolId, idempotencyKey: 'order-123' });
    expect(again.id).toBe(first.id);
    expect(h.upstream.hits('/echo?idem=key')).toHaveLength(1);
  });
});

describe('secret redaction', () => {
  it('scrubs secrets from request headers, url, body, output, error and logs while upstream got the real value', async () => {
    const secret = 'sk-live-ENGINE-0123456789';
    await h.setSecret('ENGINE_KEY', secret);
    const toolId = await h.createTool({
      configuration: {
        url: `${h.upstream.base}/leak?value=\${secrets.ENGINE_KEY}`,
        method: 'POST',
        headers: { 'X-Api-Key': 'key ${secrets.ENGINE_KEY}' },
        body_template: { token: '${secrets.ENGINE_KEY}', order: '${parameters.order_id}' },
      },
    });
    const row = await h.run({ toolId });
    expect(row.status).toBe('SUCCESS');
    const sent = h.upstream.hits('/leak').at(-1)!;
    expect(sent.headers['x-api-key']).toBe(`key ${secret}`);
    expect(JSON.parse(sent.body).token).toBe(secret);

    const failing = await h.createTool({
      configuration: { url: `${h.upstream.base}/leak?fail=1&value=\${secrets.ENGINE_KEY}`, method: 'GET' },
    });
    const failed = await h.run({ toolId: failing });
    expect(failed.status).toBe('ERROR');
    expect(failed.errorMessage).toContain('[REDACTED]');

    for (const each of [row, failed]) {
      const stored = await h.db.database.prisma.toolExecution.findUniqueOrThrow({ where: { id: each.id } });
      const everything = JSON.stringify([stored.request, stored.outputResult, stored.errorMessage, stored.logs, each]);
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(encodeURIComponent(secret));
    }
    expect(JSON.stringify(row.request)).toContain('[REDACTED]');
    expect(JSON.stringify(row.outputResult)).toContain('[REDACTED]');
  });

  it('scrubs secrets from Lambda logs and payloads', async () => {
    const secret = 'lambda-tail-secret-42';
    await h.setSecret('TAIL_SECRET', secret);
    const toolId = await h.createTool({
      type: 'LAMBDA',
      configuration: {
        function_name: 'echo',
        region: LAMBDA_REGION,
        access_key_field: 'AWS_KEY',
        secret_key_field: 'AWS_SECRET',
        payload_template: { token: '${secrets.TAIL_SECRET}', order: '${parameters.order_id}' },
      },
    });
    const row = await h.run({ toolId });
    expect(row.status).toBe('SUCCESS');
    expect(h.lambda.calls.at(-1)!.rawPayload).toContain(secret);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(JSON.stringify(row)).not.toContain(LAMBDA_SECRET_KEY);
  });
});

describe('Lambda through the engine', () => {
  const lambdaConfig = (extra: JsonObject): JsonObject => ({
    function_name: 'echo',
    region: LAMBDA_REGION,
    access_key_field: 'AWS_KEY',
    secret_key_field: 'AWS_SECRET',
    ...extra,
  });

  it('a function error is an ERROR execution, even with HTTP 200', async () => {
    const toolId = await h.createTool({
      type: 'LAMBDA',
      configuration: lambdaConfig({ function_name: 'failing' }),
      retryAttempts: 3,
    });
    const before = h.lambda.calls.length;
    const row = await h.run({ toolId });
    expect(row).toMatchObject({ status: 'ERROR', errorCode: 'FUNCTION_ERROR', retryCount: 0 });
    expect(row.errorMessage).toContain('does not exist');
    expect(h.lambda.calls.length - before).toBe(1);
  });

  it('throttling is retried up to retry_attempts', async () => {
    const toolId = await h.createTool({
      type: 'LAMBDA',
      configuration: lambdaConfig({ function_name: 'throttled' }),
      retryAttempts: 2,
    });
    const before = h.lambda.calls.length;
    const row = await h.run({ toolId });
    expect(row).toMatchObject({ status: 'ERROR', errorCode: 'LAMBDA_THROTTLED', retryCount: 2 });
    expect(h.lambda.calls.length - before).toBe(3);
  });

  it('an Event invocation is accepted as SUCCESS', async () => {
    const toolId = await h.createTool({ type: 'LAMBDA', configuration: lambdaConfig({ invocation_type: 'Event' }) });
    const row = await h.run({ toolId });
    expect(row.status).toBe('SUCCESS');
    expect(output(row).data).toEqual({ accepted: true });
  });

  it('Tail logs are captured in the execution', async () => {
    const toolId = await h.createTool({
      type: 'LAMBDA',
      configuration: lambdaConfig({ function_name: 'logger', log_type: 'Tail' }),
    });
    const row = await h.run({ toolId });
    expect(row.status).toBe('SUCCESS');
    expect(JSON.stringify(row.logs)).toContain('found it');
  });
});

describe('events and recovery', () => {
  it('publishes created, running, finished in order for one execution', async () => {
    const toolId = await h.createTool();
    const row = await h.run({ toolId });
    await flush();
    const mine = h.events.filter((event) => event.executionId === row.id);
    expect(mine.map((event) => event.kind)).toEqual(['created', 'running', 'finished']);
    expect(mine.at(-1)).toMatchObject({ status: 'SUCCESS', toolId, organizationId: h.org.id });
  });

  it('publishes retrying between attempts', async () => {
    h.upstream.script('events', [503]);
    const toolId = await h.createTool({
      configuration: { url: `${h.upstream.base}/script/events`, method: 'GET' },
      retryAttempts: 1,
    });
    const row = await h.run({ toolId });
    await flush();
    expect(h.events.filter((event) => event.executionId === row.id).map((event) => event.kind)).toEqual([
      'created',
      'running',
      'retrying',
      'finished',
    ]);
  });

  it('marks RUNNING rows a crashed process left behind as ERROR / INTERRUPTED on start-up', async () => {
    const toolId = await h.createTool();
    const orphan = await h.db.database.prisma.toolExecution.create({
      data: {
        organizationId: h.org.id,
        toolId,
        toolName: 'orphan',
        toolVersion: 1,
        inputParameters: {},
        status: 'RUNNING',
        triggerContext: 'call',
        startedAt: new Date(Date.now() - 5_000),
      },
    });
    const restarted = h.restart({ exclusive: true });
    expect(await restarted.recoverInterrupted()).toBeGreaterThanOrEqual(1);
    const row = await h.db.database.prisma.toolExecution.findUniqueOrThrow({ where: { id: orphan.id } });
    expect(row).toMatchObject({ status: 'ERROR', errorCode: 'INTERRUPTED' });
    expect(row.completedAt).not.toBeNull();
    expect(row.durationMs).toBeGreaterThanOrEqual(4_000);
  });

  it('a shared (non-exclusive) start-up only takes rows well past their deadline', async () => {
    const toolId = await h.createTool({ timeoutSeconds: 5 });
    const make = (ageMs: number) =>
      h.db.database.prisma.toolExecution.create({
        data: {
          organizationId: h.org.id,
          toolId,
          toolName: 'shared',
          toolVersion: 1,
          inputParameters: {},
          status: 'RUNNING',
          triggerContext: 'call',
          startedAt: new Date(Date.now() - ageMs),
        },
      });
    const fresh = await make(1_000);
    const stale = await make(10 * 60_000);
    await h.restart({ exclusive: false, staleGraceMs: 1_000 }).recoverInterrupted();
    const rows = await h.db.database.prisma.toolExecution.findMany({ where: { id: { in: [fresh.id, stale.id] } } });
    expect(rows.find((row) => row.id === fresh.id)?.status).toBe('RUNNING');
    expect(rows.find((row) => row.id === stale.id)?.errorCode).toBe('INTERRUPTED');
    await h.db.database.prisma.toolExecution.update({ where: { id: fresh.id }, data: { status: 'ERROR' } });
  });
});

describe('built-ins', () => {
  const settings = {
    enabled_tools: ['endCall'],
    end_call: { enabled: true, scenarios: ['caller says goodbye'], message: 'Bye from Acme!' },
    transfer_call: {
      enabled: true,
      message: 'Connecting you now.',
      transfer_numbers: [
        { name: 'Sales', number: '+15551230001', description: 'new orders' },
        { name: 'Support', number: '+1 (555) 123-0002', description: 'problems' },
      ],
    },
  };

  it('endCall tells the runtime to hang up with the configured message', async () => {
    const assistantId = await h.createAssistant(settings);
    const row = await h.run({ assistantId, toolName: 'endCall', parameters: { reason: 'done' } });
    expect(row).toMatchObject({ status: 'SUCCESS', toolId: null, toolName: 'endCall', toolVersion: 1 });
    expect(output(row).data).toEqual({ action: 'end_call', message: 'Bye from Acme!', reason: 'done' });
  });

  it('transferCall transfers to a configured number by name or number, and refuses others', async () => {
    const assistantId = await h.createAssistant(settings);
    const byName = await h.run({ assistantId, toolName: 'transferCall', parameters: { destination: 'support' } });
    expect(output(byName).data).toMatchObject({
      action: 'transfer_call',
      number: '+1 (555) 123-0002',
      message: 'Connecting you now.',
    });
    const byNumber = await h.run({ assistantId, toolName: 'transferCall', parameters: { number: '+15551230001' } });
    expect(output(byNumber).data).toMatchObject({ action: 'transfer_call', number: '+15551230001', name: 'Sales' });
    const refused = await h.run({ assistantId, toolName: 'transferCall', parameters: { number: '+19005550000' } });
    expect(refused).toMatchObject({ status: 'ERROR', errorCode: 'INVALID_PARAMETERS' });
    expect(refused.errorMessage).toContain('Sales (+15551230001)');
  });

  it('a built-in the assistant has not enabled is refused', async () => {
    const assistantId = await h.createAssistant({ end_call: { enabled: false } });
    const row = await h.run({ assistantId, toolName: 'endCall', parameters: {} });
    expect(row).toMatchObject({ status: 'ERROR', errorCode: 'ASSIGNMENT_DISABLED' });
    await expect(h.run({ assistantId, toolName: 'no_such_tool' })).rejects.toMatchObject({ name: 'NotFoundError' });
  });
});
