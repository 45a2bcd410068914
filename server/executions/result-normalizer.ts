/**
 * What gets stored and returned after an attempt: output capped in size, and
 * every secret value revealed during the run scrubbed from output, error,
 * recorded request and logs.
 */
import { createRedactor, type Redactor } from '../executors/redaction.ts';
import { clipText, truncateUtf8 } from '../sandbox/limits.ts';
import type { JsonValue, RecordedRequest, ToolResult } from '../executors/types.ts';

export interface OutputLimits {
  maxOutputBytes: number;
  maxErrorChars: number;
  maxLogLines: number;
  maxLogLineChars: number;
}

/** A voice assistant's LLM gains nothing from more; the row stays small. */
export const DEFAULT_OUTPUT_LIMITS: OutputLimits = {
  maxOutputBytes: 64 * 1024,
  maxErrorChars: 2_000,
  maxLogLines: 200,
  maxLogLineChars: 2_000,
};

/** The spoken message gets at most this share of the output budget; the data the rest. */
const MESSAGE_SHARE = 4;
const TRUNCATION_NOTE_BYTES = 64;

/** Caps message and data together at `maxBytes`, cutting only between whole characters. */
export function capOutput(result: ToolResult, maxBytes: number): ToolResult {
  const message = String(result.message ?? '');
  const serialized = JSON.stringify(result.data ?? null);
  const messageBytes = Buffer.byteLength(message);
  const dataBytes = Buffer.byteLength(serialized);
  if (messageBytes + dataBytes <= maxBytes) return result;
  const keptMessage =
    messageBytes <= maxBytes / MESSAGE_SHARE ? message : `${truncateUtf8(message, maxBytes / MESSAGE_SHARE)}…`;
  const dataBudget = maxBytes - Buffer.byteLength(keptMessage) - TRUNCATION_NOTE_BYTES;
  if (dataBytes <= dataBudget) return { success: result.success, message: keptMessage, data: result.data };
  // Keep a preview the LLM can still use.
  const preview = truncateUtf8(serialized, Math.max(0, dataBudget - TRUNCATION_NOTE_BYTES));
  return {
    success: result.success,
    message: `${keptMessage} (output truncated to ${maxBytes} bytes)`,
    data: { truncated: true, original_bytes: dataBytes, preview },
  };
}

function clip(text: string, max: number): string {
  return clipText(text, max + 1);
}

export interface Normalizer {
  redactor: Redactor;
  result(result: ToolResult): ToolResult;
  error(message: string): string;
  request(request: RecordedRequest | undefined): RecordedRequest | null;
  logs(logs: string[] | undefined): string[] | null;
}

/** Redact before capping, so a secret straddling a cut cannot leak in part. */
export function createNormalizer(secrets: Iterable<string>, limits: OutputLimits = DEFAULT_OUTPUT_LIMITS): Normalizer {
  const redactor = createRedactor(secrets);
  return {
    redactor,
    result(result) {
      const redacted: ToolResult = {
        success: result.success,
        message: redactor.text(String(result.message ?? '')),
        data: redactor.json((result.data ?? null) as JsonValue),
      };
      return capOutput(redacted, limits.maxOutputBytes);
    },
    error: (message) => clip(redactor.text(message), limits.maxErrorChars),
    request(request) {
      if (!request) return null;
      return {
        method: request.method,
        url: redactor.text(request.url),
        headers: Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [name, redactor.text(value)]),
        ),
        ...(request.body === undefined ? {} : { body: redactor.json(request.body) }),
      };
    },
    logs(logs) {
      if (!logs || logs.length === 0) return null;
      const kept = logs.length > limits.maxLogLines ? logs.slice(-limits.maxLogLines) : logs;
      return kept.map((line) => clip(redactor.text(line), limits.maxLogLineChars));
    },
  };
}
