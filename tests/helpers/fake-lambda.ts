/**
 * A loopback server that speaks the Lambda Invoke REST API closely enough for
 * the real `@aws-sdk/client-lambda` to be used unmodified: it verifies SigV4
 * signatures (recomputed independently with node:crypto), honours the
 * invocation/log type headers and answers errors in restJson1 form so the SDK
 * builds its real exception classes.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { vi } from 'vitest';
import type { JsonValue } from '../../server/executors/types.ts';

const ACCOUNT_ID = '123456789012';
const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
const MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024;
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** The figures of the REPORT line that ends a Tail log, as Lambda writes it. */
export interface FakeReport {
  durationMs: number;
  billedDurationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Only on a cold start. */
  initDurationMs?: number;
}

export type FakeOutcome =
  | {
      kind: 'value';
      value: JsonValue;
      executedVersion?: string;
      logs?: string;
      report?: FakeReport;
      delayMs?: number;
    }
  | {
      kind: 'function-error';
      errorMessage: string;
      errorType?: string;
      handled?: boolean;
      logs?: string;
      report?: FakeReport;
      delayMs?: number;
    }
  | { kind: 'throttled'; message?: string; reason?: string; retryAfterSeconds?: number; delayMs?: number }
  | { kind: 'service-error'; message?: string; delayMs?: number }
  | { kind: 'raw'; status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

export const outcome = {
  value: (
    value: JsonValue,
    extra: Omit<Extract<FakeOutcome, { kind: 'value' }>, 'kind' | 'value'> = {},
  ): FakeOutcome => ({
    kind: 'value',
    value,
    ...extra,
  }),
  functionError: (
    errorMessage: string,
    extra: Omit<Extract<FakeOutcome, { kind: 'function-error' }>, 'kind' | 'errorMessage'> = {},
  ): FakeOutcome => ({ kind: 'function-error', errorMessage, ...extra }),
  throttled: (extra: Omit<Extract<FakeOutcome, { kind: 'throttled' }>, 'kind'> = {}): FakeOutcome => ({
    kind: 'throttled',
    ...extra,
  }),
  serviceError: (message?: string): FakeOutcome => ({ kind: 'service-error', message }),
  raw: (status: number, body?: string, headers?: Record<string, string>): FakeOutcome => ({
    kind: 'raw',
    status,
    body,
    headers,
  }),
};

export interface FakeInvokeInfo {
  functionName: string;
  qualifier: string | null;
  invocationType: string;
  /** Aborted when the client goes away before the response is sent. */
  signal: AbortSignal;
}

export type FakeHandler = (event: JsonValue, info: FakeInvokeInfo) => FakeOutcome | Promise<FakeOutcome>;

export interface RecordedInvoke {
  /** The function name as it appeared in the path (name, ARN or partial ARN, maybe with `:qualifier`). */
  requestedName: string;
  functionName: string;
  qualifier: string | null;
  invocationType: string;
  logType: string | null;
  accessKeyId: string;
  headers: Record<string, string>;
  payload: JsonValue | undefined;
  rawPayload: string;
  status?: number;
  /** True when the client closed the connection before the response was written. */
  aborted: boolean;
}

export interface FakeLambdaOptions {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  functions: Record<string, FakeHandler>;
  /** Event invocations of these functions start before the 202 is sent, which is held this long (a slow network). */
  slowEventAnswers?: { functions: string[]; delayMs: number };
}

export interface FakeLambda {
  url: string;
  calls: RecordedInvoke[];
  /** Every error response sent: signature rejections, throttles, not found, service errors. */
  errorResponses: Array<{ status: number; errorType: string; message: string }>;
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const FUNCTION_REF =
  /^(?:arn:aws[a-zA-Z-]*:lambda:)?(?:([a-z]{2}(?:-gov)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9_.-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;

export async function startFakeLambda(options: FakeLambdaOptions): Promise<FakeLambda> {
  const calls: RecordedInvoke[] = [];
  const errorResponses: FakeLambda['errorResponses'] = [];

  const sendError = (
    res: ServerResponse,
    status: number,
    errorType: string,
    body: Record<string, string>,
    headers: Record<string, string> = {},
  ) => {
    errorResponses.push({ status, errorType, message: body.message ?? body.Message ?? '' });
    if (res.destroyed) return;
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-requestid': randomUUID(),
      'x-amzn-errortype': errorType,
      ...headers,
    });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://fake-lambda');
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const match = req.method === 'POST' ? INVOKE_PATH.exec(rawPath) : null;
    if (!match?.[1]) {
      sendError(res, 404, 'UnknownOperationException', { message: `Unknown operation ${req.method} ${rawPath}` });
      return;
    }

    const auth = verifySignature(req, rawPath, url, body, options);
    if (!auth.ok) {
      sendError(res, 403, auth.errorType, { message: auth.message });
      return;
    }

    const requestedName = decodeURIComponent(match[1]);
    const ref = FUNCTION_REF.exec(requestedName);
    const functionName = ref?.[3];
    const queryQualifier = url.searchParams.get('Qualifier');
    const pathQualifier = ref?.[4] ?? null;
    if (!ref || !functionName) {
      sendError(res, 400, 'ValidationException', {
        message: `1 validation error detected: Value '${requestedName}' at 'functionName' failed to satisfy constraint`,
      });
      return;
    }
    if (ref[1] && ref[1] !== options.region) {
      sendError(res, 400, 'InvalidParameterValueException', {
        Type: 'User',
        message: 'Functions from other regions cannot be invoked',
      });
      return;
    }
    if (pathQualifier && queryQualifier && pathQualifier !== queryQualifier) {
      sendError(res, 400, 'InvalidParameterValueException', {
        Type: 'User',
        message: 'The derived qualifier from the function name does not match the specified qualifier.',
      });
      return;
    }
    const qualifier = queryQualifier ?? pathQualifier;
    const invocationType = header(req, 'x-amz-invocation-type') ?? 'RequestResponse';
    const logType = header(req, 'x-amz-log-type') ?? null;
    const rawPayload = body.toString('utf8');
    const limit = invocationType === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;

    const call: RecordedInvoke = {
      requestedName,
      functionName,
      qualifier,
      invocationType,
      logType,
      accessKeyId: auth.accessKeyId,
      headers: flattenHeaders(req),
      payload: parseJson(rawPayload),
      rawPayload,
      aborted: false,
    };
    calls.push(call);
    const clientGone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) {
        call.aborted = true;
        clientGone.abort();
      }
    });

    if (body.length > limit) {
      call.status = 413;
      sendError(res, 413, 'RequestTooLargeException', {
        Type: 'User',
        message: `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
      });
      return;
    }
    if (rawPayload.length > 0 && call.payload === undefined) {
      call.status = 400;
      sendError(res, 400, 'InvalidRequestContentException', {
        Type: 'User',
        message: 'Could not parse request body into json',
      });
      return;
    }
    const handler = options.functions[functionName];
    if (!handler) {
      call.status = 404;
      sendError(res, 404, 'ResourceNotFoundException', {
        Type: 'User',
        Message: `Function not found: arn:aws:lambda:${options.region}:${ACCOUNT_ID}:function:${functionName}${qualifier ? `:${qualifier}` : ''}`,
      });
      return;
    }
    if (invocationType === 'DryRun') {
      call.status = 204;
      res.writeHead(204, { 'x-amzn-requestid': randomUUID() }).end();
      return;
    }
    if (invocationType === 'Event') {
      call.status = 202;
      const slow = options.slowEventAnswers;
      if (slow?.functions.includes(functionName)) {
        void Promise.resolve(
          handler(call.payload ?? null, { functionName, qualifier, invocationType, signal: clientGone.signal }),
        ).catch(() => {});
        setTimeout(() => res.writeHead(202, { 'x-amzn-requestid': randomUUID() }).end(), slow.delayMs);
        return;
      }
      res.writeHead(202, { 'x-amzn-requestid': randomUUID() }).end();
      // An async invoke still runs the function, just after answering.
      void Promise.resolve(
        handler(call.payload ?? null, { functionName, qualifier, invocationType, signal: clientGone.signal }),
      ).catch(() => {});
      return;
    }

    const result = await handler(call.payload ?? null, {
      functionName,
      qualifier,
      invocationType,
      signal: clientGone.signal,
    });
    if (result.delayMs) await sleep(result.delayMs, clientGone.signal);
    if (res.destroyed) return;
    call.status = writeOutcome(res, result, { qualifier, logType, sendError });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          sendError(res, 500, 'ServiceException', {
            Type: 'Service',
            Message: `fake lambda crashed: ${String(error)}`,
          });
        }
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    errorResponses,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Lambda's real REPORT format: tab-separated fields, a trailing tab, Init Duration only when cold. */
function reportLine(requestId: string, report: FakeReport): string {
  const init = report.initDurationMs === undefined ? '' : `Init Duration: ${report.initDurationMs.toFixed(2)} ms\t`;
  return (
    `REPORT RequestId: ${requestId}\tDuration: ${report.durationMs.toFixed(2)} ms\t` +
    `Billed Duration: ${report.billedDurationMs} ms\tMemory Size: ${report.memorySizeMb} MB\t` +
    `Max Memory Used: ${report.maxMemoryUsedMb} MB\t${init}\n`
  );
}

function writeOutcome(
  res: ServerResponse,
  result: FakeOutcome,
  ctx: {
    qualifier: string | null;
    logType: string | null;
    sendError: (
      res: ServerResponse,
      status: number,
      errorType: string,
      body: Record<string, string>,
      headers?: Record<string, string>,
    ) => void;
  },
): number {
  const requestId = randomUUID();
  const executedVersion = ctx.qualifier && /^\d+$/.test(ctx.qualifier) ? ctx.qualifier : '$LATEST';
  const logHeader = (logs: string | undefined, report?: FakeReport): Record<string, string> =>
    ctx.logType === 'Tail'
      ? {
          'x-amz-log-result': Buffer.from(
            `START RequestId: ${requestId} Version: ${executedVersion}\n${logs ?? ''}END RequestId: ${requestId}\n` +
              (report ? reportLine(requestId, report) : ''),
          ).toString('base64'),
        }
      : {};

  switch (result.kind) {
    case 'value':
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-amzn-requestid': requestId,
        'x-amz-executed-version': result.executedVersion ?? executedVersion,
        ...logHeader(result.logs, result.report),
      });
      res.end(JSON.stringify(result.value));
      return 200;
    case 'function-error':
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-amzn-requestid': requestId,
        'x-amz-executed-version': executedVersion,
        'x-amz-function-error': result.handled ? 'Handled' : 'Unhandled',
        ...logHeader(result.logs, result.report),
      });
      res.end(
        JSON.stringify({ errorMessage: result.errorMessage, errorType: result.errorType ?? 'Error', stackTrace: [] }),
      );
      return 200;
    case 'throttled':
      ctx.sendError(
        res,
        429,
        'TooManyRequestsException',
        {
          message: result.message ?? 'Rate Exceeded.',
          Type: 'User',
          Reason: result.reason ?? 'CallerRateLimitExceeded',
        },
        result.retryAfterSeconds === undefined ? {} : { 'retry-after': String(result.retryAfterSeconds) },
      );
      return 429;
    case 'service-error':
      ctx.sendError(res, 500, 'ServiceException', {
        Type: 'Service',
        Message: result.message ?? 'An internal error occurred.',
      });
      return 500;
    case 'raw':
      res.writeHead(result.status, { 'x-amzn-requestid': requestId, ...result.headers });
      res.end(result.body ?? '');
      return result.status;
  }
}

type SignatureCheck = { ok: true; accessKeyId: string } | { ok: false; errorType: string; message: string };

const AUTH_HEADER =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Recomputes the SigV4 signature of the received request (header form, no presigning). */
function verifySignature(
  req: IncomingMessage,
  rawPath: string,
  url: URL,
  body: Buffer,
  options: FakeLambdaOptions,
): SignatureCheck {
  const authorization = header(req, 'authorization');
  const parsed = authorization ? AUTH_HEADER.exec(authorization) : null;
  if (!parsed) {
    return {
      ok: false,
      errorType: 'IncompleteSignatureException',
      message: 'Authorization header requires a valid AWS4-HMAC-SHA256 signature.',
    };
  }
  const [, accessKeyId = '', date = '', region = '', service = '', signedHeaderList = '', signature = ''] = parsed;
  if (accessKeyId !== options.accessKeyId) {
    return {
      ok: false,
      errorType: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  if (options.sessionToken !== undefined && header(req, 'x-amz-security-token') !== options.sessionToken) {
    return {
      ok: false,
      errorType: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  if (service !== 'lambda' || region !== options.region) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: `Credential should be scoped to a valid region and service 'lambda'.`,
    };
  }
  const amzDate = header(req, 'x-amz-date') ?? '';
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!amzDate.startsWith(date) || Number.isNaN(signedAt) || Math.abs(Date.now() - signedAt) > MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: 'Signature expired or X-Amz-Date is invalid.',
    };
  }

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) {
    return { ok: false, errorType: 'InvalidSignatureException', message: 'Host and X-Amz-Date must be signed.' };
  }
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalQuery = [...url.searchParams.entries()]
    .map(([key, value]) => [escapeUri(key), escapeUri(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const contentSha = header(req, 'x-amz-content-sha256');
  const bodyHash = sha256Hex(body);
  if (contentSha !== undefined && contentSha !== 'UNSIGNED-PAYLOAD' && contentSha !== bodyHash) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message: 'The provided x-amz-content-sha256 header does not match what was computed.',
    };
  }
  const canonicalRequest = [
    req.method ?? 'POST',
    canonicalPath(rawPath),
    canonicalQuery,
    canonicalHeaders,
    signedHeaderList,
    contentSha === 'UNSIGNED-PAYLOAD' ? contentSha : bodyHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(Buffer.from(canonicalRequest))].join('\n');
  let key = hmac(`AWS4${options.secretAccessKey}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const received = Buffer.from(signature);
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
    return {
      ok: false,
      errorType: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return { ok: true, accessKeyId };
}

/** Non-S3 services URI-encode each path segment once more, so `%3A` in an ARN becomes `%253A`. */
function canonicalPath(path: string): string {
  const segments = path.split('/').filter((segment) => segment.length > 0 && segment !== '.');
  return `/${segments.map(escapeUri).join('/')}`;
}

function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function parseJson(text: string): JsonValue | undefined {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Makes the SDK's default credential chain find exactly these keys in the
 * environment (no profile files, no instance metadata): the server's own identity.
 * Returns the undo.
 */
export function stubAwsEnvironment(accessKeyId: string, secretAccessKey: string): () => void {
  vi.stubEnv('AWS_ACCESS_KEY_ID', accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', secretAccessKey);
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
  return () => vi.unstubAllEnvs();
}
