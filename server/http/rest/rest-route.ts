/**
 * `/api`: the REST paths (rest-operations.ts) executed as GraphQL through Yoga, the OpenAPI
 * document and its reference page. Only API keys authenticate here: cookies are not passed on,
 * so a cross-site request cannot ride a dashboard session and no CSRF token is needed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Kind, parse, print, type GraphQLSchema } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../../context.ts';
import type { Route } from '../node-handler.ts';
import type { ServerContext } from '../yoga.ts';
import { apiDocsPage } from './docs-page.ts';
import { buildOpenApiDocument } from './openapi-document.ts';
import {
  PROBLEM_CONTENT_TYPE,
  problem,
  problemFromGraphQLErrors,
  problemFromUnionMember,
  type GraphQLErrorBody,
  type Problem,
} from './problem-details.ts';
import { REST_OPERATIONS, type RestInput, type RestOperation } from './rest-operations.ts';

interface CompiledOperation {
  /** The documents carry the operationId as their name, for the operation log and metrics. */
  operation: RestOperation;
  pattern: RegExp;
  names: string[];
}

interface GraphQLAnswer {
  status: number;
  data: Record<string, unknown> | null;
  errors?: GraphQLErrorBody[];
}

class ProblemResponse extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.problem = problem;
  }
}

/** `query (…)` → `query listOrganizationTools(…)`. */
function named(document: string, name: string): string {
  const parsed = parse(document);
  return print({
    ...parsed,
    definitions: parsed.definitions.map((definition) =>
      definition.kind === Kind.OPERATION_DEFINITION
        ? { ...definition, name: { kind: Kind.NAME, value: name } }
        : definition,
    ),
  });
}

function compile(plain: RestOperation): CompiledOperation {
  const id = plain.operationId;
  const operation: RestOperation = {
    ...plain,
    document: named(plain.document, id),
    ...(plain.lookup ? { lookup: { ...plain.lookup, document: named(plain.lookup.document, `${id}Lookup`) } } : {}),
    ...(plain.followUp
      ? {
          followUp: {
            ...plain.followUp,
            document: named(plain.followUp.document, `${id}FollowUp`),
            undo: { ...plain.followUp.undo, document: named(plain.followUp.undo.document, `${id}Undo`) },
          },
        }
      : {}),
  };
  const names: string[] = [];
  const source = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { operation, pattern: new RegExp(`^${source}$`), names };
}

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  res.writeHead(status, { 'content-type': `${contentType}; charset=utf-8` }).end(JSON.stringify(body));
}

function sendProblem(res: ServerResponse, value: Problem): void {
  send(res, value.status, value, PROBLEM_CONTENT_TYPE);
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  // The front door (node-handler.ts) has already bounded the body to the GraphQL body limit.
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ProblemResponse(problem('UNSUPPORTED_MEDIA_TYPE', 'send the body as Content-Type: application/json'));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProblemResponse(problem('BAD_REQUEST', 'the body is not valid JSON'));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProblemResponse(problem('BAD_REQUEST', 'the body must be a JSON object'));
  }
  return parsed as Record<string, unknown>;
}

function pathParams(names: string[], match: RegExpExecArray): Record<string, string> {
  try {
    return Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1]!)]));
  } catch {
    throw new ProblemResponse(problem('BAD_REQUEST', 'a path parameter is not valid percent-encoding'));
  }
}

function connectionBody(value: Record<string, unknown>): unknown {
  const edges = (value.edges as Array<{ node: unknown } | null> | null) ?? [];
  return { items: edges.flatMap((edge) => (edge ? [edge.node] : [])), pageInfo: value.pageInfo };
}

