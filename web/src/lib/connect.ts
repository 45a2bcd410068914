/** What a voice platform or client needs to reach an assistant: its URLs and ready-to-paste snippets. */

export type Platform = 'VAPI' | 'RETELL' | 'ELEVENLABS' | 'MCP' | 'OPENAI';

export interface AssistantUrls {
  vapi: string;
  oauthToken: string;
  retellWebhook: string;
  mcp: string;
  tools: string;
  toolCalls: string;
}

export function assistantUrls(origin: string, assistantId: string): AssistantUrls {
  return {
    vapi: `${origin}/v1/vapi/${assistantId}`,
    oauthToken: `${origin}/v1/oauth/token`,
    retellWebhook: `${origin}/v1/retell/${assistantId}/webhook`,
    mcp: `${origin}/mcp/${assistantId}`,
    tools: `${origin}/v1/assistants/${assistantId}/tools`,
    toolCalls: `${origin}/v1/assistants/${assistantId}/tool-calls`,
  };
}

/** The placeholder a user replaces with one of their Switchboard API keys. */
export const API_KEY_PLACEHOLDER = '<SWITCHBOARD_API_KEY>';

/** A server name MCP clients accept: lowercase letters, digits and dashes. */
function serverName(assistantName: string): string {
  const slug = assistantName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `switchboard-${slug || 'assistant'}`;
}

/**
 * MCP client configuration: Streamable HTTP clients (Claude Code, Cursor, VS Code, the MCP Inspector) take
 * the URL and headers directly; Claude Desktop reaches a remote server through mcp-remote.
 */
export function mcpClientConfig(url: string, assistantName: string): { http: string; desktop: string } {
  const name = serverName(assistantName);
  const authorization = `Bearer ${API_KEY_PLACEHOLDER}`;
  const http = { mcpServers: { [name]: { type: 'http', url, headers: { Authorization: authorization } } } };
  const desktop = {
    mcpServers: {
      [name]: {
        command: 'npx',
        args: ['-y', 'mcp-remote', url, '--header', 'Authorization:${SWITCHBOARD_AUTH}'],
        env: { SWITCHBOARD_AUTH: authorization },
      },
    },
  };
  return { http: JSON.stringify(http, null, 2), desktop: JSON.stringify(desktop, null, 2) };
}

/** curl for the definitions and the tool-calls routes, in Chat Completions and Responses forms. */
export function openAiExamples(urls: AssistantUrls): Array<{ title: string; command: string }> {
  const auth = `-H "authorization: Bearer ${API_KEY_PLACEHOLDER}"`;
  const json = `-H 'content-type: application/json'`;
  return [
    { title: 'Tool definitions (Chat Completions)', command: `curl -s "${urls.tools}?context=call" ${auth}` },
    {
      title: 'Tool definitions (Responses API)',
      command: `curl -s "${urls.tools}?context=call&format=responses" ${auth}`,
    },
    {
      title: 'Run tool calls (Chat Completions: the assistant message’s tool_calls)',
      command: `curl -s -X POST "${urls.toolCalls}" ${auth} ${json} \\
  -d '{"tool_calls":[{"id":"call_1","type":"function","function":{"name":"<tool>","arguments":"{}"}}],"context":{"callSid":"<call id>"}}'`,
    },
    {
      title: 'Run tool calls (Responses API: the response’s output items)',
      command: `curl -s -X POST "${urls.toolCalls}" ${auth} ${json} \\
  -d '{"output":[{"type":"function_call","call_id":"call_1","name":"<tool>","arguments":"{}"}]}'`,
    },
  ];
}

/** Starts a download of `text` as a JSON file. */
export function downloadJson(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  URL.revokeObjectURL(url);
}
