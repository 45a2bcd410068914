/**
 * The contract between the execution engine and every tool executor
 * (endpoint, Lambda, code, built-ins). Plain data in, plain data out:
 * nothing here knows about GraphQL, Prisma or HTTP servers.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type ToolType = 'ENDPOINT' | 'CODE' | 'LAMBDA' | 'BUILTIN';
export type TriggerContext = 'call' | 'sms' | 'webhook' | 'test';

export const EXECUTION_ERROR_CODES = [
  'INVALID_PARAMETERS',
  'INVALID_CONFIGURATION',
  'TEMPLATE_ERROR',
  'SECRET_NOT_FOUND',
  'SECRET_NOT_GRANTED',
  'SSRF_BLOCKED',
  'CONNECT_ERROR',
  'HTTP_ERROR',
  'UPSTREAM_RATE_LIMITED',
  'UPSTREAM_UNAVAILABLE',
  'RESPONSE_TOO_LARGE',
  'UNSUPPORTED_CONTENT_TYPE',
  'INVALID_RESPONSE',
  'PAYLOAD_TOO_LARGE',
  'TIMEOUT',
  'CANCELLED',
  'CALL_ENDED',
  'FUNCTION_ERROR',
  'LAMBDA_THROTTLED',
  'LAMBDA_SERVICE_ERROR',
  'SERVER_CREDENTIALS_NOT_ALLOWED',
  'IMPORT_NOT_ALLOWED',
  'MEMORY_LIMIT',
  'INVALID_RESULT',
  'SANDBOX_CRASHED',
  'SANDBOX_UNAVAILABLE',
  'RATE_LIMITED',
  'CIRCUIT_OPEN',
  'TOOL_INACTIVE',
  'TOOL_ARCHIVED',
  'TOOL_CHANGED_SINCE_REQUEST',
  'ASSIGNMENT_DISABLED',
  'CONTEXT_NOT_ALLOWED',
  'REJECTED',
  'APPROVAL_TIMEOUT',
  'INTERRUPTED',
  'INTERNAL_ERROR',
] as const;
export type ExecutionErrorCode = (typeof EXECUTION_ERROR_CODES)[number];

/** What the engine knows about the call or request that triggered a tool. */
export interface ExecutionContext {
  executionId: string;
  organizationId: string;
  assistantId: string | null;
  callSid: string | null;
  phoneNumber: string | null;
  from: string | null;
  to: string | null;
  userId: string | null;
  /** The API key that asked for the run, when one did (named by security events, never shown to the tool). */
  apiKeyId?: string | null;
  triggerContext: TriggerContext;
  toolCallId: string | null;
}

/** The tool as an executor sees it: configuration already merged with the assignment's overrides. */
export interface ExecutableTool {
  id: string;
  name: string;
  type: ToolType;
  version: number;
  configuration: JsonObject;
}

/**
 * Organization-scoped, execution-time secret access. Executors ask by name; the
 * store remembers every value it handed out so the engine can scrub them from
 * anything it records.
 */
export interface SecretAccess {
  get(name: string): Promise<string | undefined>;
  /**
   * Registers a value the executor derived from secrets and sent (e.g. the
   * `user:password` of Basic auth), so it is scrubbed, in every encoding, like the secrets.
   */
  reveal?(derived: string): void;
}

export interface ExecutorInput {
  tool: ExecutableTool;
  parameters: JsonObject;
  context: ExecutionContext;
  secrets: SecretAccess;
  /** Aborted at the overall deadline or on cancel; executors pass it down to sockets and sandboxes. */
  signal: AbortSignal;
  /** Epoch milliseconds after which the attempt is worthless. */
  deadline: number;
  /** Stable across retries of one execution; sent as `Idempotency-Key` / payload field. */
  idempotencyKey: string;
  attempt: number;
  /** Reports progress from the running tool: fire-and-forget, never throws; reports over the limits are dropped. */
  progress?: (message: string) => void;
  /** Where the running tool can report back (progress, an Event invocation's result), with the tokens that open them. */
  links?: ReportingLinks;
  /** The execution span's W3C trace context, passed on so the tool's service continues the trace; absent when tracing is off. */
  trace?: TraceContext;
}

