/**
 * The ENDPOINT tool's configuration: parsing, defaults and save-time issues.
 * Field names are snake_case like the rest of a tool's stored configuration.
 */
import { isIP } from 'node:net';
import {
  isForbiddenAddress,
  isForbiddenHostname,
  normalizeHostname,
  privateHostMessage,
  type SsrfPolicy,
} from '../security/ssrf.ts';
import { validatePlaceholders } from './template.ts';
import type { ConfigurationIssue, JsonObject, JsonValue } from './types.ts';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const AUTH_TYPES = ['none', 'bearer', 'api_key', 'basic'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];
/** `form`: a flat object sent as application/x-www-form-urlencoded (Twilio and other older APIs). */
export const BODY_FORMATS = ['json', 'form'] as const;
export type BodyFormat = (typeof BODY_FORMATS)[number];

export const DEFAULT_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 60_000;
export const DEFAULT_API_KEY_HEADER = 'X-API-Key';
/** Used when a body-carrying method has no `body_template`. */
export const DEFAULT_BODY_TEMPLATE = '${parameters}';

export interface EndpointAuth {
  type: AuthType;
  /** Bearer token or API key. */
  secret_name?: string;
  header_name?: string;
  username?: string;
  password_secret?: string;
}

export interface ResponseHandling {
  success_field?: string;
  message_field?: string;
  data_field?: string;
}

