/**
 * The ENDPOINT executor: renders the configured request from the call,
 * sends it through the SSRF-guarded client and normalises the response.
 */
import { guardedFetch, GuardedFetchError, type GuardedResponse } from '../security/guarded-fetch.ts';
import type { SecurityEventSink } from '../security/security-events.ts';
import { recordToolSecurityEvent, toolSecurityOrigin } from '../security/tool-security-events.ts';
import type { SsrfPolicy } from '../security/ssrf.ts';
import {
  DEFAULT_API_KEY_HEADER,
  DEFAULT_BODY_TEMPLATE,
  hasBody,
  parseEndpointConfiguration,
  secretBaseUrl,
  type EndpointConfiguration,
} from './endpoint-config.ts';
import { decodeBody, mapResult, statusFailure } from './endpoint-response.ts';
import { templateScope } from './template-scope.ts';
import { createRedactor, REDACTED, type Redactor } from './redaction.ts';
import { renderString, renderTemplate, secretNames, TemplateError, type TemplateScope } from './template.ts';
import type {
  ExecutionErrorCode,
  ExecutionFailure,
  Executor,
  ExecutorInput,
  ExecutorOutcome,
  JsonObject,
  JsonValue,
  PreviewInput,
  RecordedRequest,
  ReportingLinks,
  TraceContext,
} from './types.ts';
import { secretPlaceholder } from './types.ts';
import { traceHeaders } from '../tracing/trace-context.ts';

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;
const USER_AGENT = 'Switchboard-Tool/1.0';
const TRACE_HEADERS = new Set(['traceparent', 'tracestate']);

export interface EndpointExecutorOptions {
  policy: SsrfPolicy;
  maxResponseBytes?: number;
  maxRedirects?: number;
  /** Where the SSRF guard's refusals are recorded as security events (default: nowhere). */
  securityEvents?: SecurityEventSink;
}

interface BuiltRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The JSON value sent, or the form-encoded string. */
  body?: JsonValue;
  /** Lowercase names whose whole value is a credential. */
  credentialHeaders: string[];
  /** Values built from secrets that the upstream receives (Basic auth's `user:password`), scrubbed like them. */
  derivedSecrets: string[];
}

function failure(code: ExecutionErrorCode, message: string, retryable = false): ExecutionFailure {
  return { code, message, retryable };
}

function referencedSecrets(config: EndpointConfiguration): string[] {
  const templates: JsonValue[] = [config.url, config.headers, config.query_parameters, config.auth.username ?? ''];
  if (config.body_template !== undefined) templates.push(config.body_template);
  const names = templates.flatMap(secretNames);
  if (config.auth.type === 'bearer' || config.auth.type === 'api_key') names.push(config.auth.secret_name ?? '');
  if (config.auth.type === 'basic') names.push(config.auth.password_secret ?? '');
  return [...new Set(names.filter((name) => name !== ''))];
}

function renderHeader(name: string, template: string, scope: TemplateScope): string {
  const value = renderString(template, scope, 'text');
  if (/[\r\n\0]/.test(value)) throw new TemplateError(name, `Header ${name} would contain a line break`);
  return value;
}

function withQuery(url: string, query: Record<string, string>, scope: TemplateScope): string {
  const [base = '', fragment] = url.split('#', 2);
  const pairs = Object.entries(query).map(
    ([name, template]) => `${encodeURIComponent(name)}=${encodeURIComponent(renderString(template, scope, 'text'))}`,
  );
  if (pairs.length === 0) return url;
  const joined = `${base}${base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?'}${pairs.join('&')}`;
  return fragment === undefined ? joined : `${joined}#${fragment}`;
}

/** A secret that holds the base URL is used as it is (not percent-encoded), and must be an http(s) URL. */
function renderUrl(template: string, scope: TemplateScope): string {
  const secretBase = secretBaseUrl(template);
  if (!secretBase) return renderString(template, scope, 'url');
  const base = scope.secrets[secretBase.secret] ?? '';
  const parsed = URL.canParse(base) ? new URL(base) : null;
  // The preview's `[secret:NAME]` marker stands in for the URL.
  const isMarker = base === secretPlaceholder(secretBase.secret);
  if (!isMarker && (parsed === null || !/^https?:$/.test(parsed.protocol))) {
    throw new TemplateError(
      `secrets.${secretBase.secret}`,
      `Secret "${secretBase.secret}" must hold an http:// or https:// URL`,
    );
  }
  if (!isMarker && (parsed?.username !== '' || parsed.password !== '')) {
    throw new TemplateError(
      `secrets.${secretBase.secret}`,
      `Secret "${secretBase.secret}" must not hold credentials in the URL; use auth instead`,
    );
  }
  return `${base}${renderString(secretBase.rest, scope, 'url')}`;
}

