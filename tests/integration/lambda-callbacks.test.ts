/**
 * Lambda `Event` invocations as trackable executions: the payload carries the
 * callback URL and token, the execution stays RUNNING until the function POSTs
 * its result to POST /v1/executions/:id/callback (once: a second callback is a
 * 409), its deadline ends it TIMEOUT, its instance stopping does not interrupt
 * it, and its call's hangup cancels it unless the tool continues after hangup.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Actor } from '../../server/actor.ts';
import type { ToolExecution } from '../../server/db/generated/prisma/client.ts';
import type { JsonObject, JsonValue } from '../../server/executors/types.ts';
import { runToolCalls } from '../../server/integrations/tool-call-runner.ts';
import { grantOnSave } from '../../server/secrets/secret-grants.ts';
import { setSecret } from '../../server/secrets/secret-store.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { LAMBDA_FUNCTIONS, LAMBDA_KEY_ID, LAMBDA_REGION, LAMBDA_SECRET_KEY } from '../helpers/engine-harness.ts';
import { outcome, startFakeLambda, type FakeLambda } from '../helpers/fake-lambda.ts';
import { createOrganization, createToolRow, type TestOrganization } from '../helpers/fixtures.ts';
import { until } from '../helpers/live.ts';

let t: TestApp;
let lambda: FakeLambda;
let org: TestOrganization;
let actor: Actor;
const settled: ToolExecution[] = [];
const eagerAnswers: number[] = [];

interface Callback {
  execution_id: string;
  callback_url: string;
  progress_url: string;
  token: string;
}

beforeAll(async () => {
  lambda = await startFakeLambda({
    accessKeyId: LAMBDA_KEY_ID,
    secretAccessKey: LAMBDA_SECRET_KEY,
    region: LAMBDA_REGION,
    // The eager function's callback reaches Switchboard before its invocation's answer does.
    slowEventAnswers: { functions: ['eager'], delayMs: 300 },
    functions: {
      ...LAMBDA_FUNCTIONS,
      worker: () => outcome.value(null),
      // Calls back the moment it runs: before Switchboard has recorded the invocation's answer.
      eager: async (event) => {
        const { switchboard } = event as unknown as { switchboard: Callback };
        const response = await post(switchboard.callback_url, switchboard.token, {
          status: 'success',
          result: 'at once',
        });
        eagerAnswers.push(response.status);
        return outcome.value(null);
      },
    },
  });
  t = await startTestApp(
    { AWS_ENDPOINT_URL_LAMBDA: lambda.url },
    {
      hooks: {
        onCallbackSettled: async (row) => {
          settled.push(row);
        },
      },
    },
  );
  const { prisma, cipher } = t.app.services;
  org = await createOrganization(prisma, 'Callbacks');
  const owner = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.id, role: 'OWNER' } });
  actor = { organizationId: org.id, role: 'OWNER', userId: owner.userId, apiKeyId: null };
  await setSecret({ prisma, cipher }, actor, 'AWS_KEY', LAMBDA_KEY_ID);
  await setSecret({ prisma, cipher }, actor, 'AWS_SECRET', LAMBDA_SECRET_KEY);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await lambda?.close();
});

async function createEventTool(extra: JsonObject = {}): Promise<{ id: string; name: string }> {
  const tool = await createToolRow(t.app.services.prisma, org.id, 'LAMBDA', {
    function_name: 'worker',
    region: LAMBDA_REGION,
    invocation_type: 'Event',
    access_key_field: 'AWS_KEY',
    secret_key_field: 'AWS_SECRET',
    ...extra,
  });
  await grantOnSave(t.app.services.prisma, actor, tool, null);
  return { id: tool.id, name: tool.name };
}

function run(toolId: string, callSid: string | null = null): Promise<ToolExecution> {
  return t.app.services.engine.run({
    organizationId: org.id,
    toolId,
    parameters: {},
    context: { triggerContext: 'call', callSid },
    actor: { userId: null, apiKeyId: null },
  });
}

/** The `switchboard` field of the payload the function received for `executionId`. */
function callbackOf(executionId: string): Callback {
  const call = lambda.calls.find(
    (each) => (each.payload as { switchboard?: Callback } | undefined)?.switchboard?.execution_id === executionId,
  );
  if (!call) throw new Error(`no invocation carried ${executionId}`);
  return (call.payload as unknown as { switchboard: Callback }).switchboard;
}