/** W3C Trace Context fields (https://www.w3.org/TR/trace-context/). */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/** Per-execution URLs and credentials (execution-tokens.ts); recorded requests must never show the tokens. */
export interface ReportingLinks {
  progressUrl: string;
  progressToken: string;
  callbackUrl: string;
  callbackToken: string;
}

/** The request as actually sent, after templating, with secret-bearing values redacted. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: JsonValue;
}

/** The normalized shape every tool result takes (the seed's response_handling fields). */
export interface ToolResult {
  success: boolean;
  message: string;
  data: JsonValue;
}

export interface ExecutionFailure {
  code: ExecutionErrorCode;
  message: string;
  /** Only transient failures (connect errors, 429, 502/503/504, Lambda throttling/service errors) are retried. */
  retryable: boolean;
  /** Upstream's hint (Retry-After), honoured by the retry loop when it fits the deadline. */
  retryAfterMs?: number;
  /** Source position for code errors (syntax errors, uncaught exceptions). */
  line?: number;
  column?: number;
}

/**
 * What one execution used, as far as its executor could tell (every field optional:
 * a failure records what is known). Integers; sandbox figures are clamped by the host.
 */
export interface ResourceUsage {
  /** CPU time of the code (JavaScript: the isolate; Python: the interpreter process during the job). */
  cpuTimeMs?: number;
  /** JavaScript: the isolate's heap (total + external) at its end; Python: the interpreter's wasm heap size. */
  peakMemoryBytes?: number;
  /** Lambda, from the invocation's REPORT line. */
  billedDurationMs?: number;
  memorySizeMb?: number;
  maxMemoryUsedMb?: number;
  initDurationMs?: number;
  /** Estimated price of the invocation in nano-dollars (10⁻⁹ USD). */
  estimatedCostNanoUsd?: number;
}

export type ExecutorOutcome =
  | {
      ok: true;
      result: ToolResult;
      request?: RecordedRequest;
      logs?: string[];
      meta?: JsonObject;
      /** The work goes on elsewhere (a Lambda Event invocation): the execution stays RUNNING until its callback. */
      awaitCallback?: { timeoutSeconds: number };
      usage?: ResourceUsage;
    }
  | {
      ok: false;
      error: ExecutionFailure;
      request?: RecordedRequest;
      logs?: string[];
      meta?: JsonObject;
      usage?: ResourceUsage;
    };

export interface ConfigurationIssue {
  /** Dotted path of the bad field inside `configuration`, e.g. `url` or `auth.type`. */
  field: string;
  message: string;
  line?: number;
  column?: number;
  /**
   * PRIVATE_HOST: the destination is private and not allow-listed. Only an active tool is refused for it:
   * an inactive one may be saved while the operator is asked to allow the host.
   */
  reason?: 'PRIVATE_HOST';
}

/** What an executor needs to show the request it would send, without reading any secret. */
export type PreviewInput = Pick<ExecutorInput, 'tool' | 'parameters' | 'context' | 'idempotencyKey' | 'attempt'>;

/** How a secret appears in a preview: its name, never its value. */
export function secretPlaceholder(name: string): string {
  return `[secret:${name}]`;
}

export interface Executor {
  readonly type: ToolType;
  execute(input: ExecutorInput): Promise<ExecutorOutcome>;
  /**
   * The request a run would send now (endpoint request, Lambda invocation, code and
   * parameters), secrets as `[secret:NAME]`: what an approver decides on.
   */
  preview?(input: PreviewInput): JsonValue;
  /** Save-time validation; returns every problem found (empty = valid). */
  validateConfiguration(
    configuration: JsonObject,
    context?: { timeoutSeconds?: number; organizationId?: string },
  ): Promise<ConfigurationIssue[]> | ConfigurationIssue[];
}
