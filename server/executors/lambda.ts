/**
 * The LAMBDA executor: renders the payload, invokes the function with the AWS
 * SDK (one attempt; the engine retries) and normalizes the outcome.
 */
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { LambdaClientCache } from './lambda-clients.ts';
import type { LambdaClientFactory, StaticCredentials } from './lambda-clients.ts';
import { parseLambdaConfiguration } from './lambda-config.ts';
import type { InvocationType, LambdaConfiguration } from './lambda-config.ts';
import { abortFailure, httpStatusOf, mapInvokeError } from './lambda-errors.ts';
import {
  SERVER_CREDENTIALS_DISABLED,
  serverCredentialsRefusal,
  type ServerCredentialsPolicy,
} from './lambda-policy.ts';
import { DEFAULT_LAMBDA_PRICES, parseLambdaReport, reportUsage } from './lambda-report.ts';
import type { LambdaPrices } from './lambda-report.ts';
import { decodeLogs, decodePayload, functionErrorMessage, mapResult } from './lambda-response.ts';
import { renderTemplate, secretNames, TemplateError } from './template.ts';
import { templateScope } from './template-scope.ts';
import type {
  ConfigurationIssue,
  ExecutionFailure,
  Executor,
  ExecutorInput,
  ExecutorOutcome,
  JsonObject,
  JsonValue,
  PreviewInput,
  RecordedRequest,
  TraceContext,
} from './types.ts';
import { secretPlaceholder } from './types.ts';
import { traceHeaders } from '../tracing/trace-context.ts';
import type { SecurityEventSink } from '../security/security-events.ts';
import { recordToolSecurityEvent, toolSecurityOrigin } from '../security/tool-security-events.ts';

/** Lambda's documented request payload limits per invocation type. */
export const MAX_PAYLOAD_BYTES: Record<InvocationType, number> = {
  RequestResponse: 6 * 1024 * 1024,
  Event: 1024 * 1024,
};

/** What `payload_template` defaults to; `defaultPayload` builds the same thing directly. */
export const DEFAULT_PAYLOAD_TEMPLATE: JsonObject = {
  parameters: '${parameters}',
  context: {
    call_sid: '${call_sid}',
    phone_number: '${phone_number}',
    assistant_id: '${context.assistant_id}',
    execution_id: '${context.execution_id}',
    tool_call_id: '${context.tool_call_id}',
    trigger_context: '${context.trigger_context}',
  },
};

const REDACTED = '[REDACTED]';

export interface LambdaExecutorOptions {
  /** Service endpoint for every tool without its own (`AWS_ENDPOINT_URL_LAMBDA`, read by the caller). */
  endpoint?: string;
  clientFactory?: LambdaClientFactory;
  /**
   * Decides whether a tool's own `endpoint` may be contacted: return null to
   * allow, or the reason to refuse. Without a policy every per-tool endpoint is
   * refused, because it lets an organization aim signed requests at any host.
   */
  toolEndpointPolicy?: (url: URL) => string | null | Promise<string | null>;
  /** Save-time twin of `toolEndpointPolicy`: what can be refused without resolving the host. */
  toolEndpointSaveCheck?: (url: URL) => string | null;
  /** Connection agents for per-tool endpoints that re-check every address they connect to. */
  toolEndpointAgents?: (url: URL) => { httpAgent: HttpAgent; httpsAgent: HttpsAgent };
  /** Whether tools without credential fields may run on the server's own AWS identity (default: never). */
  serverCredentials?: ServerCredentialsPolicy;
  maxClients?: number;
  /** Where refused per-tool endpoints (SSRF) are recorded as security events (default: nowhere). */
  securityEvents?: SecurityEventSink;
  /** For the estimated cost recorded from an invocation's REPORT line (default: AWS's x86 prices). */
  prices?: LambdaPrices;
}

export interface LambdaExecutor extends Executor {
  /** Destroys cached clients and their sockets. */
  close(): void;
}

