import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/actor.ts';
import type { JsonObject } from '../../server/executors/types.ts';
import { grantOnSave } from '../../server/secrets/secret-grants.ts';
import { setSecret } from '../../server/secrets/secret-store.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  LAMBDA_FUNCTIONS,
  LAMBDA_KEY_ID,
  LAMBDA_REGION,
  LAMBDA_SECRET_KEY,
  startUpstream,
  type Upstream,
} from '../helpers/engine-harness.ts';
import { startFakeLambda, type FakeLambda } from '../helpers/fake-lambda.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { callId, serverSecret } from '../helpers/integrations.ts';
import { attribute, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.ts';

/** The caller's span: a trace the GraphQL operation must continue. */
const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const CALLER_TRACEPARENT = `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01`;
const CALLER_TRACESTATE = 'vendor=opaque-value';
const VOICE_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const VOICE_TRACEPARENT = `00-${VOICE_TRACE_ID}-b7ad6b7169203331-01`;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

const EXECUTE_TOOL = `mutation ExecuteTool($input: ExecuteToolInput!) {
  executeTool(input: $input) {
    __typename
    ... on ToolExecution { id status errorCode retryCount request tool { id } call { id } assistant { id } }
    ... on Error { message }
  }
}`;

interface Execution {
  __typename: string;
  id: string;
  status: string;
  errorCode: string | null;
  retryCount: number;
  request: JsonObject | null;
  tool: { id: string };
  call: { id: string } | null;
  assistant: { id: string } | null;
}

const leftovers: Array<() => Promise<unknown>> = [];
let upstream: Upstream;
let lambda: FakeLambda;

interface Setup {
  t: TestApp;
  org: TestOrganization;
  assistantId: string;
}

/** An app with an endpoint tool (`lookup_order`), a Lambda tool (`lambda_order`) and a failing one (`broken`). */
async function setUp(env: Record<string, string>): Promise<Setup> {
  const t = await startTestApp({
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}`,
    AWS_ENDPOINT_URL_LAMBDA: lambda.url,
    ...env,
  });
  leftovers.push(() => t.close());
  const { prisma, cipher } = t.app.services;
  const org = await createOrganization(prisma, 'Traced');
  const actor: Actor = { organizationId: org.id, role: 'OWNER', userId: org.users.OWNER.id, apiKeyId: null };
  await setSecret({ prisma, cipher }, actor, 'AWS_KEY', LAMBDA_KEY_ID);
  await setSecret({ prisma, cipher }, actor, 'AWS_SECRET', LAMBDA_SECRET_KEY);
  const assistant = await prisma.assistant.create({ data: { organizationId: org.id, name: 'Receptionist' } });
  const tools: Array<[string, 'ENDPOINT' | 'LAMBDA', JsonObject]> = [
    [
      'lookup_order',
      'ENDPOINT',
      // A template's own traceparent is replaced by the execution's.
      {
        url: `${upstream.base}/echo`,
        method: 'POST',
        headers: { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` },
      },
    ],
    [
      'lambda_order',
      'LAMBDA',
      { function_name: 'echo', region: LAMBDA_REGION, access_key_field: 'AWS_KEY', secret_key_field: 'AWS_SECRET' },
    ],
    ['broken', 'ENDPOINT', { url: `${upstream.base}/status/400`, method: 'GET' }],
  ];
  for (const [name, type, configuration] of tools) {
    const tool = await prisma.tool.create({
      data: {
        organizationId: org.id,
        name,
        displayName: name,
        type,
        configuration,
        functionDefinition: { name, parameters: { type: 'object', properties: { order_id: { type: 'string' } } } },
      },
    });
    await grantOnSave(prisma, actor, tool, null);
    await prisma.assistantTool.create({ data: { assistantId: assistant.id, toolId: tool.id } });
  }
  return { t, org, assistantId: assistant.id };
}

async function execute(
  setup: Setup,
  toolName: string,
  headers: Record<string, string> = {},
  toolCallId = `tc-${toolName}-${Math.random().toString(16).slice(2)}`,
): Promise<Execution> {
  const response = await fetch(`${setup.t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${setup.org.keys.MEMBER}`, ...headers },
    body: JSON.stringify({
      query: EXECUTE_TOOL,
      variables: {
        input: {
          assistantId: setup.assistantId,
          toolName,
          toolCallId,
          parameters: { order_id: 'A-1' },
          context: { callSid: `CA-${toolCallId}` },
        },
      },
    }),
  });
  const body = (await response.json()) as { data?: { executeTool: Execution }; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data!.executeTool;
}

