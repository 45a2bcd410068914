/**
 * Tools as ElevenLabs Agents tool configurations, the `tool_config` of
 * `POST /v1/convai/tools` in ElevenLabs' wire format (snake_case, as
 * @elevenlabs/elevenlabs-js serializes it; checked in
 * tests/types/platform-export-shapes.ts and by the SDK's own serializer in
 * tests/unit/platform-export-shapes.test.ts). Webhook tools POST the tool's
 * parameters as the JSON body to `/v1/elevenlabs/:assistantId/:toolName`, with
 * the server secret from an ElevenLabs workspace secret and the call's system
 * variables as headers; the built-ins become `end_call` and `transfer_to_number`.
 */
import type { JsonObject } from '../../executors/types.ts';
import { clamp, endpointUrl, unexportedTransferNote, type ExportSource, type PlatformExport } from './export-source.ts';
import { objectSchema, type ObjectSchema } from './schema-subset.ts';

/** ElevenLabs' documented range for a webhook tool's `response_timeout_secs`. */
export const ELEVENLABS_TIMEOUT_SECONDS = { min: 5, max: 300 } as const;
/** Stands in for the id of the ElevenLabs workspace secret that holds the assistant's server secret. */
export const ELEVENLABS_SECRET_ID_PLACEHOLDER = 'SWITCHBOARD_SERVER_SECRET_ID';
export const ELEVENLABS_SECRET_HEADER = 'X-Switchboard-Secret';

/** Request headers carrying ElevenLabs' system dynamic variables, read by the ElevenLabs endpoint. */
export const ELEVENLABS_VARIABLE_HEADERS = {
  conversationId: { header: 'X-ElevenLabs-Conversation-Id', variable: 'system__conversation_id' },
  callSid: { header: 'X-ElevenLabs-Call-Sid', variable: 'system__call_sid' },
  callerId: { header: 'X-ElevenLabs-Caller-Id', variable: 'system__caller_id' },
  calledNumber: { header: 'X-ElevenLabs-Called-Number', variable: 'system__called_number' },
} as const;

type HeaderValue = string | { secret_id: string } | { variable_name: string };

export interface ElevenLabsWebhookTool {
  type: 'webhook';
  name: string;
  description: string;
  response_timeout_secs: number;
  pre_tool_speech: 'auto' | 'force';
  execution_mode: 'immediate' | 'async';
  api_schema: {
    url: string;
    method: 'POST';
    content_type: 'application/json';
    request_body_schema: ObjectSchema;
    request_headers: Record<string, HeaderValue>;
  };
}

export interface ElevenLabsSystemTool {
  type: 'system';
  name: string;
  description: string;
  params:
    | { system_tool_type: 'end_call' }
    | {
        system_tool_type: 'transfer_to_number';
        transfers: Array<{ transfer_destination: { type: 'phone'; phone_number: string }; condition: string }>;
        enable_client_message: boolean;
      };
}

export type ElevenLabsTool = ElevenLabsWebhookTool | ElevenLabsSystemTool;

/** The tool's parameters as ElevenLabs' `request_body_schema`: the body the endpoint receives is exactly the arguments. */
export function elevenLabsBodySchema(parameters: JsonObject, notes: string[] = []): ObjectSchema {
  // A literal without a description is not "provided by the LLM" to ElevenLabs, so every value gets one.
  return objectSchema(parameters, notes, { describeEverything: true });
}

export function elevenLabsRequestHeaders(secretId: string): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = { [ELEVENLABS_SECRET_HEADER]: { secret_id: secretId } };
  for (const { header, variable } of Object.values(ELEVENLABS_VARIABLE_HEADERS))
    headers[header] = { variable_name: variable };
  return headers;
}

export function elevenLabsTools(
  source: ExportSource,
  notes: string[] = [],
  secretId = ELEVENLABS_SECRET_ID_PLACEHOLDER,
): ElevenLabsTool[] {
  const tools: ElevenLabsTool[] = source.tools.map((tool) => {
    const toolNotes: string[] = [];
    const schema = elevenLabsBodySchema(tool.function.parameters, toolNotes);
    notes.push(...toolNotes.map((note) => `${tool.function.name}: ${note}`));
    return {
      type: 'webhook',
      name: tool.function.name,
      description: tool.function.description || tool.function.name,
      response_timeout_secs: clamp(
        tool.answerWithinSeconds,
        ELEVENLABS_TIMEOUT_SECONDS.min,
        ELEVENLABS_TIMEOUT_SECONDS.max,
      ),
      // ElevenLabs generates its own pre-tool line; a requestStart message means the tool wants one every time.
      pre_tool_speech: tool.messages?.requestStart ? 'force' : 'auto',
      execution_mode: tool.executionMode === 'async' ? 'async' : 'immediate',
      api_schema: {
        url: endpointUrl(source, 'v1', 'elevenlabs', source.assistantId, tool.function.name),
        method: 'POST',
        content_type: 'application/json',
        request_body_schema: schema,
        request_headers: elevenLabsRequestHeaders(secretId),
      },
    };
  });
  const { endCall, transferCall } = source.builtins;
  if (endCall)
    tools.push({
      type: 'system',
      name: 'end_call',
      description: endCall.description,
      params: { system_tool_type: 'end_call' },
    });
  const numbers = transferCall?.numbers ?? [];
  if (transferCall && numbers.length) {
    tools.push({
      type: 'system',
      name: 'transfer_to_number',
      description: transferCall.description,
      params: {
        system_tool_type: 'transfer_to_number',
        transfers: numbers.map((entry) => ({
          transfer_destination: { type: 'phone', phone_number: entry.number },
          condition: entry.description ? `${entry.name}: ${entry.description}` : entry.name,
        })),
        enable_client_message: true,
      },
    });
  }
  return tools;
}

export function elevenLabsExport(source: ExportSource, secretId?: string): PlatformExport<ElevenLabsTool> {
  const notes: string[] = [];
  const tools = elevenLabsTools(source, notes, secretId);
  notes.push(...unexportedTransferNote(source));
  const worded = source.tools.filter((tool) => tool.messages).map((tool) => tool.function.name);
  if (worded.length) {
    notes.push(
      `ElevenLabs words its own pre-tool speech (pre_tool_speech: force where a tool has a start message) and has no fixed completion, failure or delay lines: ${worded.join(', ')}.`,
    );
  }
  return {
    platform: 'elevenlabs',
    assistantId: source.assistantId,
    endpoint: endpointUrl(source, 'v1', 'elevenlabs', source.assistantId),
    authentication: `Create an ElevenLabs workspace secret holding this assistant's server secret (setAssistantServerSecret) and put its id where the export says ${ELEVENLABS_SECRET_ID_PLACEHOLDER} (or pass secretId); it is sent as ${ELEVENLABS_SECRET_HEADER}. The export never contains the secret.`,
    notes,
    tools,
  };
}