/** A flat object of scalars as `application/x-www-form-urlencoded`; null fields (left-out parameters) are omitted. */
function formEncode(value: JsonValue): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TemplateError('', 'A form body renders to an object of field names to values');
  }
  const form = new URLSearchParams();
  for (const [name, item] of Object.entries(value)) {
    if (item === null) continue;
    if (typeof item === 'object') throw new TemplateError(name, `Form field ${name} would be an object or array`);
    form.append(name, String(item));
  }
  return form.toString();
}

function buildRequest(
  config: EndpointConfiguration,
  scope: TemplateScope,
  idempotencyKey: string,
  links?: ReportingLinks,
): BuiltRequest {
  const url = withQuery(renderUrl(config.url, scope), config.query_parameters, scope);
  const headers = new Map<string, [string, string]>();
  const set = (name: string, value: string): void => void headers.set(name.toLowerCase(), [name, value]);
  set('Accept', 'application/json, text/*;q=0.9');
  set('User-Agent', USER_AGENT);
  for (const [name, template] of Object.entries(config.headers)) set(name, renderHeader(name, template, scope));

  const bodyTemplate = config.body_template ?? (hasBody(config.method) ? DEFAULT_BODY_TEMPLATE : undefined);
  const rendered = bodyTemplate === undefined ? undefined : renderTemplate(bodyTemplate, scope, 'json');
  const form = config.body_format === 'form';
  const body = rendered === undefined || !form ? rendered : formEncode(rendered);
  if (body !== undefined && !headers.has('content-type')) {
    set('Content-Type', form ? 'application/x-www-form-urlencoded' : 'application/json');
  }

  const credentialHeaders: string[] = [];
  const derivedSecrets: string[] = [];
  const { auth } = config;
  const secret = (name: string | undefined): string => scope.secrets[name ?? ''] ?? '';
  if (auth.type === 'bearer') {
    set('Authorization', `Bearer ${secret(auth.secret_name)}`);
    credentialHeaders.push('authorization');
  } else if (auth.type === 'api_key') {
    const headerName = auth.header_name ?? DEFAULT_API_KEY_HEADER;
    set(headerName, secret(auth.secret_name));
    credentialHeaders.push(headerName.toLowerCase());
  } else if (auth.type === 'basic') {
    const username = renderHeader('Authorization', auth.username ?? '', scope);
    const credential = `${username}:${secret(auth.password_secret)}`;
    derivedSecrets.push(credential);
    set('Authorization', `Basic ${Buffer.from(credential).toString('base64')}`);
    credentialHeaders.push('authorization');
  }
  set('Idempotency-Key', idempotencyKey);
  if (links) {
    // Where the upstream may POST progress while it holds this request (the token opens that URL only).
    set('Switchboard-Progress-Url', links.progressUrl);
    set('Switchboard-Progress-Token', links.progressToken);
    credentialHeaders.push('switchboard-progress-token');
  }

  return {
    method: config.method,
    url,
    headers: Object.fromEntries(headers.values()),
    ...(body === undefined ? {} : { body }),
    credentialHeaders,
    derivedSecrets,
  };
}

function encodedBody(built: BuiltRequest, config: EndpointConfiguration): string {
  return config.body_format === 'form' && typeof built.body === 'string' ? built.body : JSON.stringify(built.body);
}

function recordRequest(request: BuiltRequest, redactor: Redactor): RecordedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    headers[name] =
      request.credentialHeaders.includes(lower) || lower === 'authorization' ? REDACTED : redactor.text(value);
  }
  return {
    method: request.method,
    url: redactor.text(request.url),
    headers,
    ...(request.body === undefined ? {} : { body: redactor.json(request.body) }),
  };
}

/**
 * The execution's trace context replaces any `traceparent`/`tracestate` the tool's headers set, so the upstream
 * continues this trace; added after the request is recorded, so the record shows the configured request.
 */
function withTraceHeaders(headers: Record<string, string>, trace: TraceContext): Record<string, string> {
  const kept = Object.entries(headers).filter(([name]) => !TRACE_HEADERS.has(name.toLowerCase()));
  return { ...Object.fromEntries(kept), ...traceHeaders(trace) };
}

function abortedFailure(input: ExecutorInput): ExecutionFailure {
  return Date.now() >= input.deadline ||
    (input.signal.reason instanceof Error && input.signal.reason.name === 'TimeoutError')
    ? failure('TIMEOUT', 'The execution deadline passed')
    : failure('CANCELLED', 'The execution was cancelled');
}

type ParsedConfiguration = ReturnType<typeof parseEndpointConfiguration>;

/**
 * Parses of configurations that cannot change: the engine's cached lookups are
 * frozen and shared by every run of a tool version, so each is parsed once.
 */
const parsedFrozen = new WeakMap<JsonObject, ParsedConfiguration>();

function parsedConfiguration(configuration: JsonObject): ParsedConfiguration {
  if (!Object.isFrozen(configuration)) return parseEndpointConfiguration(configuration);
  let parsed = parsedFrozen.get(configuration);
  if (!parsed) {
    parsed = parseEndpointConfiguration(configuration);
    parsedFrozen.set(configuration, parsed);
  }
  return parsed;
}