/** A Vapi `tool-calls` message for `lookup_order`, as Vapi sends it; resolves with the execution's id. */
async function vapiToolCall(setup: Setup, headers: Record<string, string>): Promise<string> {
  const secret = await serverSecret(setup.t, setup.org, setup.assistantId);
  const id = callId('vapi');
  const toolCall = { id, type: 'function', function: { name: 'lookup_order', arguments: { order_id: 'V-1' } } };
  const response = await fetch(`${setup.t.url}/v1/vapi/${setup.assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vapi-secret': secret, ...headers },
    body: JSON.stringify({
      message: { type: 'tool-calls', toolCallList: [toolCall], call: { id: `vapi-${id}`, type: 'inboundPhoneCall' } },
    }),
  });
  expect(response.status).toBe(200);
  const row = await setup.t.app.services.prisma.toolExecution.findFirstOrThrow({ where: { toolCallId: id } });
  return row.id;
}

/** An operation refused at execution (no credentials); resolves with its error code. */
async function anonymousAuditLog(setup: Setup): Promise<unknown> {
  const response = await fetch(`${setup.t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query AuditLog { auditLog(first: 1) { edges { cursor } } }' }),
  });
  const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: unknown } }> };
  return body.errors?.[0]?.extensions?.code;
}

function traceparentOf(value: unknown): { traceId: string; spanId: string } {
  const match = TRACEPARENT.exec(String(value));
  expect(match, `a W3C traceparent, got ${String(value)}`).not.toBeNull();
  return { traceId: match![1]!, spanId: match![2]! };
}

beforeAll(async () => {
  upstream = await startUpstream();
  leftovers.push(() => upstream.close());
  lambda = await startFakeLambda({
    accessKeyId: LAMBDA_KEY_ID,
    secretAccessKey: LAMBDA_SECRET_KEY,
    region: LAMBDA_REGION,
    functions: LAMBDA_FUNCTIONS,
  });
  leftovers.push(() => lambda.close());
});

afterAll(async () => {
  for (const dispose of leftovers.reverse()) await dispose();
});

describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp({});
  });

  it('starts no SDK: spans do not record', () => {
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
  });

  it('sends no traceparent to endpoint tools or Lambda functions, even when the request carried one', async () => {
    const endpointRun = await execute(setup, 'lookup_order', { traceparent: CALLER_TRACEPARENT });
    expect(endpointRun.status).toBe('SUCCESS');
    // The template's own header goes as configured: nothing of the platform's replaces it.
    expect(upstream.hits('/echo').at(-1)!.headers.traceparent).toBe(`00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`);

    const lambdaRun = await execute(setup, 'lambda_order', { traceparent: CALLER_TRACEPARENT });
    expect(lambdaRun.status).toBe('SUCCESS');
    const context = (lambda.calls.at(-1)!.payload as { context: JsonObject }).context;
    expect(context).not.toHaveProperty('traceparent');
  });
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let receiver: OtlpReceiver;
  let setup: Setup;
  let endpointRun: Execution;
  let lambdaRun: Execution;
  let failedRun: Execution;
  let endpointHeaders: IncomingHttpHeaders;
  let lambdaContext: JsonObject;
  let voiceExecutionId: string;
  let refusedCode: unknown;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    leftovers.push(() => receiver.close());
    setup = await setUp({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'switchboard-test' });

    endpointRun = await execute(setup, 'lookup_order', {
      traceparent: CALLER_TRACEPARENT,
      tracestate: CALLER_TRACESTATE,
    });
    endpointHeaders = upstream.hits('/echo').at(-1)!.headers;
    lambdaRun = await execute(setup, 'lambda_order');
    lambdaContext = (lambda.calls.at(-1)!.payload as { context: JsonObject }).context;
    failedRun = await execute(setup, 'broken');
    refusedCode = await anonymousAuditLog(setup);
    voiceExecutionId = await vapiToolCall(setup, { traceparent: VOICE_TRACEPARENT });
    // Stopping flushes the exporter: every span ends up at the receiver without waiting for the batch timer.
    await setup.t.app.stop();
  });

  const spansNamed = (name: string): ReceivedSpan[] => receiver.spans.filter((span) => span.name === name);
  const executionSpan = (executionId: string): ReceivedSpan => {
    const found = receiver.spans.find((span) => attribute(span, 'switchboard.execution.id') === executionId);
    expect(found, `a span for execution ${executionId}`).toBeDefined();
    return found!;
  };

  it('exports over OTLP/HTTP JSON with the configured service name', () => {
    expect(receiver.refused).toEqual([]);
    expect(receiver.spans.length).toBeGreaterThan(0);
    expect(new Set(receiver.spans.map((span) => span.serviceName))).toEqual(new Set(['switchboard-test']));
  });

  it('gives each GraphQL operation a span with its name, type and organization', () => {
    const operations = spansNamed('mutation ExecuteTool');
    expect(operations).toHaveLength(3);
    for (const span of operations) {
      expect(attribute(span, 'graphql.operation.name')).toBe('ExecuteTool');
      expect(attribute(span, 'graphql.operation.type')).toBe('mutation');
      expect(attribute(span, 'switchboard.organization.id')).toBe(setup.org.id);
    }
  });

  it('marks an operation that failed with its error code, and no organization for an anonymous caller', () => {
    expect(refusedCode).toEqual(expect.any(String));
    const [span] = spansNamed('query AuditLog');
    expect(span?.status).toMatchObject({ code: 2, message: refusedCode });
    expect(attribute(span!, 'switchboard.organization.id')).toBeUndefined();
  });

  it('continues the caller’s trace from an incoming traceparent', () => {
    const span = executionSpan(endpointRun.id);
    const operation = receiver.spans.find((each) => each.spanId === span.parentSpanId)!;
    expect(operation.name).toBe('mutation ExecuteTool');
    expect(operation.traceId).toBe(CALLER_TRACE_ID);
    expect(operation.parentSpanId).toBe(CALLER_SPAN_ID);
  });

  it('gives each execution a span with its attributes, child of the operation’s span', () => {
    expect(endpointRun.status).toBe('SUCCESS');
    const span = executionSpan(endpointRun.id);
    expect(span.name).toBe('execute endpoint tool');
    const operation = receiver.spans.find((each) => each.spanId === span.parentSpanId);
    expect(operation?.name).toBe('mutation ExecuteTool');
    expect(span.traceId).toBe(operation!.traceId);
    expect({
      organization: attribute(span, 'switchboard.organization.id'),
      assistant: attribute(span, 'switchboard.assistant.id'),
      tool: attribute(span, 'switchboard.tool.id'),
      name: attribute(span, 'switchboard.tool.name'),
      type: attribute(span, 'switchboard.tool.type'),
      version: attribute(span, 'switchboard.tool.version'),
      call: attribute(span, 'switchboard.call.id'),
      toolCall: typeof attribute(span, 'switchboard.tool_call.id'),
      attempt: attribute(span, 'switchboard.execution.attempt'),
      status: attribute(span, 'switchboard.execution.status'),
    }).toEqual({
      organization: setup.org.id,
      assistant: setup.assistantId,
      tool: endpointRun.tool.id,
      name: 'lookup_order',
      type: 'ENDPOINT',
      version: 1,
      call: endpointRun.call!.id,
      toolCall: 'string',
      attempt: 1,
      status: 'SUCCESS',
    });
    expect(span.status?.code ?? 0).not.toBe(2);
  });

  it('marks a failed execution’s span as an error', () => {
    expect(failedRun).toMatchObject({ status: 'ERROR', errorCode: 'HTTP_ERROR' });
    const span = executionSpan(failedRun.id);
    expect(span.status?.code).toBe(2);
    expect(attribute(span, 'switchboard.execution.status')).toBe('ERROR');
    expect(attribute(span, 'switchboard.execution.error_code')).toBe('HTTP_ERROR');
  });

  it('sends the execution span’s traceparent to an endpoint tool, not into the recorded request', () => {
    const sent = traceparentOf(endpointHeaders.traceparent);
    expect(endpointHeaders.tracestate).toBe(CALLER_TRACESTATE);
    const span = executionSpan(endpointRun.id);
    expect(sent).toEqual({ traceId: span.traceId, spanId: span.spanId });
    expect(JSON.stringify(endpointRun.request)).not.toContain(span.traceId);
  });

  it('puts the execution span’s traceparent into the Lambda payload’s context', () => {
    expect(lambdaRun.status).toBe('SUCCESS');
    const span = executionSpan(lambdaRun.id);
    expect(span.name).toBe('execute lambda tool');
    expect(traceparentOf(lambdaContext.traceparent)).toEqual({ traceId: span.traceId, spanId: span.spanId });
    expect(lambdaContext.execution_id).toBe(lambdaRun.id);
    expect(JSON.stringify(lambdaRun.request)).not.toContain('traceparent');
  });

  it('continues the caller’s trace on the voice routes', () => {
    const span = executionSpan(voiceExecutionId);
    expect(span.traceId).toBe(VOICE_TRACE_ID);
    const route = receiver.spans.find((each) => each.spanId === span.parentSpanId);
    expect(route?.name).toBe('POST /v1/vapi');
    expect(route?.parentSpanId).toBe('b7ad6b7169203331');
    expect(traceparentOf(upstream.hits('/echo').at(-1)!.headers.traceparent).traceId).toBe(VOICE_TRACE_ID);
  });
});

describe('a collector that never answers', () => {
  it('holds shutdown only for the bounded flush', async () => {
    const requests: string[] = [];
    const silent = createServer((req) => requests.push(req.url ?? ''));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    leftovers.push(async () => {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as AddressInfo;
    const setup = await setUp({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/custom/traces` });
    expect((await execute(setup, 'lookup_order')).status).toBe('SUCCESS');

    const started = Date.now();
    await setup.t.app.stop();
    // The flush was attempted (at the configured URL, as it is) and given up on after SHUTDOWN_FLUSH_MS (3 s),
    // well before the export request's own 10 s timeout.
    expect(requests).toContain('/custom/traces');
    expect(Date.now() - started).toBeLessThan(7_000);
  });
});
