/**
 * Messages between the API server and a sandbox process (Node IPC, JSON
 * serialization). Everything a sandbox sends is untrusted: the host parses it
 * with `parseSandboxMessage` and drops the process on anything malformed.
 */
import type { JsonObject, JsonValue } from '../executors/types.ts';

export type Runtime = 'javascript' | 'python';

export interface RunLimits {
  timeoutMs: number;
  memoryMb: number;
  maxLogBytes: number;
  maxResultBytes: number;
}

export type HostToSandbox =
  | {
      type: 'run';
      id: string;
      code: string;
      parameters: JsonObject;
      context: JsonObject;
      /** Only the secrets the tool's `environment_variables` lists, for this execution only. */
      secrets: Record<string, string>;
      allowedImports: string[];
      limits: RunLimits;
    }
  | { type: 'validate'; id: string; code: string }
  | { type: 'fetch-result'; id: string; callId: number; response?: BridgeResponse; error?: string }
  | { type: 'cancel'; id: string };

export interface BridgeRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface BridgeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface SandboxError {
  code:
    'FUNCTION_ERROR' | 'TIMEOUT' | 'MEMORY_LIMIT' | 'IMPORT_NOT_ALLOWED' | 'INVALID_RESULT' | 'INVALID_CONFIGURATION';
  message: string;
  line?: number;
  column?: number;
}

/** What a job used, measured inside the sandbox (untrusted: the host clamps it). */
export interface SandboxUsage {
  cpuTimeMs: number;
  peakMemoryBytes: number;
}

export type SandboxToHost =
  | { type: 'ready'; runtime: Runtime }
  | { type: 'fetch'; id: string; callId: number; request: BridgeRequest }
  /** `context.progress(message)`: fire-and-forget, no answer. */
  | { type: 'progress'; id: string; message: string }
  /** `memoryPressure` (optional) asks the host to replace this process after the job; the host never requires it. */
  | {
      type: 'result';
      id: string;
      ok: true;
      value: JsonValue;
      logs: string[];
      memoryPressure?: boolean;
      usage?: SandboxUsage;
    }
  | {
      type: 'result';
      id: string;
      ok: false;
      error: SandboxError;
      logs: string[];
      memoryPressure?: boolean;
      usage?: SandboxUsage;
    }
  | { type: 'validated'; id: string; errors: Array<{ message: string; line?: number; column?: number }> };
