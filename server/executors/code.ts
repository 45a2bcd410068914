/**
 * The CODE executor: runs a tool's own JavaScript or Python in a sandbox pool.
 * It hands the sandbox only the secrets the tool lists, never more time than
 * the execution has left, and a single way out to the network (`bridgeFetch`).
 *
 * What the user's function returns becomes the tool result: an object with a
 * boolean `success` is taken as `{ success, message, data }`; any other value is
 * wrapped as `{ success: true, message: '', data: value }`.
 */
import type { BridgeFetch } from '../sandbox/bridge-fetch.ts';
import type { BridgeRequest, BridgeResponse, Runtime } from '../sandbox/protocol.ts';
import { toolSecurityOrigin } from '../security/tool-security-events.ts';
import type { SandboxPool, SandboxRunResult } from '../sandbox/pool.ts';
import type {
  ConfigurationIssue,
  ExecutionErrorCode,
  ExecutionFailure,
  Executor,
  ExecutorInput,
  ExecutorOutcome,
  JsonObject,
  JsonValue,
  ResourceUsage,
  ToolResult,
} from './types.ts';
import { secretPlaceholder } from './types.ts';

export interface CodeExecutorLimits {
  maxCodeBytes: number;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  defaultMemoryMb: number;
  maxMemoryMb: number;
  maxLogBytes: number;
  maxResultBytes: number;
  maxSecrets: number;
}

export interface CodeExecutorOptions {
  pools: Partial<Record<Runtime, SandboxPool>>;
  /** The only network path for user code; the real one applies the SSRF guard. */
  bridgeFetch: BridgeFetch;
  limits?: Partial<CodeExecutorLimits>;
}

export const DEFAULT_CODE_LIMITS: CodeExecutorLimits = {
  maxCodeBytes: 256 * 1024,
  defaultTimeoutMs: 10_000,
  maxTimeoutMs: 30_000,
  defaultMemoryMb: 64,
  maxMemoryMb: 512,
  maxLogBytes: 32 * 1024,
  maxResultBytes: 256 * 1024,
  maxSecrets: 32,
};

interface CodeConfiguration {
  code: string;
  runtime: Runtime;
  allowedImports: string[];
  timeoutMs: number;
  memoryMb: number;
  secretNames: string[];
}

const RUNTIMES: readonly Runtime[] = ['javascript', 'python'];
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const MAX_ALLOWED_IMPORTS = 64;

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function readConfiguration(
  configuration: JsonObject,
  limits: CodeExecutorLimits,
): { config: CodeConfiguration } | { issues: ConfigurationIssue[] } {
  const issues: ConfigurationIssue[] = [];
  const { code, runtime, allowed_imports, execution_timeout, memory_limit_mb, environment_variables } = configuration;

  if (typeof code !== 'string' || code.trim() === '') issues.push({ field: 'code', message: 'code is required' });
  else if (Buffer.byteLength(code, 'utf8') > limits.maxCodeBytes) {
    issues.push({ field: 'code', message: `code must be at most ${limits.maxCodeBytes} bytes` });
  }

  if (runtime !== undefined && !RUNTIMES.includes(runtime as Runtime)) {
    issues.push({ field: 'runtime', message: `runtime must be one of ${RUNTIMES.join(', ')}` });
  }

  if (allowed_imports !== undefined) {
    if (!isStringArray(allowed_imports) || allowed_imports.length > MAX_ALLOWED_IMPORTS) {
      issues.push({
        field: 'allowed_imports',
        message: `allowed_imports must be a list of at most ${MAX_ALLOWED_IMPORTS} module names`,
      });
    } else {
      allowed_imports.forEach((name, index) => {
        if (!MODULE_NAME.test(name))
          issues.push({ field: `allowed_imports.${index}`, message: `"${name.slice(0, 100)}" is not a module name` });
      });
    }
  }

  const maxSeconds = limits.maxTimeoutMs / 1000;
  if (
    execution_timeout !== undefined &&
    (typeof execution_timeout !== 'number' || !(execution_timeout > 0) || execution_timeout > maxSeconds)
  ) {
    issues.push({
      field: 'execution_timeout',
      message: `execution_timeout must be a number of seconds between 0 and ${maxSeconds}`,
    });
  }

  if (
    memory_limit_mb !== undefined &&
    (typeof memory_limit_mb !== 'number' || !(memory_limit_mb > 0) || memory_limit_mb > limits.maxMemoryMb)
  ) {
    issues.push({
      field: 'memory_limit_mb',
      message: `memory_limit_mb must be a number between 1 and ${limits.maxMemoryMb}`,
    });
  }

  if (environment_variables !== undefined) {
    if (!isStringArray(environment_variables) || environment_variables.length > limits.maxSecrets) {
      issues.push({
        field: 'environment_variables',
        message: `environment_variables must be a list of at most ${limits.maxSecrets} secret names`,
      });
    } else {
      environment_variables.forEach((name, index) => {
        if (!SECRET_NAME.test(name))
          issues.push({
            field: `environment_variables.${index}`,
            message: `"${name.slice(0, 100)}" is not a valid secret name`,
          });
      });
    }
  }

  if (issues.length > 0) return { issues };
  return {
    config: {
      code: code as string,
      runtime: (runtime as Runtime | undefined) ?? 'javascript',
      allowedImports: (allowed_imports as string[] | undefined) ?? [],
      timeoutMs: typeof execution_timeout === 'number' ? Math.ceil(execution_timeout * 1000) : limits.defaultTimeoutMs,
      memoryMb: typeof memory_limit_mb === 'number' ? memory_limit_mb : limits.defaultMemoryMb,
      secretNames: [...new Set((environment_variables as string[] | undefined) ?? [])],
    },
  };
}

