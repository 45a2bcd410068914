/**
 * The LAMBDA tool's configuration: parsing for execution and issue listing for
 * save-time validation share one code path, so a saved tool never fails at call
 * time on something validation accepted.
 */
import { validatePlaceholders } from './template.ts';
import type { ConfigurationIssue, JsonObject, JsonValue } from './types.ts';

export type InvocationType = 'RequestResponse' | 'Event';
export type LogType = 'None' | 'Tail';

export interface ResponseHandling {
  success_field?: string;
  message_field?: string;
  data_field?: string;
}

export interface LambdaConfiguration {
  function_name: string;
  region: string;
  invocation_type: InvocationType;
  qualifier?: string;
  /** Absent means the built-in payload (see `defaultPayload`). */
  payload_template?: JsonValue;
  log_type: LogType;
  access_key_field?: string;
  secret_key_field?: string;
  session_token_field?: string;
  endpoint?: string;
  response_handling: ResponseHandling;
  /** Event invocations: how long the execution waits for the function's callback before it ends TIMEOUT. */
  callback_timeout_seconds: number;
}

export const DEFAULT_CALLBACK_TIMEOUT_SECONDS = 900;
/** A day: a callback later than that is not coming (and the row would hold its call's settlement open). */
export const MAX_CALLBACK_TIMEOUT_SECONDS = 86_400;

/** AWS's own FunctionName pattern for Invoke: a name, a full ARN or a partial ARN, optionally `:qualifier`. */
const FUNCTION_NAME =
  /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:([a-z]{2}(?:-gov)?-[a-z]+-\d):)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9_.-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;
const MAX_FUNCTION_NAME_LENGTH = 170;
const MAX_BARE_NAME_LENGTH = 64;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const QUALIFIER = /^(\$LATEST|[a-zA-Z0-9_-]{1,128})$/;
const INVOCATION_TYPES: readonly string[] = ['RequestResponse', 'Event'];
const LOG_TYPES: readonly string[] = ['None', 'Tail'];
const CREDENTIAL_FIELDS = ['access_key_field', 'secret_key_field', 'session_token_field'] as const;
const RESPONSE_FIELDS = ['success_field', 'message_field', 'data_field'] as const;
const DOTTED_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export type ParsedConfiguration =
  { ok: true; config: LambdaConfiguration } | { ok: false; issues: ConfigurationIssue[] };

