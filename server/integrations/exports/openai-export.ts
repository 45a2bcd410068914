/**
 * Tools for an OpenAI-driven runtime (Chat Completions and Responses shapes)
 * and for MCP clients: the definitions as they are, with where to send the calls.
 */
import type { ToolMessages } from '../../tools/tool-messages.ts';
import { openAITools, type OpenAIFunction } from '../tool-definitions.ts';
import { responsesTools, type OpenAIResponsesTool } from '../openai.ts';
import { endpointUrl, type ExportSource, type PlatformExport } from './export-source.ts';

export interface OpenAIExport extends PlatformExport<{ type: 'function'; function: OpenAIFunction }> {
  /** The same tools in the Responses API's flat shape. */
  responsesTools: OpenAIResponsesTool[];
  /** Spoken messages by tool name, for voice runtimes that say them. */
  messages: Record<string, ToolMessages>;
}

export function openAIExport(source: ExportSource): OpenAIExport {
  return {
    platform: 'openai',
    assistantId: source.assistantId,
    endpoint: endpointUrl(source, 'v1', 'assistants', source.assistantId, 'tool-calls'),
    authentication:
      'Send a Switchboard API key (MEMBER or above) as Authorization: Bearer <key> with the tool_calls (Chat Completions) or output (Responses) you received.',
    notes: [],
    tools: openAITools(source.definitions),
    responsesTools: responsesTools(source.definitions),
    messages: Object.fromEntries(
      source.definitions.flatMap((definition) =>
        definition.messages ? [[definition.function.name, definition.messages]] : [],
      ),
    ),
  };
}

export interface McpToolListing {
  name: string;
  description: string;
  inputSchema: OpenAIFunction['parameters'];
}

export function mcpExport(source: ExportSource): PlatformExport<McpToolListing> & { transport: 'streamable-http' } {
  return {
    platform: 'mcp',
    assistantId: source.assistantId,
    endpoint: endpointUrl(source, 'mcp', source.assistantId),
    transport: 'streamable-http',
    authentication: 'Send a Switchboard API key as Authorization: Bearer <key>; tools/list then gives these tools.',
    notes: [],
    tools: source.definitions.map(({ function: fn }) => ({
      name: fn.name,
      description: fn.description,
      inputSchema: { ...fn.parameters, type: 'object' },
    })),
  };
}