function isRecord(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Applies the documented result convention; returns a message when the shape is wrong. */
export function toToolResult(value: JsonValue): ToolResult | string {
  if (!isRecord(value) || !('success' in value)) return { success: true, message: '', data: value };
  const { success, message, data } = value;
  if (typeof success !== 'boolean') return 'the result field `success` must be a boolean';
  if (message !== undefined && message !== null && typeof message !== 'string')
    return 'the result field `message` must be a string';
  return { success, message: message ?? '', data: data ?? null };
}

function fail(code: ExecutionErrorCode, message: string, extra: Partial<ExecutionFailure> = {}): ExecutionFailure {
  return { code, message, retryable: code === 'SANDBOX_UNAVAILABLE', ...extra };
}

function codeContext(input: ExecutorInput): JsonObject {
  const { context, tool } = input;
  return {
    executionId: context.executionId,
    organizationId: context.organizationId,
    assistantId: context.assistantId,
    callSid: context.callSid,
    phoneNumber: context.phoneNumber,
    from: context.from,
    to: context.to,
    userId: context.userId,
    triggerContext: context.triggerContext,
    toolCallId: context.toolCallId,
    toolId: tool.id,
    toolName: tool.name,
    toolVersion: tool.version,
    attempt: input.attempt,
    idempotencyKey: input.idempotencyKey,
  };
}

/** Whether a bridged fetch failed the SSRF guard (read structurally: the error crossed the bridge). */
function isSsrfRefusal(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: unknown }).code === 'SSRF_BLOCKED';
}

/**
 * The sandbox's own figures (already clamped to sane bounds by the pool's parser), with CPU
 * held to the wall time the job took: the code runs on one thread, so more is not believable.
 */
function usageOf(result: SandboxRunResult, wallMs: number): { usage?: ResourceUsage } {
  if (!result.usage) return {};
  return {
    usage: {
      cpuTimeMs: Math.min(result.usage.cpuTimeMs, Math.max(0, Math.ceil(wallMs))),
      peakMemoryBytes: result.usage.peakMemoryBytes,
    },
  };
}

function toOutcome(
  result: SandboxRunResult,
  input: ExecutorInput,
  meta: JsonObject & { durationMs: number },
  ssrfRefused: boolean,
): ExecutorOutcome {
  const logs = result.logs;
  const usage = usageOf(result, meta.durationMs);
  if (result.ok) {
    const converted = toToolResult(result.value);
    if (typeof converted === 'string')
      return { ok: false, error: fail('INVALID_RESULT', converted), logs, meta, ...usage };
    return { ok: true, result: converted, logs, meta, ...usage };
  }
  const { error } = result;
  // The engine aborts the signal at the deadline: a cancellation after it is a timeout.
  let code: ExecutionErrorCode = error.code === 'CANCELLED' && Date.now() >= input.deadline ? 'TIMEOUT' : error.code;
  // The function failed on a refused fetch it did not handle: operators count it as SSRF, not a bug.
  if (code === 'FUNCTION_ERROR' && ssrfRefused) code = 'SSRF_BLOCKED';
  const position =
    'line' in error && error.line !== undefined
      ? { line: error.line, ...(error.column === undefined ? {} : { column: error.column }) }
      : {};
  return { ok: false, error: fail(code, error.message, position), logs, meta, ...usage };
}

