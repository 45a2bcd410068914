/**
 * The assistant's tools as an MCP server (Streamable HTTP, stateless: a fresh
 * server and transport per request, so any instance can answer any request).
 * `tools/list` gives name, description and inputSchema; `tools/call` runs
 * through the engine and answers with `content` and `structuredContent`,
 * `isError` when the tool failed. An unknown tool name is a protocol error,
 * as the MCP specification asks.
 *
 * Async tools (`execution_mode: async`) are offered as tasks (2025-11-25,
 * mcp-tasks.ts): `execution.taskSupport: optional`. A call without `task` runs
 * to its end as before, with progress notifications when the client sent a
 * `progressToken` (the response is then an SSE stream instead of JSON).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  CancelTaskRequestSchema,
  ErrorCode,
  GetTaskPayloadRequestSchema,
  GetTaskRequestSchema,
  ListTasksRequestSchema,
  ListToolsRequestSchema,
  RELATED_TASK_META_KEY,
  type CallToolResult,
  type ProgressToken,
} from '@modelcontextprotocol/sdk/types.js';
import stringify from 'safe-stable-stringify';
import type { Actor } from '../actor.ts';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import { ConflictError } from '../errors.ts';
import type { TriggerContext } from '../executors/types.ts';
import { readRawBody } from '../http/request-body.ts';
import { hasRole } from '../security/roles.ts';
import type { Services } from '../services.ts';
import { ProtocolError } from './mcp-errors.ts';
import { followProgress } from './mcp-progress.ts';
import { mcpAnnotations, mcpOutputSchema, outputMismatch } from './mcp-tool-metadata.ts';
import {
  executionByKey,
  findTask,
  isFinalStatus,
  listTasks,
  newTaskKey,
  startInBackground,
  taskOf,
  taskStatusOf,
  TASK_RESULT_WAIT_MS,
  waitForFinal,
  type TaskScope,
} from './mcp-tasks.ts';
import { assistantToolDefinitions, type ToolDefinition } from './tool-definitions.ts';
import {
  fromExecution,
  runToolCalls,
  type RunnerDeps,
  type ToolCallBatch,
  type ToolCallOutcome,
  type ToolCallRequest,
} from './tool-call-runner.ts';

export interface McpRequestDeps {
  services: Services;
  actor: Actor;
  assistantId: string;
  context: TriggerContext;
  runner: RunnerDeps;
}

const SERVER_INFO = { name: 'switchboard', version: '1.0.0' };

const CAPABILITIES = {
  tools: {},
  tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
};

/** JSON-RPC's implementation-defined server error, as the SDK's own transport uses for a 405. */
const SERVER_ERROR = -32000;

/** Executions of plain calls followed for progress notifications; not tasks, so not listed by tasks/list. */
const PROGRESS_KEY_PREFIX = 'mcp-call:';

function callToolResult(outcome: ToolCallOutcome | undefined, definition?: ToolDefinition): CallToolResult {
  if (!outcome || !outcome.ok) {
    return { content: [{ type: 'text', text: outcome?.error ?? 'The tool failed.' }], isError: true };
  }
  const structured =
    outcome.result !== null && typeof outcome.result === 'object' && !Array.isArray(outcome.result)
      ? outcome.result
      : { success: true, data: outcome.result };
  // The client holds structuredContent to the declared outputSchema: a result that breaks it is the tool's error.
  const mismatch = outputMismatch(definition, structured.data);
  if (mismatch) {
    const text = `The result of "${outcome.name}" does not match its output_schema (${mismatch}).`;
    return { content: [{ type: 'text', text }], isError: true };
  }
  // Keys sorted: a result read back from JSONB (tasks/result) reads exactly like the one a sync call just built.
  return { content: [{ type: 'text', text: stringify(structured) ?? '{}' }], structuredContent: structured };
}

