/**
 * ElevenLabs Agents webhook (server) tools. ElevenLabs POSTs the body its
 * `api_schema.request_body_schema` describes — here exactly the tool's
 * arguments — with the headers `request_headers` lists. The exported config
 * (exports/elevenlabs-export.ts) maps the system dynamic variables
 * `system__conversation_id`, `system__call_sid` (Twilio calls only),
 * `system__caller_id` and `system__called_number` to headers read here.
 * ElevenLabs hands whatever JSON comes back to the agent.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { JsonObject } from '../executors/types.ts';
import { ELEVENLABS_SECRET_HEADER, ELEVENLABS_VARIABLE_HEADERS } from './exports/elevenlabs-export.ts';
import { presentedSecret } from './assistant-secrets.ts';
import type { CallContext, ToolCallOutcome } from './tool-call-runner.ts';

/** A variable ElevenLabs could not fill may arrive empty or as its unreplaced `{{placeholder}}`. */
const UNRESOLVED = /^\{\{.*\}\}$/;

function variable(headers: IncomingHttpHeaders, name: string): string | null {
  const raw = headers[name.toLowerCase()];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value && !UNRESOLVED.test(value) ? value : null;
}

/**
 * The conversation id identifies the Call (present on phone and web conversations alike); the Twilio call SID
 * stands in only when it is missing.
 */
export function elevenLabsCallContext(headers: IncomingHttpHeaders): CallContext {
  const read = (key: keyof typeof ELEVENLABS_VARIABLE_HEADERS) =>
    variable(headers, ELEVENLABS_VARIABLE_HEADERS[key].header);
  const caller = read('callerId');
  return {
    triggerContext: 'call',
    platform: 'ELEVENLABS',
    callSid: read('conversationId') ?? read('callSid'),
    phoneNumber: caller,
    from: caller,
    to: read('calledNumber'),
  };
}

/** `X-Switchboard-Secret` as the export configures it, or the Bearer / X-Vapi-Secret forms every voice route takes. */
export function elevenLabsSecret(headers: IncomingHttpHeaders): string | null {
  return variable(headers, ELEVENLABS_SECRET_HEADER) ?? presentedSecret(headers);
}

/** The result as the tool returned it (`{ success, message, data }`), or `{ error }` the agent can act on. */
export function elevenLabsResponse(outcome: ToolCallOutcome): JsonObject {
  if (outcome.ok) return (outcome.result ?? { success: true }) as JsonObject;
  return { error: outcome.error ?? 'The tool failed.' };
}
