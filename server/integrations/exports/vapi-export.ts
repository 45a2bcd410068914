/**
 * Tools as Vapi tool objects, the body of Vapi's `POST /tool` (field names from
 * Vapi's OpenAPI document as @vapi-ai/server-sdk types them; checked in
 * tests/types/platform-export-shapes.ts). Function tools call
 * `POST /v1/vapi/:assistantId`; the built-ins become Vapi's own `endCall` and
 * `transferCall` tools, so Vapi hangs up and transfers itself.
 */
import type { ToolMessages } from '../../tools/tool-messages.ts';
import type { OpenAIFunction } from '../tool-definitions.ts';
import { objectSchema, type ObjectSchema } from './schema-subset.ts';
import { clamp, delayedAfterMs, endpointUrl, type ExportSource, type PlatformExport } from './export-source.ts';

/** Vapi's documented range for `server.timeoutSeconds`. */
export const VAPI_TIMEOUT_SECONDS = { min: 1, max: 300 } as const;

export type VapiToolMessage =
  | { type: 'request-start'; content: string }
  | { type: 'request-complete'; content: string }
  | { type: 'request-failed'; content: string }
  | { type: 'request-response-delayed'; content: string; timingMilliseconds: number };

export interface VapiFunctionTool {
  type: 'function';
  /** Vapi types every property of `parameters` (its JsonSchema), so the schema is narrowed to that subset. */
  function: { name: string; description: string; parameters: ObjectSchema; strict?: true };
  server: { url: string; timeoutSeconds: number };
  messages: VapiToolMessage[];
  async?: true;
}

export interface VapiEndCallTool {
  type: 'endCall';
  messages: VapiToolMessage[];
}

export interface VapiTransferCallTool {
  type: 'transferCall';
  destinations: Array<{ type: 'number'; number: string; description: string; message?: string }>;
  messages: VapiToolMessage[];
}

export type VapiTool = VapiFunctionTool | VapiEndCallTool | VapiTransferCallTool;

export function vapiMessages(messages: ToolMessages | null): VapiToolMessage[] {
  if (!messages) return [];
  const out: VapiToolMessage[] = [];
  if (messages.requestStart) out.push({ type: 'request-start', content: messages.requestStart });
  if (messages.requestDelayed) {
    out.push({
      type: 'request-response-delayed',
      content: messages.requestDelayed.message,
      timingMilliseconds: delayedAfterMs(messages.requestDelayed),
    });
  }
  if (messages.requestComplete) out.push({ type: 'request-complete', content: messages.requestComplete });
  if (messages.requestFailed) out.push({ type: 'request-failed', content: messages.requestFailed });
  return out;
}

function vapiFunction(fn: OpenAIFunction, notes: string[]): VapiFunctionTool['function'] {
  const toolNotes: string[] = [];
  const parameters = objectSchema(fn.parameters, toolNotes, { describeEverything: false, keepClosedObjects: true });
  notes.push(...toolNotes.map((note) => `${fn.name}: ${note}`));
  return { name: fn.name, description: fn.description, parameters, ...(fn.strict ? { strict: true as const } : {}) };
}

export function vapiTools(source: ExportSource, notes: string[] = []): VapiTool[] {
  const url = endpointUrl(source, 'v1', 'vapi', source.assistantId);
  const tools: VapiTool[] = source.tools.map((tool) => ({
    type: 'function',
    function: vapiFunction(tool.function, notes),
    server: {
      url,
      timeoutSeconds: clamp(tool.answerWithinSeconds, VAPI_TIMEOUT_SECONDS.min, VAPI_TIMEOUT_SECONDS.max),
    },
    messages: vapiMessages(tool.messages),
    ...(tool.executionMode === 'async' ? { async: true as const } : {}),
  }));
  const { endCall, transferCall } = source.builtins;
  if (endCall) {
    tools.push({
      type: 'endCall',
      messages: endCall.message ? [{ type: 'request-start', content: endCall.message }] : [],
    });
  }
  if (transferCall) {
    tools.push({
      type: 'transferCall',
      destinations: transferCall.numbers.map((entry) => ({
        type: 'number',
        number: entry.number,
        description: entry.description || entry.name,
      })),
      messages: transferCall.message ? [{ type: 'request-start', content: transferCall.message }] : [],
    });
  }
  return tools;
}

export function vapiExport(source: ExportSource): PlatformExport<VapiTool> {
  const notes: string[] = [];
  const tools = vapiTools(source, notes);
  return {
    platform: 'vapi',
    assistantId: source.assistantId,
    endpoint: endpointUrl(source, 'v1', 'vapi', source.assistantId),
    authentication:
      "Create a Vapi credential holding this assistant's server secret (setAssistantServerSecret) as a Bearer token and set its id as server.credentialId, or send it as the X-Vapi-Secret header. The export never contains the secret.",
    notes,
    tools,
  };
}