export function parseLambdaConfiguration(configuration: JsonObject): ParsedConfiguration {
  const issues: ConfigurationIssue[] = [];
  const issue = (field: string, message: string) => issues.push({ field, message });

  const functionName = optionalString(configuration, 'function_name', issue);
  let arnRegion: string | undefined;
  let arnQualifier: string | undefined;
  if (functionName === undefined) {
    if (configuration.function_name == null)
      issue('function_name', 'function_name is required: a function name, ARN or partial ARN');
  } else if (functionName.length > MAX_FUNCTION_NAME_LENGTH) {
    issue('function_name', `function_name must be at most ${MAX_FUNCTION_NAME_LENGTH} characters`);
  } else {
    const match = FUNCTION_NAME.exec(functionName);
    if (!match) {
      issue(
        'function_name',
        'function_name must be a function name (letters, digits, - and _), a function ARN or a partial ARN',
      );
    } else {
      arnRegion = match[1];
      arnQualifier = match[3];
      if ((match[2] ?? '').length > MAX_BARE_NAME_LENGTH) {
        issue('function_name', `The function's name must be at most ${MAX_BARE_NAME_LENGTH} characters`);
      }
    }
  }

  const region = optionalString(configuration, 'region', issue);
  if (region === undefined) {
    if (configuration.region == null) issue('region', 'region is required, e.g. us-east-1');
  } else if (!REGION.test(region)) issue('region', `"${region}" is not an AWS region name like us-east-1`);
  else if (arnRegion !== undefined && arnRegion !== region) {
    issue(
      'function_name',
      `The ARN's region ${arnRegion} differs from region ${region}; Lambda cannot invoke across regions`,
    );
  }

  const invocationType = optionalString(configuration, 'invocation_type', issue) ?? 'RequestResponse';
  if (!INVOCATION_TYPES.includes(invocationType))
    issue('invocation_type', 'invocation_type must be RequestResponse or Event');

  const logType = optionalString(configuration, 'log_type', issue) ?? 'None';
  if (!LOG_TYPES.includes(logType)) issue('log_type', 'log_type must be None or Tail');
  else if (logType === 'Tail' && invocationType === 'Event') {
    issue('log_type', 'log_type Tail only applies to RequestResponse invocations');
  }

  const qualifier = optionalString(configuration, 'qualifier', issue);
  if (qualifier !== undefined) {
    if (!QUALIFIER.test(qualifier)) issue('qualifier', 'qualifier must be a version number, an alias name or $LATEST');
    else if (arnQualifier !== undefined && arnQualifier !== qualifier) {
      issue('qualifier', `qualifier ${qualifier} conflicts with :${arnQualifier} in function_name`);
    }
  }

  const payloadTemplate = configuration.payload_template;
  if (payloadTemplate !== undefined && payloadTemplate !== null) {
    for (const problem of validatePlaceholders(payloadTemplate)) issue('payload_template', problem.message);
  }

  const credentials: Partial<Record<(typeof CREDENTIAL_FIELDS)[number], string>> = {};
  for (const field of CREDENTIAL_FIELDS) {
    const value = optionalString(configuration, field, issue);
    if (value !== undefined && value.trim() === '') issue(field, `${field} must name a secret`);
    else if (value !== undefined) credentials[field] = value;
  }
  if ((credentials.access_key_field === undefined) !== (credentials.secret_key_field === undefined)) {
    const missing = credentials.access_key_field === undefined ? 'access_key_field' : 'secret_key_field';
    issue(
      missing,
      'access_key_field and secret_key_field must be set together (or neither, to use the server credentials)',
    );
  }
  if (credentials.session_token_field !== undefined && credentials.access_key_field === undefined) {
    issue('session_token_field', 'session_token_field needs access_key_field and secret_key_field');
  }

  const endpoint = optionalString(configuration, 'endpoint', issue);
  if (endpoint !== undefined && !isHttpUrl(endpoint)) issue('endpoint', 'endpoint must be an http(s) URL');

  const callbackTimeout = configuration.callback_timeout_seconds ?? DEFAULT_CALLBACK_TIMEOUT_SECONDS;
  if (
    typeof callbackTimeout !== 'number' ||
    !Number.isInteger(callbackTimeout) ||
    callbackTimeout < 1 ||
    callbackTimeout > MAX_CALLBACK_TIMEOUT_SECONDS
  ) {
    issue(
      'callback_timeout_seconds',
      `callback_timeout_seconds must be a whole number of seconds from 1 to ${MAX_CALLBACK_TIMEOUT_SECONDS}`,
    );
  }

  const responseHandling: ResponseHandling = {};
  const rawHandling = configuration.response_handling;
  if (rawHandling !== undefined && rawHandling !== null) {
    if (typeof rawHandling !== 'object' || Array.isArray(rawHandling)) {
      issue('response_handling', 'response_handling must be an object');
    } else {
      for (const field of RESPONSE_FIELDS) {
        const value = rawHandling[field];
        if (value === undefined || value === null) continue;
        if (typeof value !== 'string' || !DOTTED_PATH.test(value)) {
          issue(`response_handling.${field}`, `${field} must be a dotted field path like result.ok`);
        } else {
          responseHandling[field] = value;
        }
      }
    }
  }

  if (issues.length > 0 || functionName === undefined || region === undefined) {
    return { ok: false, issues };
  }
  return {
    ok: true,
    config: {
      function_name: functionName,
      region,
      invocation_type: invocationType as InvocationType,
      log_type: logType as LogType,
      response_handling: responseHandling,
      callback_timeout_seconds: callbackTimeout as number,
      ...(qualifier !== undefined && { qualifier }),
      ...(payloadTemplate !== undefined && payloadTemplate !== null && { payload_template: payloadTemplate }),
      ...credentials,
      ...(endpoint !== undefined && { endpoint }),
    },
  };
}

/** `function_name` without a trailing `:qualifier` (names, partial and full ARNs alike). */
export function unqualifiedFunctionName(functionName: string): string {
  const qualifier = FUNCTION_NAME.exec(functionName)?.[3];
  return qualifier === undefined ? functionName : functionName.slice(0, -(qualifier.length + 1));
}

export function validateLambdaConfiguration(configuration: JsonObject): ConfigurationIssue[] {
  const parsed = parseLambdaConfiguration(configuration);
  return parsed.ok ? [] : parsed.issues;
}

function optionalString(
  configuration: JsonObject,
  field: string,
  issue: (field: string, message: string) => void,
): string | undefined {
  const value = configuration[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    issue(field, `${field} must be a string`);
    return undefined;
  }
  return value;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
