/**
 * What gets stored and returned after an attempt: output capped in size, and
 * every secret value revealed during the run scrubbed from output, error,
 * recorded request and logs.
 */
import { createRedactor, type Redactor } from '../executors/redaction.ts';
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

export function capOutput(result: ToolResult, maxBytes: number): ToolResult {
  const serialized = JSON.stringify(result.data ?? null);
  if (Buffer.byteLength(serialized) <= maxBytes) return result;
  // Keep a preview the LLM can still use; cut by characters, then make sure the bytes fit.
  let preview = serialized.slice(0, maxBytes);
  while (Buffer.byteLength(preview) > maxBytes) preview = preview.slice(0, Math.floor(preview.length * 0.9));
  return {
    success: result.success,
    message: `${result.message} (output truncated to ${maxBytes} bytes)`,
    data: { truncated: true, original_bytes: Buffer.byteLength(serialized), preview },
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
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