function post(url: string, token: string, body: JsonValue): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

const stored = (id: string) => t.app.services.prisma.toolExecution.findUniqueOrThrow({ where: { id } });

describe('Lambda Event invocations with a callback', () => {
  test('the payload carries the callback; the callback finishes the execution once; a second one is a 409', async () => {
    const tool = await createEventTool();
    const row = await run(tool.id);
    expect(row.status).toBe('RUNNING');
    expect(row.awaitingCallbackUntil).not.toBeNull();
    expect(row.outputResult).toMatchObject({ success: true, data: { accepted: true } });

    const callback = callbackOf(row.id);
    expect(callback).toEqual({
      execution_id: row.id,
      callback_url: `${t.url}/v1/executions/${row.id}/callback`,
      progress_url: `${t.url}/v1/executions/${row.id}/progress`,
      token: expect.stringMatching(/^sbx_/),
    });
    // The token is a credential: not in the recorded request.
    expect(JSON.stringify(await stored(row.id))).not.toContain(callback.token);

    // The function's token opens its progress URL too.
    expect((await post(callback.progress_url, callback.token, { message: 'Contacting the airline' })).status).toBe(202);
    const answer = await post(callback.callback_url, callback.token, {
      status: 'success',
      result: { success: true, message: 'Booked', data: { reference: 'XK42' } },
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ execution: { id: row.id, status: 'SUCCESS' } });

    const finished = await stored(row.id);
    expect(finished).toMatchObject({
      status: 'SUCCESS',
      awaitingCallbackUntil: null,
      outputResult: { success: true, message: 'Booked', data: { reference: 'XK42' } },
    });
    expect(finished.completedAt).not.toBeNull();
    expect(finished.logs).toEqual(['[progress 1] Contacting the airline', '[callback] success']);
    expect(settled.map((each) => each.id)).toContain(row.id);

    const again = await post(callback.callback_url, callback.token, { status: 'error', error: 'late' });
    expect(again.status).toBe(409);
    expect(await stored(row.id)).toEqual(finished);
    // Finished: progress is refused as well.
    expect((await post(callback.progress_url, callback.token, { message: 'late' })).status).toBe(409);
  });

  test('a function that calls back at once, before its invocation is recorded, still finishes the execution', async () => {
    const tool = await createEventTool({ function_name: 'eager' });
    const row = await run(tool.id);
    await until(() => eagerAnswers.length === 1, 10_000, 'the eager callback');
    expect(eagerAnswers).toEqual([200]);
    expect(await stored(row.id)).toMatchObject({ status: 'SUCCESS', outputResult: { data: 'at once' } });
  });

  test('an error callback ends ERROR with the function message; bad bodies and tokens change nothing', async () => {
    const tool = await createEventTool();
    const row = await run(tool.id);
    const callback = callbackOf(row.id);
    expect((await post(callback.callback_url, callback.token, { status: 'maybe' })).status).toBe(400);
    expect((await post(callback.callback_url, `${callback.token.slice(0, -1)}x`, { status: 'success' })).status).toBe(
      401,
    );
    expect((await stored(row.id)).status).toBe('RUNNING');
    const answer = await post(callback.callback_url, callback.token, { status: 'error', error: 'No seats left' });
    expect(answer.status).toBe(200);
    expect(await stored(row.id)).toMatchObject({
      status: 'ERROR',
      errorCode: 'FUNCTION_ERROR',
      errorMessage: 'No seats left',
      outputResult: { success: false, message: 'No seats left' },
    });
  });

  test('adapters answer an awaiting execution like an accepted async tool', async () => {
    const tool = await createEventTool();
    const assistant = await t.app.services.prisma.assistant.create({ data: { organizationId: org.id, name: 'Agent' } });
    await t.app.services.prisma.assistantTool.create({ data: { assistantId: assistant.id, toolId: tool.id } });
    const [answer] = await runToolCalls(
      { engine: t.app.services.engine },
      {
        organizationId: org.id,
        assistantId: assistant.id,
        actor: { userId: null, apiKeyId: null },
        context: { triggerContext: 'call', callSid: `CA-${randomUUID()}` },
        availableTools: async () => [tool.name],
      },
      [{ toolCallId: 'call_1', name: tool.name, arguments: {} }],
    );
    expect(answer).toMatchObject({
      ok: true,
      status: 'RUNNING',
      error: null,
      result: { success: true, data: { executionId: answer!.executionId, status: 'RUNNING' } },
    });
    expect(JSON.stringify(answer!.result)).toMatch(/result will follow/);
  });

  test('past callback_timeout_seconds the sweep ends it TIMEOUT; a late callback is a 409', async () => {
    const tool = await createEventTool({ callback_timeout_seconds: 1 });
    const row = await run(tool.id);
    const deadline = row.awaitingCallbackUntil!.getTime();
    await until(() => Date.now() > deadline + 50, 5_000, 'the callback deadline');
    await t.app.services.engine.sweep();
    expect(await stored(row.id)).toMatchObject({
      status: 'TIMEOUT',
      errorCode: 'TIMEOUT',
      awaitingCallbackUntil: null,
    });
    expect(settled.some((each) => each.id === row.id && each.status === 'TIMEOUT')).toBe(true);
    const callback = callbackOf(row.id);
    expect((await post(callback.callback_url, callback.token, { status: 'success', result: 1 })).status).toBe(409);
  });

  test('its instance stopping does not interrupt it, while a plain RUNNING row of that instance is', async () => {
    const { prisma } = t.app.services;
    const tool = await createEventTool();
    const row = await run(tool.id);
    const gone = await prisma.instance.create({
      data: { id: randomUUID(), hostname: 'gone', pid: 1, stoppedAt: new Date() },
    });
    await prisma.toolExecution.update({ where: { id: row.id }, data: { instanceId: gone.id } });
    // The positive sentinel: a plain RUNNING row of the stopped instance, which the same sweep must take over.
    const plain = await prisma.toolExecution.create({
      data: {
        organizationId: org.id,
        toolId: tool.id,
        toolName: tool.name,
        toolVersion: 1,
        inputParameters: {},
        status: 'RUNNING',
        triggerContext: 'test',
        instanceId: gone.id,
      },
    });
    await t.app.services.engine.sweep();
    expect(await stored(plain.id)).toMatchObject({ status: 'ERROR', errorCode: 'INTERRUPTED' });
    expect(await stored(row.id)).toMatchObject({ status: 'RUNNING' });
    const callback = callbackOf(row.id);
    expect((await post(callback.callback_url, callback.token, { status: 'success', result: 'done' })).status).toBe(200);
    expect(await stored(row.id)).toMatchObject({ status: 'SUCCESS', outputResult: { data: 'done' } });
  });

  test('hangup cancels it (CALL_ENDED) unless the tool continues after hangup', async () => {
    const callSid = `CA-${randomUUID()}`;
    const ends = await run((await createEventTool()).id, callSid);
    const continues = await run((await createEventTool({ continue_after_hangup: true })).id, callSid);
    expect([ends.status, continues.status]).toEqual(['RUNNING', 'RUNNING']);
    const response = await fetch(`${t.url}/v1/calls/${encodeURIComponent(callSid)}/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${org.keys.MEMBER}` },
      body: JSON.stringify({ reason: 'caller hung up' }),
    });
    expect(response.status).toBe(200);
    expect(await stored(ends.id)).toMatchObject({ status: 'CANCELLED', errorCode: 'CALL_ENDED' });
    expect(settled.some((each) => each.id === ends.id && each.status === 'CANCELLED')).toBe(true);
    expect(await stored(continues.id)).toMatchObject({ status: 'RUNNING' });
    const callback = callbackOf(continues.id);
    expect((await post(callback.callback_url, callback.token, { status: 'success', result: 'ticket' })).status).toBe(
      200,
    );
    expect((await stored(continues.id)).status).toBe('SUCCESS');
    const late = callbackOf(ends.id);
    expect((await post(late.callback_url, late.token, { status: 'success', result: 'x' })).status).toBe(409);
  });
});