/** For a final row: no acknowledgement is ever needed. */
function outcomeOfRow(row: ToolExecution): Promise<ToolCallOutcome> {
  return fromExecution({}, { toolCallId: null, name: row.toolName, arguments: null }, row);
}

/** Queued or running (not waiting for a person): a plain call waits for it to end. */
function stillRunning(status: string | null): boolean {
  return status !== null && status !== 'PENDING_APPROVAL' && !isFinalStatus(status);
}

function stillRunningResult(name: string, executionId: string): CallToolResult {
  return {
    content: [
      {
        type: 'text',
        text: `"${name}" is still running (execution ${executionId}); call it as a task to follow it to its end.`,
      },
    ],
    isError: true,
  };
}

function requireMember(actor: Actor, doing: string): void {
  if (!hasRole(actor.role, 'MEMBER')) {
    throw new ProtocolError(ErrorCode.InvalidRequest, `${doing} needs the MEMBER role; this API key is ${actor.role}`);
  }
}

function createMcpServer(deps: McpRequestDeps): Server {
  const { services, actor, assistantId, context } = deps;
  const { prisma } = services;
  const store = { prisma, pubsub: services.pubsub };
  const scope: TaskScope = { organizationId: actor.organizationId, assistantId };
  const server = new Server(SERVER_INFO, { capabilities: CAPABILITIES });
  const definitions = () => assistantToolDefinitions(prisma, actor.organizationId, assistantId, context);
  const onError = (error: unknown): void => services.logger.error({ err: error }, 'MCP tool call failed');

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await definitions()).map((definition) => ({
      name: definition.function.name,
      description: definition.function.description,
      inputSchema: { ...definition.function.parameters, type: 'object' as const },
      ...(definition.title && { title: definition.title }),
      annotations: mcpAnnotations(definition),
      outputSchema: mcpOutputSchema(definition),
      ...(definition.executionMode === 'async' && { execution: { taskSupport: 'optional' as const } }),
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args, task } = request.params;
    requireMember(actor, 'running tools');
    const all = await definitions();
    const definition = all.find((candidate) => candidate.function.name === name);
    if (!definition) {
      const available = all.map((candidate) => candidate.function.name);
      throw new ProtocolError(
        ErrorCode.InvalidParams,
        `Unknown tool: ${name.slice(0, 100)}. Available tools: ${available.join(', ') || 'none'}`,
      );
    }
    const batch: ToolCallBatch = {
      organizationId: actor.organizationId,
      assistantId,
      actor: { userId: actor.userId, apiKeyId: actor.apiKeyId },
      context: { triggerContext: context },
      availableTools: async () => all.map((candidate) => candidate.function.name),
    };
    const call = (idempotencyKey: string | null): ToolCallRequest => ({
      toolCallId: null,
      name,
      arguments: args ?? {},
      idempotencyKey,
    });

    if (task) {
      if (definition.executionMode !== 'async') {
        throw new ProtocolError(
          ErrorCode.MethodNotFound,
          `The tool "${name}" does not support tasks (it is not async)`,
        );
      }
      const key = newTaskKey();
      const row = await startInBackground(
        store,
        scope,
        key,
        async () => {
          const [outcome] = await runToolCalls(deps.runner, batch, [call(key)]);
          if (!outcome?.executionId)
            throw new ProtocolError(ErrorCode.InvalidParams, outcome?.error ?? 'The tool failed.');
          const written = await executionByKey(prisma, actor.organizationId, key);
          if (!written) throw new Error(`the execution ${outcome.executionId} of task key ${key} is gone`);
          return written;
        },
        onError,
      );
      return { task: taskOf(row) };
    }

    const progressToken: ProgressToken | undefined = request.params._meta?.progressToken;
    const key = progressToken === undefined ? null : `${PROGRESS_KEY_PREFIX}${newTaskKey()}`;
    const stop =
      key === null || progressToken === undefined
        ? () => {}
        : followProgress(store, scope, key, progressToken, (notification) => extra.sendNotification(notification));
    try {
      let [outcome] = await runToolCalls(deps.runner, batch, [call(key)]);
      if (outcome?.executionId && stillRunning(outcome.status)) {
        const row = await prisma.toolExecution.findUnique({ where: { id: outcome.executionId } });
        const final = row && (await waitForFinal(store, row, Date.now() + TASK_RESULT_WAIT_MS, extra.signal));
        if (final && isFinalStatus(final.status)) outcome = await outcomeOfRow(final);
        else return stillRunningResult(name, outcome.executionId);
      }
      return callToolResult(outcome, definition);
    } finally {
      stop();
    }
  });

  server.setRequestHandler(GetTaskRequestSchema, async (request) =>
    taskOf(await findTask(prisma, scope, request.params.taskId)),
  );

  server.setRequestHandler(GetTaskPayloadRequestSchema, async (request, extra) => {
    const { taskId } = request.params;
    const row = await waitForFinal(
      store,
      await findTask(prisma, scope, taskId),
      Date.now() + TASK_RESULT_WAIT_MS,
      extra.signal,
    );
    if (!isFinalStatus(row.status)) {
      throw new ProtocolError(ErrorCode.RequestTimeout, 'The task is still working; call tasks/result again');
    }
    const definition = (await definitions()).find((candidate) => candidate.function.name === row.toolName);
    const result = callToolResult(await outcomeOfRow(row), definition);
    return { ...result, _meta: { [RELATED_TASK_META_KEY]: { taskId } } };
  });

  server.setRequestHandler(ListTasksRequestSchema, async (request) => listTasks(prisma, scope, request.params?.cursor));

  server.setRequestHandler(CancelTaskRequestSchema, async (request) => {
    requireMember(actor, 'cancelling tasks');
    const row = await findTask(prisma, scope, request.params.taskId);
    const terminal = (status: string) =>
      new ProtocolError(ErrorCode.InvalidParams, `Cannot cancel task: it is already ${taskStatusOf(status)}`);
    if (isFinalStatus(row.status)) throw terminal(row.status);
    try {
      const decider = { organizationId: actor.organizationId, userId: actor.userId, apiKeyId: actor.apiKeyId };
      return taskOf(await services.engine.cancel(decider, row.id));
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Finished while being cancelled.
      throw terminal((await findTask(prisma, scope, row.id)).status);
    }
  });
  return server;
}

