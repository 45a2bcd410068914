/**
 * Tools as Retell LLM `general_tools` (field names as retell-sdk's
 * `LlmCreateParams` types them; checked in tests/types/platform-export-shapes.ts).
 * Custom functions call `POST /v1/retell/:assistantId/:toolName`; the built-ins
 * become Retell's own `end_call` and `transfer_call` tools.
 */
import type { JsonValue } from '../../executors/types.ts';
import { clamp, endpointUrl, unexportedTransferNote, type ExportSource, type PlatformExport } from './export-source.ts';

/** Retell's documented range for a custom function's `timeout_ms`. */
export const RETELL_TIMEOUT_MS = { min: 1_000, max: 600_000 } as const;

export interface RetellCustomTool {
  type: 'custom';
  name: string;
  description: string;
  url: string;
  method: 'POST';
  speak_during_execution: boolean;
  speak_after_execution: boolean;
  execution_message_description?: string;
  execution_message_type?: 'static_text';
  timeout_ms: number;
  parameters: { type: 'object'; properties: JsonValue; required?: string[] };
}

export interface RetellEndCallTool {
  type: 'end_call';
  name: string;
  description: string;
  speak_during_execution: boolean;
  execution_message_description?: string;
  execution_message_type?: 'static_text';
}

export interface RetellTransferCallTool {
  type: 'transfer_call';
  name: string;
  description: string;
  transfer_destination: { type: 'predefined'; number: string } | { type: 'inferred'; prompt: string };
  transfer_option: { type: 'cold_transfer' };
  speak_during_execution: boolean;
  execution_message_description?: string;
  execution_message_type?: 'static_text';
}

export type RetellTool = RetellCustomTool | RetellEndCallTool | RetellTransferCallTool;

/** Spoken as written while the tool runs (Retell would otherwise treat the text as a prompt). */
function spoken(message: string | null | undefined) {
  return message
    ? {
        speak_during_execution: true,
        execution_message_description: message,
        execution_message_type: 'static_text' as const,
      }
    : { speak_during_execution: false };
}

function parameters(schema: JsonValue): RetellCustomTool['parameters'] {
  const object = typeof schema === 'object' && schema !== null && !Array.isArray(schema) ? schema : {};
  const required = Array.isArray(object.required)
    ? object.required.filter((name): name is string => typeof name === 'string')
    : [];
  return { type: 'object', properties: object.properties ?? {}, ...(required.length ? { required } : {}) };
}

export function retellTools(source: ExportSource): RetellTool[] {
  const tools: RetellTool[] = source.tools.map((tool) => ({
    type: 'custom',
    name: tool.function.name,
    description: tool.function.description,
    url: endpointUrl(source, 'v1', 'retell', source.assistantId, tool.function.name),
    method: 'POST',
    ...spoken(tool.messages?.requestStart),
    speak_after_execution: true,
    timeout_ms: clamp(tool.answerWithinSeconds * 1_000, RETELL_TIMEOUT_MS.min, RETELL_TIMEOUT_MS.max),
    parameters: parameters(tool.function.parameters),
  }));
  const { endCall, transferCall } = source.builtins;
  if (endCall)
    tools.push({ type: 'end_call', name: 'endCall', description: endCall.description, ...spoken(endCall.message) });
  const numbers = transferCall?.numbers ?? [];
  if (transferCall && numbers.length) {
    const only = numbers.length === 1 ? numbers[0] : undefined;
    tools.push({
      type: 'transfer_call',
      name: 'transferCall',
      description: transferCall.description,
      transfer_destination: only
        ? { type: 'predefined', number: only.number }
        : {
            type: 'inferred',
            prompt: `Transfer to the number that fits the caller's need: ${numbers
              .map((entry) => `${entry.name}: ${entry.number}${entry.description ? ` (${entry.description})` : ''}`)
              .join('; ')}.`,
          },
      transfer_option: { type: 'cold_transfer' },
      ...spoken(transferCall.message),
    });
  }
  return tools;
}

export function retellExport(source: ExportSource): PlatformExport<RetellTool> {
  const unspoken = source.tools.filter(
    (tool) => tool.messages?.requestComplete || tool.messages?.requestFailed || tool.messages?.requestDelayed,
  );
  return {
    platform: 'retell',
    assistantId: source.assistantId,
    endpoint: endpointUrl(source, 'v1', 'retell', source.assistantId),
    authentication:
      "Store the Retell API key with setAssistantRetellKey so Switchboard verifies x-retell-signature, or add the header Authorization: Bearer <this assistant's server secret> to each custom function. The export never contains either.",
    notes: [
      ...(unspoken.length
        ? [
            `Retell custom functions have no completion, failure or delay messages; the agent words the result itself (speak_after_execution) for: ${unspoken.map((tool) => tool.function.name).join(', ')}.`,
          ]
        : []),
      ...unexportedTransferNote(source),
    ],
    tools: retellTools(source),
  };
}