export function createCodeExecutor(options: CodeExecutorOptions): Executor {
  const limits: CodeExecutorLimits = { ...DEFAULT_CODE_LIMITS, ...options.limits };
  const { pools, bridgeFetch } = options;

  return {
    type: 'CODE',

    async execute(input) {
      const read = readConfiguration(input.tool.configuration, limits);
      if ('issues' in read) {
        return {
          ok: false,
          error: fail(
            'INVALID_CONFIGURATION',
            read.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
          ),
        };
      }
      const { config } = read;
      const pool = pools[config.runtime];
      if (!pool)
        return {
          ok: false,
          error: { ...fail('SANDBOX_UNAVAILABLE', `the ${config.runtime} runtime is not available`), retryable: false },
        };
      if (input.signal.aborted) return { ok: false, error: fail('CANCELLED', 'the execution was cancelled') };

      const secrets: Record<string, string> = {};
      for (const name of config.secretNames) {
        const value = await input.secrets.get(name);
        if (value === undefined) return { ok: false, error: fail('SECRET_NOT_FOUND', `secret ${name} is not defined`) };
        secrets[name] = value;
      }

      const timeLeft = input.deadline - Date.now();
      if (timeLeft <= 0) return { ok: false, error: fail('TIMEOUT', 'no time left before the deadline') };
      const timeoutMs = Math.max(1, Math.min(config.timeoutMs, timeLeft));
      const startedAt = Date.now();
      let ssrfRefused = false;
      // One object per run: the bridge and the pool record this run's security events against it.
      const origin = toolSecurityOrigin(input);
      const guardedBridge = async (request: BridgeRequest, signal: AbortSignal): Promise<BridgeResponse> => {
        try {
          return await bridgeFetch(request, signal, origin);
        } catch (error) {
          if (isSsrfRefusal(error)) ssrfRefused = true;
          throw error;
        }
      };
      const result = await pool.run(
        {
          code: config.code,
          parameters: input.parameters,
          context: codeContext(input),
          secrets,
          allowedImports: config.allowedImports,
          limits: {
            timeoutMs,
            memoryMb: config.memoryMb,
            maxLogBytes: limits.maxLogBytes,
            maxResultBytes: limits.maxResultBytes,
          },
        },
        {
          signal: input.signal,
          onFetch: guardedBridge,
          origin,
          ...(input.progress && { onProgress: input.progress }),
        },
      );
      return toOutcome(result, input, { runtime: config.runtime, durationMs: Date.now() - startedAt }, ssrfRefused);
    },

    preview(input): JsonValue {
      const read = readConfiguration(input.tool.configuration, limits);
      if ('issues' in read) return { error: read.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ') };
      const { config } = read;
      return {
        runtime: config.runtime,
        code: config.code,
        parameters: input.parameters,
        secrets: config.secretNames.map(secretPlaceholder),
      };
    },

    async validateConfiguration(configuration, context = {}) {
      const read = readConfiguration(configuration, limits);
      if ('issues' in read) return read.issues;
      const { config } = read;
      const { timeoutSeconds } = context;
      if (timeoutSeconds !== undefined && config.timeoutMs > timeoutSeconds * 1000) {
        // The engine's deadline would kill the sandbox process before the code's own deadline ends the job.
        return [
          {
            field: 'execution_timeout',
            message: `execution_timeout (${config.timeoutMs / 1000} s) must not exceed the tool's timeoutSeconds (${timeoutSeconds} s)`,
          },
        ];
      }
      const pool = pools[config.runtime];
      if (!pool) return [{ field: 'runtime', message: `the ${config.runtime} runtime is not available` }];
      try {
        const issues = await pool.validate(config.code, undefined, context.organizationId);
        return issues.map((issue) => ({ field: 'code', ...issue }));
      } catch {
        return [{ field: 'code', message: 'the code could not be checked right now; try again' }];
      }
    },
  };
}