export function createLambdaExecutor(options: LambdaExecutorOptions = {}): LambdaExecutor {
  const clients = new LambdaClientCache(options.clientFactory, options.maxClients);
  const prices = options.prices ?? DEFAULT_LAMBDA_PRICES;

  /** A per-tool endpoint the SSRF policy refused, before the request or when its connection resolved. */
  function refused(input: ExecutorInput, failure: ExecutionFailure): void {
    if (failure.code !== 'SSRF_BLOCKED' || !options.securityEvents) return;
    recordToolSecurityEvent(options.securityEvents, toolSecurityOrigin(input), 'SSRF_REFUSED', failure.code);
  }

  async function execute(input: ExecutorInput): Promise<ExecutorOutcome> {
    const parsed = parseLambdaConfiguration(input.tool.configuration);
    if (!parsed.ok) {
      const message = parsed.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
      return fail({ code: 'INVALID_CONFIGURATION', message, retryable: false });
    }
    const config = parsed.config;
    const serverIdentity = serverCredentialsRefusal(config, options.serverCredentials ?? SERVER_CREDENTIALS_DISABLED);
    if (serverIdentity) {
      return fail({
        code: 'SERVER_CREDENTIALS_NOT_ALLOWED',
        message: `${serverIdentity.field}: ${serverIdentity.message}`,
        retryable: false,
      });
    }

    const endpoint = await resolveEndpoint(config, options);
    if (!endpoint.ok) {
      refused(input, endpoint.error);
      return fail(endpoint.error);
    }

    const secretValues: string[] = [];
    const readSecret = async (name: string, field: string): Promise<string | ExecutionFailure> => {
      const value = await input.secrets.get(name);
      if (value === undefined) {
        return {
          code: 'SECRET_NOT_FOUND',
          message: `Secret "${name}" (${field}) is not set for this organization`,
          retryable: false,
        };
      }
      if (value !== '') secretValues.push(value);
      return value;
    };

    let credentials: StaticCredentials | undefined;
    if (config.access_key_field !== undefined && config.secret_key_field !== undefined) {
      const accessKeyId = await readSecret(config.access_key_field, 'access_key_field');
      if (typeof accessKeyId !== 'string') return fail(accessKeyId);
      const secretAccessKey = await readSecret(config.secret_key_field, 'secret_key_field');
      if (typeof secretAccessKey !== 'string') return fail(secretAccessKey);
      const sessionToken =
        config.session_token_field === undefined
          ? undefined
          : await readSecret(config.session_token_field, 'session_token_field');
      if (sessionToken !== undefined && typeof sessionToken !== 'string') return fail(sessionToken);
      credentials = { accessKeyId, secretAccessKey, ...(sessionToken !== undefined && { sessionToken }) };
    }

    let payload: JsonValue;
    if (config.payload_template === undefined) {
      payload = defaultPayload(input);
    } else {
      const secrets: Record<string, string> = {};
      for (const name of secretNames(config.payload_template)) {
        const value = await readSecret(name, 'payload_template');
        if (typeof value !== 'string') return fail(value);
        secrets[name] = value;
      }
      try {
        payload = renderTemplate(config.payload_template, templateScope(input, secrets), 'json');
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        return fail({ code: 'TEMPLATE_ERROR', message: `payload_template: ${error.message}`, retryable: false });
      }
    }
    if (isObject(payload)) payload = { ...payload, idempotency_key: input.idempotencyKey };
    // Only an object payload can carry the callback; a function never told where to report is not waited for.
    const tracked = config.invocation_type === 'Event' && input.links !== undefined && isObject(payload);
    if (tracked) payload = { ...(payload as JsonObject), switchboard: callbackFields(input) };
    if (input.links) secretValues.push(input.links.progressToken, input.links.callbackToken);

    // The trace context goes to the function but not into the record, which shows the configured payload.
    const body = Buffer.from(JSON.stringify(input.trace ? withTraceContext(payload, input.trace) : payload), 'utf8');
    const limit = MAX_PAYLOAD_BYTES[config.invocation_type];
    // An oversized body is left out of the record: it was never sent and would bloat the execution log.
    const request = recordRequest(config, body.byteLength > limit ? undefined : redact(payload, secretValues));
    if (body.byteLength > limit) {
      return fail(
        {
          code: 'PAYLOAD_TOO_LARGE',
          message: `The payload is ${body.byteLength} bytes; ${config.invocation_type} invocations accept at most ${limit}`,
          retryable: false,
        },
        request,
      );
    }
    if (input.signal.aborted) return fail(abortFailure(input.signal, input.deadline), request);

    const { endpoint: toolEndpoint } = config;
    const makeAgents = options.toolEndpointAgents;
    const client = clients.get({
      region: config.region,
      endpoint: endpoint.url,
      credentials,
      ...(toolEndpoint !== undefined &&
        makeAgents !== undefined && { agents: () => makeAgents(new URL(toolEndpoint)) }),
    });
    let output: InvokeCommandOutput;
    try {
      output = await client.send(
        new InvokeCommand({
          FunctionName: config.function_name,
          InvocationType: config.invocation_type,
          LogType: config.log_type,
          Payload: body,
          ...(config.qualifier !== undefined && { Qualifier: config.qualifier }),
        }),
        { abortSignal: input.signal },
      );
    } catch (error) {
      const statusCode = httpStatusOf(error);
      const failure = mapInvokeError(error, input.signal, input.deadline);
      refused(input, failure);
      return redactOutcome(fail(failure, request, statusCode === undefined ? undefined : { statusCode }), secretValues);
    }
    return redactOutcome(interpret(output, config, request, tracked, prices), secretValues);
  }

  return {
    type: 'LAMBDA',
    execute,
    preview,
    validateConfiguration: (configuration) => saveIssues(configuration, options),
    close: () => clients.close(),
  };
}