async function execute(input: ExecutorInput, options: EndpointExecutorOptions): Promise<ExecutorOutcome> {
  const parsed = parsedConfiguration(input.tool.configuration);
  if (parsed.issues.length > 0) {
    const message = parsed.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
    return { ok: false, error: failure('INVALID_CONFIGURATION', message) };
  }
  const config = parsed.configuration;
  if (input.signal.aborted) return { ok: false, error: abortedFailure(input) };

  const secrets: Record<string, string> = {};
  for (const name of referencedSecrets(config)) {
    const value = await input.secrets.get(name);
    if (value === undefined) {
      return { ok: false, error: failure('SECRET_NOT_FOUND', `Secret "${name}" is not set for this organization`) };
    }
    secrets[name] = value;
  }
  const tokens = input.links ? [input.links.progressToken, input.links.callbackToken] : [];
  let redactor = createRedactor([...Object.values(secrets), ...tokens]);
  const scope = templateScope(input, secrets);

  let built: BuiltRequest;
  try {
    built = buildRequest(config, scope, input.idempotencyKey, input.links);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return { ok: false, error: failure('TEMPLATE_ERROR', redactor.text(error.message)) };
  }
  if (built.derivedSecrets.length > 0) {
    for (const derived of built.derivedSecrets) input.secrets.reveal?.(derived);
    redactor = createRedactor([...Object.values(secrets), ...tokens, ...built.derivedSecrets]);
  }
  const request = recordRequest(built, redactor);

  const remaining = Math.min(config.timeout_ms, input.deadline - Date.now());
  if (remaining <= 0) return { ok: false, error: failure('TIMEOUT', 'The execution deadline passed'), request };
  const started = Date.now();
  let response: GuardedResponse;
  try {
    response = await guardedFetch(
      {
        url: built.url,
        method: built.method,
        headers: input.trace ? withTraceHeaders(built.headers, input.trace) : built.headers,
        ...(built.body === undefined ? {} : { body: encodedBody(built, config) }),
      },
      {
        policy: options.policy,
        signal: AbortSignal.any([input.signal, AbortSignal.timeout(remaining)]),
        maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
        sensitiveHeaders: built.credentialHeaders,
      },
    );
  } catch (error) {
    if (!(error instanceof GuardedFetchError)) throw error;
    const code = error.code === 'CANCELLED' && Date.now() >= input.deadline ? 'TIMEOUT' : error.code;
    if (code === 'SSRF_BLOCKED' && options.securityEvents) {
      recordToolSecurityEvent(options.securityEvents, toolSecurityOrigin(input), 'SSRF_REFUSED', code);
    }
    return { ok: false, error: failure(code, redactor.text(error.message), code === 'CONNECT_ERROR'), request };
  }

  const meta: JsonObject = {
    status: response.status,
    final_url: redactor.text(response.url),
    remote_address: response.remoteAddress,
    duration_ms: Date.now() - started,
  };
  if (response.status < 200 || response.status > 299) {
    return { ok: false, error: statusFailure(response, redactor.text), request, meta };
  }
  const decoded = decodeBody(response);
  if (!decoded.ok) return { ok: false, error: decoded.error, request, meta };
  return { ok: true, result: mapResult(decoded.body, response.status, config.response_handling), request, meta };
}

/** The request a run would send, secrets as `[secret:NAME]` (Basic credentials shown before encoding). */
function preview(input: PreviewInput): JsonValue {
  const parsed = parsedConfiguration(input.tool.configuration);
  if (parsed.issues.length > 0) {
    return { error: parsed.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ') };
  }
  const config = parsed.configuration;
  const names = referencedSecrets(config);
  const markers = Object.fromEntries(names.map((name) => [name, secretPlaceholder(name)]));
  let built: BuiltRequest;
  try {
    built = buildRequest(config, templateScope(input, markers), input.idempotencyKey);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return { error: error.message };
  }
  // Markers stay readable where the request percent-encodes them.
  const readable = (text: string): string =>
    names.reduce(
      (result, name) => result.replaceAll(encodeURIComponent(secretPlaceholder(name)), secretPlaceholder(name)),
      text,
    );
  const headers = Object.fromEntries(Object.entries(built.headers).map(([name, value]) => [name, readable(value)]));
  const [credential] = built.derivedSecrets;
  if (credential !== undefined) headers.Authorization = `Basic base64(${credential})`;
  const body = typeof built.body === 'string' && config.body_format === 'form' ? readable(built.body) : built.body;
  return {
    method: built.method,
    url: readable(built.url),
    headers,
    ...(body === undefined ? {} : { body }),
  };
}

/** Executor for `ENDPOINT` tools; every request goes through `guardedFetch` with `policy`. */
export function createEndpointExecutor(options: EndpointExecutorOptions): Executor {
  return {
    type: 'ENDPOINT',
    execute: (input) => execute(input, options),
    preview,
    validateConfiguration: (configuration) => parseEndpointConfiguration(configuration, options.policy).issues,
  };
}