export interface EndpointConfiguration {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  query_parameters: Record<string, string>;
  /** Undefined: no body (GET/DELETE) or `${parameters}` (POST/PUT/PATCH). */
  body_template?: JsonValue;
  body_format: BodyFormat;
  auth: EndpointAuth;
  response_handling: ResponseHandling;
  timeout_ms: number;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SECRET_NAME = /^[A-Za-z0-9_.-]+$/;
const FIELD_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** A URL that starts with a secret holding its base (a Slack or Zapier hook URL is itself the credential). */
const SECRET_BASE_URL = /^\$\{\s*secrets\.([A-Za-z0-9_.-]+)\s*\}/;
/** The client sets these itself; letting a tool set them would desynchronise the request. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'idempotency-key']);

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function hasBody(method: HttpMethod): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

class IssueList {
  readonly issues: ConfigurationIssue[] = [];

  add(field: string, message: string, reason?: ConfigurationIssue['reason']): void {
    this.issues.push(reason ? { field, message, reason } : { field, message });
  }

  template(field: string, template: JsonValue): void {
    for (const issue of validatePlaceholders(template)) this.add(field, issue.message);
  }
}

function stringMap(value: JsonValue | undefined, field: string, issues: IssueList): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) {
    issues.add(field, `${field} must be an object of strings`);
    return {};
  }
  const map: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string') map[key] = item;
    else issues.add(`${field}.${key}`, 'Must be a string');
  }
  return map;
}

/** The secret whose value is the URL's base, when the URL starts with one (`${secrets.SLACK_WEBHOOK_URL}`). */
export function secretBaseUrl(url: string): { secret: string; rest: string } | null {
  const match = SECRET_BASE_URL.exec(url);
  return match ? { secret: match[1] ?? '', rest: url.slice(match[0].length) } : null;
}

function checkUrl(url: string, issues: IssueList, policy: SsrfPolicy | undefined): void {
  const secretBase = secretBaseUrl(url);
  if (secretBase) {
    // The host is only known at run time; the guarded client checks the destination then.
    issues.template('url', url);
    if (secretBase.rest !== '' && !/^[/?]/.test(secretBase.rest)) {
      issues.add('url', 'After a secret that holds the base URL, the URL continues with "/" or "?"');
    }
    return;
  }
  const scheme = /^(https?):\/\//i.exec(url);
  if (!scheme) return issues.add('url', 'The URL must start with http:// or https://');
  issues.template('url', url);
  const authority = url.slice(scheme[0].length).split(/[/?#]/, 1)[0] ?? '';
  if (authority.includes('${parameters')) {
    issues.add('url', 'The host must not come from a parameter: the assistant could point the tool anywhere');
  }
  let parsed: URL;
  try {
    parsed = new URL(url.replaceAll(/\$\{[^}]*\}/g, 'x'));
  } catch {
    return issues.add('url', 'The URL is not valid');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    issues.add('url', 'The URL must not contain credentials; use auth instead');
  }
  if (policy === undefined || authority.includes('${')) return;
  const host = normalizeHostname(parsed.hostname);
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  const literalForbidden = isIP(host) !== 0 ? isForbiddenAddress(host) : isForbiddenHostname(host);
  if (literalForbidden && !policy.isAllowListedHost(host, port)) {
    issues.add('url', privateHostMessage(host), 'PRIVATE_HOST');
  }
}

function parseAuth(value: JsonValue | undefined, issues: IssueList): EndpointAuth {
  if (value === undefined || value === null) return { type: 'none' };
  if (!isObject(value)) {
    issues.add('auth', 'auth must be an object');
    return { type: 'none' };
  }
  const type = value.type ?? 'none';
  if (typeof type !== 'string' || !(AUTH_TYPES as readonly string[]).includes(type)) {
    issues.add('auth.type', `auth.type must be one of ${AUTH_TYPES.join(', ')}`);
    return { type: 'none' };
  }
  const auth: EndpointAuth = { type: type as AuthType };
  const readString = (key: 'secret_name' | 'header_name' | 'username' | 'password_secret', required: boolean): void => {
    const item = value[key];
    if (item === undefined || item === null || item === '') {
      if (required) issues.add(`auth.${key}`, `auth.${key} is required for ${type} auth`);
    } else if (typeof item !== 'string') {
      issues.add(`auth.${key}`, `auth.${key} must be a string`);
    } else {
      auth[key] = item;
    }
  };
  if (auth.type === 'bearer' || auth.type === 'api_key') readString('secret_name', true);
  if (auth.type === 'api_key') readString('header_name', false);
  if (auth.type === 'basic') {
    readString('username', true);
    readString('password_secret', true);
  }
  for (const key of ['secret_name', 'password_secret'] as const) {
    const name = auth[key];
    if (name !== undefined && !SECRET_NAME.test(name))
      issues.add(`auth.${key}`, 'Secret names use letters, digits, _ . -');
  }
  if (auth.header_name !== undefined && !HEADER_NAME.test(auth.header_name)) {
    issues.add('auth.header_name', 'Not a valid header name');
  }
  if (auth.username !== undefined) {
    issues.template('auth.username', auth.username);
    if (auth.username.includes(':')) issues.add('auth.username', 'A basic-auth username cannot contain ":"');
  }
  return auth;
}

function parseResponseHandling(value: JsonValue | undefined, issues: IssueList): ResponseHandling {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) {
    issues.add('response_handling', 'response_handling must be an object');
    return {};
  }
  const handling: ResponseHandling = {};
  for (const key of ['success_field', 'message_field', 'data_field'] as const) {
    const item = value[key];
    if (item === undefined || item === null || item === '') continue;
    if (typeof item !== 'string' || !FIELD_PATH.test(item)) {
      issues.add(`response_handling.${key}`, 'Use a dotted path into the response, e.g. result.status');
    } else {
      handling[key] = item;
    }
  }
  return handling;
}

function parseBodyFormat(value: JsonValue | undefined, body: JsonValue | undefined, issues: IssueList): BodyFormat {
  if (value === undefined || value === null) return 'json';
  if (typeof value !== 'string' || !(BODY_FORMATS as readonly string[]).includes(value)) {
    issues.add('body_format', `body_format must be one of ${BODY_FORMATS.join(', ')}`);
    return 'json';
  }
  if (value === 'form' && body !== undefined && body !== null) {
    if (!isObject(body)) issues.add('body_template', 'A form body is an object of field names to values');
    else {
      for (const [name, item] of Object.entries(body)) {
        if (item !== null && typeof item === 'object') {
          issues.add(`body_template.${name}`, 'A form field must be a string, number or boolean');
        }
      }
    }
  }
  return value as BodyFormat;
}

/** Reads a stored configuration; `issues` is empty when it is usable. */
export function parseEndpointConfiguration(
  configuration: JsonObject,
  policy?: SsrfPolicy,
): { configuration: EndpointConfiguration; issues: ConfigurationIssue[] } {
  const issues = new IssueList();
  const url = configuration.url;
  if (typeof url !== 'string' || url.trim() === '') issues.add('url', 'url is required');
  else checkUrl(url, issues, policy);

  const rawMethod = configuration.method;
  const method = typeof rawMethod === 'string' ? rawMethod.toUpperCase() : '';
  if (!(HTTP_METHODS as readonly string[]).includes(method)) {
    issues.add('method', `method must be one of ${HTTP_METHODS.join(', ')}`);
  }

  const headers = stringMap(configuration.headers, 'headers', issues);
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) issues.add(`headers.${name}`, 'Not a valid header name');
    else if (RESERVED_HEADERS.has(name.toLowerCase())) issues.add(`headers.${name}`, `${name} is set by Switchboard`);
    issues.template(`headers.${name}`, value);
  }
  const query = stringMap(configuration.query_parameters, 'query_parameters', issues);
  for (const [name, value] of Object.entries(query)) issues.template(`query_parameters.${name}`, value);

  const body = configuration.body_template;
  if (body !== undefined && body !== null) {
    if (method === 'GET') issues.add('body_template', 'GET requests cannot have a body; use query_parameters');
    issues.template('body_template', body);
  }
  const bodyFormat = parseBodyFormat(configuration.body_format, body, issues);

  const auth = parseAuth(configuration.auth, issues);
  const responseHandling = parseResponseHandling(configuration.response_handling, issues);

  let timeout = DEFAULT_TIMEOUT_MS;
  const rawTimeout = configuration.timeout_ms;
  if (rawTimeout !== undefined && rawTimeout !== null) {
    if (
      typeof rawTimeout !== 'number' ||
      !Number.isInteger(rawTimeout) ||
      rawTimeout < 1 ||
      rawTimeout > MAX_TIMEOUT_MS
    ) {
      issues.add('timeout_ms', `timeout_ms must be an integer between 1 and ${MAX_TIMEOUT_MS}`);
    } else {
      timeout = rawTimeout;
    }
  }

  return {
    configuration: {
      url: typeof url === 'string' ? url.trim() : '',
      method: method as HttpMethod,
      headers,
      query_parameters: query,
      ...(body === undefined || body === null ? {} : { body_template: body }),
      body_format: bodyFormat,
      auth,
      response_handling: responseHandling,
      timeout_ms: timeout,
    },
    issues: issues.issues,
  };
}