/** What an Event invocation's function needs to report back (payload field `switchboard`). */
function callbackFields(input: ExecutorInput): JsonObject {
  const links = input.links!;
  return {
    execution_id: input.context.executionId,
    callback_url: links.callbackUrl,
    progress_url: links.progressUrl,
    token: links.callbackToken,
  };
}

function interpret(
  output: InvokeCommandOutput,
  config: LambdaConfiguration,
  request: RecordedRequest,
  tracked: boolean,
  prices: LambdaPrices,
): ExecutorOutcome {
  const meta: JsonObject = {
    statusCode: output.StatusCode ?? null,
    executedVersion: output.ExecutedVersion ?? null,
    functionError: output.FunctionError ?? null,
    requestId: output.$metadata.requestId ?? null,
  };
  const logs = decodeLogs(output.LogResult);
  const report = parseLambdaReport(logs);
  const extras = {
    request,
    meta,
    ...(logs !== undefined && { logs }),
    ...(report && { usage: reportUsage(report, prices) }),
  };

  if (config.invocation_type === 'Event') {
    const accepted = { success: true, message: 'Invocation accepted', data: { accepted: true } };
    if (!tracked) return { ok: true, result: accepted, ...extras };
    // The function reports its result to the callback URL; the execution stays open until then.
    return {
      ok: true,
      result: { ...accepted, message: 'Invocation accepted; the result will follow' },
      awaitCallback: { timeoutSeconds: config.callback_timeout_seconds },
      ...extras,
    };
  }
  const decoded = decodePayload(output.Payload);
  if (output.FunctionError) {
    return {
      ok: false,
      error: { code: 'FUNCTION_ERROR', message: functionErrorMessage(decoded, output.FunctionError), retryable: false },
      ...extras,
    };
  }
  if (!decoded.ok) {
    return {
      ok: false,
      error: {
        code: 'INVALID_RESPONSE',
        message: 'The function returned a payload that is not JSON',
        retryable: false,
      },
      ...extras,
    };
  }
  return { ok: true, result: mapResult(decoded.value, config.response_handling), ...extras };
}