/** A tools/call (not a task) that asked for progress: its answer must be a stream to carry the notifications. */
function wantsProgressStream(body: unknown): boolean {
  const messages = Array.isArray(body) ? (body as unknown[]) : [body];
  return messages.some((message) => {
    const parsed = CallToolRequestSchema.safeParse(message);
    return parsed.success && !parsed.data.params.task && parsed.data.params._meta?.progressToken !== undefined;
  });
}

function parseError(res: ServerResponse): void {
  res
    .writeHead(400, { 'content-type': 'application/json' })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code: ErrorCode.ParseError, message: 'Parse error' }, id: null }));
}

export async function handleMcpRequest(req: IncomingMessage, res: ServerResponse, deps: McpRequestDeps): Promise<void> {
  // Stateless (no Mcp-Session-Id): no server-initiated SSE stream on GET and no session to DELETE; the
  // Streamable HTTP transport (revision 2025-11-25) says to answer both with 405.
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' }).end(
      JSON.stringify({
        jsonrpc: '2.0',
        error: {
          code: SERVER_ERROR,
          message: 'Method not allowed: this server is stateless; POST JSON-RPC messages',
        },
        id: null,
      }),
    );
    return;
  }
  let body: unknown;
  if (req.method === 'POST') {
    const raw = await readRawBody(req, deps.services.config.bodyLimitBytes);
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      return parseError(res);
    }
  }
  const server = createMcpServer(deps);
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: !wantsProgressStream(body),
  });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}
