/**
 * Maps what the AWS SDK throws from `InvokeCommand` onto the engine's failure
 * codes. Only transient conditions are retryable; the engine owns retries.
 *
 * Choices for non-transient errors:
 * - INVALID_CONFIGURATION: the tool points at something that cannot work as
 *   configured — function not found, bad credentials/signature, access denied,
 *   invalid parameters. An operator has to fix the tool.
 * - FUNCTION_ERROR: the function exists and was reached but cannot run — its
 *   code, runtime, KMS or VPC setup is broken, or it recursed. Its owner has to
 *   fix the function.
 */
import type { ExecutionFailure } from './types.ts';

/** 5xx errors Lambda uses for a broken function environment; retrying will not help. */
const BROKEN_FUNCTION_ERRORS = new Set([
  'InvalidRuntimeException',
  'InvalidZipFileException',
  'InvalidSecurityGroupIDException',
  'InvalidSubnetIDException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'EC2AccessDeniedException',
  'EFSMountConnectivityException',
  'EFSMountFailureException',
  'RecursiveInvocationException',
  'SnapStartException',
  'CodeArtifactUserFailedException',
  'CodeArtifactUserDeletedException',
  'CodeArtifactUserPendingException',
]);

/** Client-side (4xx) states that clear up by themselves, e.g. a function mid-update. */
const TRANSIENT_CLIENT_ERRORS = new Set([
  'ResourceNotReadyException',
  'ResourceConflictException',
  'SnapStartNotReadyException',
  'SnapStartTimeoutException',
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
]);

interface SdkErrorShape {
  name: string;
  message: string;
  status: number | undefined;
  code: string | undefined;
  headers: Record<string, string>;
  retryAfterSeconds: string | undefined;
}

export function mapInvokeError(error: unknown, signal: AbortSignal, deadline: number): ExecutionFailure {
  if (signal.aborted || (error instanceof Error && error.name === 'AbortError')) {
    return abortFailure(signal, deadline);
  }
  const shape = describe(error);
  const detail = `${shape.name}: ${shape.message}`;

  if (shape.status === undefined) {
    if (shape.code === 'SSRF_BLOCKED') return { code: 'SSRF_BLOCKED', message: shape.message, retryable: false };
    if (shape.code !== undefined && NETWORK_ERROR_CODES.has(shape.code)) {
      return { code: 'CONNECT_ERROR', message: `Could not reach Lambda: ${detail}`, retryable: true };
    }
    if (shape.name === 'TimeoutError') {
      return { code: 'CONNECT_ERROR', message: `Lambda connection timed out: ${shape.message}`, retryable: true };
    }
    if (shape.name === 'CredentialsProviderError') {
      return { code: 'INVALID_CONFIGURATION', message: `No AWS credentials: ${shape.message}`, retryable: false };
    }
    return { code: 'INTERNAL_ERROR', message: `Lambda invocation failed: ${detail}`, retryable: false };
  }

  const retryAfterMs = retryAfter(shape);
  const withRetryAfter = (failure: ExecutionFailure): ExecutionFailure =>
    retryAfterMs === undefined ? failure : { ...failure, retryAfterMs };

  if (shape.status === 429 || shape.name === 'TooManyRequestsException' || shape.name === 'EC2ThrottledException') {
    return withRetryAfter({
      code: 'LAMBDA_THROTTLED',
      message: `Lambda throttled the invocation: ${detail}`,
      retryable: true,
    });
  }
  if (shape.name === 'RequestTooLargeException' || shape.status === 413) {
    return {
      code: 'PAYLOAD_TOO_LARGE',
      message: `Lambda rejected the payload size: ${shape.message}`,
      retryable: false,
    };
  }
  if (BROKEN_FUNCTION_ERRORS.has(shape.name)) {
    return { code: 'FUNCTION_ERROR', message: `The function cannot run: ${detail}`, retryable: false };
  }
  if (TRANSIENT_CLIENT_ERRORS.has(shape.name) || shape.status >= 500) {
    return withRetryAfter({
      code: 'LAMBDA_SERVICE_ERROR',
      message: `Lambda service error (${shape.status}): ${detail}`,
      retryable: true,
    });
  }
  if (shape.name === 'ResourceNotFoundException') {
    return { code: 'INVALID_CONFIGURATION', message: `Lambda function not found: ${shape.message}`, retryable: false };
  }
  if (shape.status === 401 || shape.status === 403) {
    return {
      code: 'INVALID_CONFIGURATION',
      message: `AWS rejected the credentials (${shape.status}): ${detail}`,
      retryable: false,
    };
  }
  return {
    code: 'INVALID_CONFIGURATION',
    message: `Lambda rejected the request (${shape.status}): ${detail}`,
    retryable: false,
  };
}

export function abortFailure(signal: AbortSignal, deadline: number): ExecutionFailure {
  const reason: unknown = signal.reason;
  const timedOut = Date.now() >= deadline || (reason instanceof Error && reason.name === 'TimeoutError');
  return timedOut
    ? { code: 'TIMEOUT', message: 'The Lambda invocation did not finish before the deadline', retryable: false }
    : { code: 'CANCELLED', message: 'The Lambda invocation was cancelled', retryable: false };
}

function describe(error: unknown): SdkErrorShape {
  if (!(error instanceof Error)) {
    return {
      name: 'Error',
      message: String(error),
      status: undefined,
      code: undefined,
      headers: {},
      retryAfterSeconds: undefined,
    };
  }
  const metadata = field(error, '$metadata');
  const status = metadata === undefined ? undefined : field(metadata, 'httpStatusCode');
  const response = field(error, '$response');
  const rawHeaders = response === undefined ? undefined : field(response, 'headers');
  const headers: Record<string, string> = {};
  if (rawHeaders !== null && typeof rawHeaders === 'object') {
    for (const [name, value] of Object.entries(rawHeaders)) {
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
    }
  }
  const code = field(error, 'code');
  const retryAfterSeconds = field(error, 'retryAfterSeconds');
  return {
    name: error.name,
    message: error.message,
    status: typeof status === 'number' ? status : undefined,
    code: typeof code === 'string' ? code : undefined,
    headers,
    retryAfterSeconds: typeof retryAfterSeconds === 'string' ? retryAfterSeconds : undefined,
  };
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

/** Retry-After is either delta-seconds or an HTTP date. */
function retryAfter(shape: SdkErrorShape): number | undefined {
  const raw = shape.retryAfterSeconds ?? shape.headers['retry-after'];
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The HTTP status Lambda answered with, when the failure got that far. */
export function httpStatusOf(error: unknown): number | undefined {
  return describe(error).status;
}
