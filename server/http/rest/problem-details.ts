/**
 * RFC 9457 problem details for the REST API, from GraphQL errors (extensions.code) and from
 * the error members of result unions.
 */

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  issues?: unknown[];
}

const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  BAD_USER_INPUT: 400,
  BAD_REQUEST: 400,
  VALIDATION: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  GRAPHQL_PARSE_FAILED: 400,
  QUERY_TOO_COMPLEX: 400,
  PERSISTED_QUERY_NOT_FOUND: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  FEATURE_DISABLED: 403,
  METHOD_NOT_ALLOWED: 405,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

/** The result-union members that are failures, and the code each one carries. */
export const UNION_ERROR_CODES: Record<string, string> = {
  NotFoundError: 'NOT_FOUND',
  ConflictError: 'CONFLICT',
  ValidationError: 'VALIDATION',
  // The organization switched the tool type off: the request is refused, not malformed.
  FeatureDisabledError: 'FEATURE_DISABLED',
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problem(code: string, detail: string, issues?: unknown[]): Problem {
  const status = STATUS_BY_CODE[code] ?? 500;
  return {
    type: `urn:switchboard:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(issues ? { issues } : {}),
  };
}

export interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: unknown; issues?: unknown };
}

/**
 * The first error decides. An error without a code is a request GraphQL refused before running
 * it (variables that do not coerce) when the HTTP status says 4xx, else a masked internal error.
 */
export function problemFromGraphQLErrors(errors: GraphQLErrorBody[], httpStatus: number): Problem {
  const first = errors[0] ?? { message: 'unknown error' };
  const code = typeof first.extensions?.code === 'string' ? first.extensions.code : null;
  const issues = Array.isArray(first.extensions?.issues) ? first.extensions.issues : undefined;
  if (code && code in STATUS_BY_CODE) return problem(code, first.message, issues);
  if (httpStatus >= 400 && httpStatus < 500) return problem('BAD_USER_INPUT', first.message, issues);
  return problem(code ?? 'INTERNAL_SERVER_ERROR', first.message);
}

/** A union member: the problem when it is an error type, else null. */
export function problemFromUnionMember(member: Record<string, unknown>): Problem | null {
  const code = UNION_ERROR_CODES[String(member.__typename)];
  if (!code) return null;
  const message = typeof member.message === 'string' ? member.message : code;
  return problem(code, message, Array.isArray(member.issues) ? member.issues : undefined);
}