export function restApiRoute(yoga: YogaServerInstance<ServerContext, Context>, schema: GraphQLSchema): Route {
  const compiled = REST_OPERATIONS.map(compile);
  let document: unknown = null;

  async function graphql(
    req: IncomingMessage,
    query: string,
    variables: Record<string, unknown>,
  ): Promise<GraphQLAnswer> {
    const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json' });
    if (req.headers.authorization) headers.set('authorization', req.headers.authorization);
    const request = new Request('http://rest.internal/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    // The same Yoga instance and plugins as /graphql; `req` gives the context the client's address.
    const response = await yoga.fetch(request, { req });
    const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: GraphQLErrorBody[] };
    return { status: response.status, data: body.data ?? null, ...(body.errors ? { errors: body.errors } : {}) };
  }

  /** The operation's data, or the problem its errors make. */
  async function data(req: IncomingMessage, query: string, variables: Record<string, unknown>) {
    const answer = await graphql(req, query, variables);
    if (answer.errors?.length) throw new ProblemResponse(problemFromGraphQLErrors(answer.errors, answer.status));
    return answer.data ?? {};
  }

  async function run(req: IncomingMessage, query: string, variables: Record<string, unknown>, field: string) {
    return (await data(req, query, variables))[field] ?? null;
  }

  function unionSuccess(value: unknown, success: string): Record<string, unknown> {
    const member = value as Record<string, unknown> | null;
    if (!member) throw new ProblemResponse(problem('NOT_FOUND', 'not found'));
    const failure = problemFromUnionMember(member);
    if (failure) throw new ProblemResponse(failure);
    if (member.__typename !== success) throw new Error(`unexpected ${String(member.__typename)}`);
    const { __typename: _typename, ...rest } = member;
    return rest;
  }

  async function execute(req: IncomingMessage, operation: RestOperation, input: RestInput): Promise<unknown> {
    let looked: unknown;
    if (operation.lookup) {
      const { lookup } = operation;
      looked = lookup.pick(await data(req, lookup.document, lookup.variables(input)), input);
      if (looked === null) throw new ProblemResponse(problem('NOT_FOUND', `${lookup.entity} not found`));
    }
    const value = await run(req, operation.document, operation.variables(input, looked), operation.field);
    const { result } = operation;
    switch (result.kind) {
      case 'union': {
        if (!operation.followUp) return unionSuccess(value, result.success);
        const first = value as Record<string, unknown> | null;
        const failure = first && problemFromUnionMember(first);
        if (failure) throw new ProblemResponse(failure);
        const { followUp } = operation;
        const created = first ?? {};
        try {
          const next = await run(req, followUp.document, followUp.variables(created, input), followUp.field);
          return unionSuccess(next, followUp.success);
        } catch (error) {
          await graphql(req, followUp.undo.document, followUp.undo.variables(created));
          throw error;
        }
      }
      case 'object':
        if (value === null) throw new ProblemResponse(problem('NOT_FOUND', `${result.entity} not found`));
        return result.property ? ((value as Record<string, unknown>)[result.property] ?? []) : value;
      case 'connection':
        return connectionBody((value as Record<string, unknown> | null) ?? { edges: [], pageInfo: null });
      case 'list':
        return value ?? [];
      case 'pick': {
        const found = ((value as Array<{ id?: unknown }> | null) ?? []).find(
          (item) => item.id === input.params[result.param],
        );
        if (!found) throw new ProblemResponse(problem('NOT_FOUND', `${result.entity} not found`));
        return found;
      }
    }
  }

  return {
    prefix: '/api',
    tooLarge(res, limitBytes) {
      sendProblem(res, problem('PAYLOAD_TOO_LARGE', `request body exceeds ${limitBytes} bytes`));
    },
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://rest.internal');
      const method = req.method ?? 'GET';
      if (url.pathname === '/api/openapi.json' && (method === 'GET' || method === 'HEAD')) {
        document ??= buildOpenApiDocument(schema, REST_OPERATIONS);
        return send(res, 200, document);
      }
      if ((url.pathname === '/api/docs' || url.pathname === '/api/docs/') && (method === 'GET' || method === 'HEAD')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(apiDocsPage());
        return;
      }
      const candidates = compiled
        .map((entry) => ({ entry, match: entry.pattern.exec(url.pathname) }))
        .filter((candidate) => candidate.match);
      const chosen = candidates.find((candidate) => candidate.entry.operation.method === method);
      if (!chosen) {
        req.resume();
        if (candidates.length) {
          res.setHeader('allow', candidates.map((candidate) => candidate.entry.operation.method).join(', '));
          return sendProblem(res, problem('METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}`));
        }
        return sendProblem(res, problem('NOT_FOUND', `no REST operation at ${url.pathname}`));
      }
      try {
        const params = pathParams(chosen.entry.names, chosen.match!);
        const body = await readJsonBody(req);
        const value = await execute(req, chosen.entry.operation, { params, query: url.searchParams, body });
        send(res, chosen.entry.operation.successStatus ?? 200, value);
      } catch (error) {
        if (error instanceof ProblemResponse) return sendProblem(res, error.problem);
        throw error;
      }
    },
  };
}