/** The invocation a run would make: target, whose credentials, and the payload with secrets as `[secret:NAME]`. */
function preview(input: PreviewInput): JsonValue {
  const parsed = parseLambdaConfiguration(input.tool.configuration);
  if (!parsed.ok) return { error: parsed.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ') };
  const config = parsed.config;
  let payload: JsonValue;
  if (config.payload_template === undefined) {
    payload = defaultPayload(input);
  } else {
    try {
      const names = secretNames(config.payload_template);
      const markers = Object.fromEntries(names.map((name) => [name, secretPlaceholder(name)]));
      payload = renderTemplate(config.payload_template, templateScope(input, markers), 'json');
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      return { error: `payload_template: ${error.message}` };
    }
  }
  if (isObject(payload)) payload = { ...payload, idempotency_key: input.idempotencyKey };
  const credential = (name: string | undefined): JsonValue => (name === undefined ? null : secretPlaceholder(name));
  return {
    function_name: config.function_name,
    region: config.region,
    qualifier: config.qualifier ?? null,
    invocation_type: config.invocation_type,
    endpoint: config.endpoint ?? null,
    credentials:
      config.access_key_field === undefined
        ? "the server's own AWS identity"
        : {
            access_key_id: credential(config.access_key_field),
            secret_access_key: credential(config.secret_key_field),
            session_token: credential(config.session_token_field),
          },
    payload,
  };
}

/** Parse issues, then what every run would refuse: the server identity's rules and the endpoint's destination. */
function saveIssues(configuration: JsonObject, options: LambdaExecutorOptions): ConfigurationIssue[] {
  const parsed = parseLambdaConfiguration(configuration);
  if (!parsed.ok) return parsed.issues;
  const { config } = parsed;
  const issues: ConfigurationIssue[] = [];
  const serverIdentity = serverCredentialsRefusal(config, options.serverCredentials ?? SERVER_CREDENTIALS_DISABLED);
  if (serverIdentity) issues.push(serverIdentity);
  if (config.endpoint !== undefined && serverIdentity?.field !== 'endpoint') {
    const refusal = options.toolEndpointPolicy
      ? (options.toolEndpointSaveCheck?.(new URL(config.endpoint)) ?? null)
      : 'per-tool Lambda endpoints are disabled on this server';
    if (refusal !== null) issues.push({ field: 'endpoint', message: refusal });
  }
  return issues;
}

type ResolvedEndpoint = { ok: true; url: string | undefined } | { ok: false; error: ExecutionFailure };

async function resolveEndpoint(config: LambdaConfiguration, options: LambdaExecutorOptions): Promise<ResolvedEndpoint> {
  if (config.endpoint === undefined) return { ok: true, url: options.endpoint };
  const refusal = options.toolEndpointPolicy
    ? await options.toolEndpointPolicy(new URL(config.endpoint))
    : 'per-tool Lambda endpoints are disabled on this server';
  if (refusal !== null) {
    return {
      ok: false,
      error: { code: 'SSRF_BLOCKED', message: `endpoint ${config.endpoint} refused: ${refusal}`, retryable: false },
    };
  }
  return { ok: true, url: config.endpoint };
}

/**
 * Equal to rendering DEFAULT_PAYLOAD_TEMPLATE, built directly so the template
 * language's render budget (sized for HTTP bodies) does not cap Lambda's 6 MB.
 */
function defaultPayload({ parameters, context }: PreviewInput): JsonObject {
  return {
    parameters,
    context: {
      call_sid: context.callSid,
      phone_number: context.phoneNumber,
      assistant_id: context.assistantId,
      execution_id: context.executionId,
      tool_call_id: context.toolCallId,
      trigger_context: context.triggerContext,
    },
  };
}

/**
 * The execution's trace context as `context.traceparent` / `context.tracestate` of an object payload (a `context`
 * object gains them, a missing one is added); other payloads go as they are.
 */
function withTraceContext(payload: JsonValue, trace: TraceContext): JsonValue {
  if (!isObject(payload)) return payload;
  const existing = payload.context;
  if (existing !== undefined && !isObject(existing)) return payload;
  return { ...payload, context: { ...existing, ...traceHeaders(trace) } };
}

function recordRequest(config: LambdaConfiguration, body: JsonValue | undefined): RecordedRequest {
  const target = config.qualifier === undefined ? config.function_name : `${config.function_name}:${config.qualifier}`;
  return {
    method: 'POST',
    url: `lambda://${config.region}/${target}?InvocationType=${config.invocation_type}`,
    headers: {
      'X-Amz-Invocation-Type': config.invocation_type,
      ...(config.log_type === 'Tail' && { 'X-Amz-Log-Type': 'Tail' }),
    },
    ...(body !== undefined && { body }),
  };
}

/** Replaces every occurrence of a secret value inside any string of `value`. */
function redact<T extends JsonValue>(value: T, secrets: string[]): T;
function redact(value: JsonValue, secrets: string[]): JsonValue {
  if (secrets.length === 0) return value;
  const pattern = new RegExp(
    [...new Set(secrets)]
      .sort((a, b) => b.length - a.length)
      .map((secret) => secret.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'))
      .join('|'),
    'g',
  );
  const walk = (node: JsonValue): JsonValue => {
    if (typeof node === 'string') return node.replace(pattern, REDACTED);
    if (Array.isArray(node)) return node.map(walk);
    if (isObject(node)) return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item)]));
    return node;
  };
  return walk(value);
}

/**
 * A function can echo what it was sent; secret values must not reach the
 * assistant or the execution log through its result, error or log tail either.
 */
function redactOutcome(outcome: ExecutorOutcome, secrets: string[]): ExecutorOutcome {
  if (secrets.length === 0) return outcome;
  const logs = outcome.logs?.map((line) => redact(line, secrets));
  const extras = { ...(logs !== undefined && { logs }) };
  if (outcome.ok) {
    const { success, message, data } = outcome.result;
    return {
      ...outcome,
      ...extras,
      result: { success, message: redact(message, secrets), data: redact(data, secrets) },
    };
  }
  return { ...outcome, ...extras, error: { ...outcome.error, message: redact(outcome.error.message, secrets) } };
}

function fail(error: ExecutionFailure, request?: RecordedRequest, meta?: JsonObject): ExecutorOutcome {
  return { ok: false, error, ...(request !== undefined && { request }), ...(meta !== undefined && { meta }) };
}

function isObject(value: JsonValue): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
