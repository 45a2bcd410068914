/**
 * The assistant's tools as an MCP server (Streamable HTTP, stateless: a fresh
 * server and transport per request, so any instance can answer any request).
 * `tools/list` gives name, description and inputSchema; `tools/call` runs
 * through the engine and answers with `content` and `structuredContent`,
 * `isError` when the tool failed. An unknown tool name is a protocol error,
 * as the MCP specification asks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { Actor } from '../actor.ts';
import type { TriggerContext } from '../executors/types.ts';
import { hasRole } from '../security/roles.ts';
import type { Services } from '../services.ts';
import { assistantToolDefinitions } from './tool-definitions.ts';
import { runToolCalls, type RunnerDeps } from './tool-call-runner.ts';

export interface McpRequestDeps {
  services: Services;
  actor: Actor;
  assistantId: string;
  context: TriggerContext;
  runner: RunnerDeps;
}

const SERVER_INFO = { name: 'switchboard', version: '1.0.0' };

/** Every tool result has this shape; declaring it lets clients check `structuredContent`. */
const OUTPUT_SCHEMA = {
  type: 'object' as const,
  properties: { success: { type: 'boolean' }, message: { type: 'string' }, data: {} },
  required: ['success'],
};

function createMcpServer(deps: McpRequestDeps): Server {
  const { services, actor, assistantId, context } = deps;
  const server = new Server(SERVER_INFO, { capabilities: { tools: {} } });
  const definitions = () => assistantToolDefinitions(services.prisma, actor.organizationId, assistantId, context);

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await definitions()).map((definition) => ({
      name: definition.function.name,
      description: definition.function.description,
      inputSchema: { ...definition.function.parameters, type: 'object' as const },
      outputSchema: OUTPUT_SCHEMA,
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    if (!hasRole(actor.role, 'MEMBER')) {
      throw new McpError(
        ErrorCode.InvalidRequest,
        `running tools needs the MEMBER role; this API key is ${actor.role}`,
      );
    }
    const available = (await definitions()).map((definition) => definition.function.name);
    if (!available.includes(name)) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Unknown tool: ${name.slice(0, 100)}. Available tools: ${available.join(', ') || 'none'}`,
      );
    }
    const [outcome] = await runToolCalls(
      deps.runner,
      {
        organizationId: actor.organizationId,
        assistantId,
        actor: { userId: actor.userId, apiKeyId: actor.apiKeyId },
        context: { triggerContext: context },
        availableTools: async () => available,
      },
      [{ toolCallId: null, name, arguments: args ?? {} }],
    );
    if (!outcome || !outcome.ok) {
      return { content: [{ type: 'text', text: outcome?.error ?? 'The tool failed.' }], isError: true };
    }
    const structured =
      outcome.result !== null && typeof outcome.result === 'object' && !Array.isArray(outcome.result)
        ? outcome.result
        : { success: true, data: outcome.result };
    return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
  });
  return server;
}

export async function handleMcpRequest(req: IncomingMessage, res: ServerResponse, deps: McpRequestDeps): Promise<void> {
  const server = createMcpServer(deps);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res);
}
