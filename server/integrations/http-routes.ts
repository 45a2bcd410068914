/**
 * The non-GraphQL front doors: plain JSON for runtimes that do not speak
 * GraphQL (API key) including the per-platform tool exports, the Vapi, Retell
 * and ElevenLabs tool servers (per-assistant secret or Retell signature) and
 * the MCP server (API key). Each is a thin adapter
 * over the same domain functions and the same engine.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Actor } from '../actor.ts';
import { resolveViewer, type Credentials, type Viewer } from '../auth/viewer.ts';
import type { Assistant } from '../db/generated/prisma/client.ts';
import { endCall, startCall } from '../calls/call-sessions.ts';
import { AccessError, ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { JsonValue } from '../executors/types.ts';
import { BodyTooLargeError, readRawBody } from '../http/request-body.ts';
import { sendJson, type Route } from '../http/node-handler.ts';
import { hasRole, type RoleName } from '../security/roles.ts';
import type { Services } from '../services.ts';
import { loadAssistant, presentedSecret, secretMatches, verifiedRetellDigest } from './assistant-secrets.ts';
import { streamCallEvents } from './call-events-sse.ts';
import { elevenLabsCallContext, elevenLabsResponse, elevenLabsSecret } from './elevenlabs.ts';
import { exportAssistantTools, parseExportPlatform } from './exports/assistant-export.ts';
import { requestOrigin } from '../http/request-origin.ts';
import { handleMcpRequest } from './mcp.ts';
import { handleToolCalls, responsesTools } from './openai.ts';
import { parseRetellBody, parseRetellCallEvent, retellResponse, type RetellCallEvent } from './retell.ts';
import { assistantToolDefinitions, openAITools, parseTriggerContext } from './tool-definitions.ts';
import { acknowledgementOf } from './async-acknowledgement.ts';
import { runToolCalls, type RunnerDeps } from './tool-call-runner.ts';
import { oauthTokenRoute } from './oauth-token.ts';
import { mcpActor } from './mcp-oauth/resource-server.ts';
import { oauthRoute, oauthWellKnownRoute } from './mcp-oauth/routes.ts';
import { isAccessToken, revealServerSecret, verifyAccessToken, verifyVapiHmac } from './vapi-credentials.ts';
import { transferDestination } from './vapi-transfer.ts';
import { parseVapiMessage, vapiCallMonitor, vapiFunctionCallResult, vapiResults } from './vapi.ts';
import { storeControlUrl } from '../deliveries/control-url.ts';
import { JSON_DEPTH_MESSAGE, MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.ts';

const BODY_ENVELOPE_DEPTH = 8;
/** The Retell path segment that takes call webhooks; a function call body (no `event`) there still runs a tool so named. */
const RETELL_WEBHOOK = 'webhook';

type Handler = (req: IncomingMessage, res: ServerResponse, services: Services) => Promise<void>;

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/** Maps the domain's expected failures to HTTP; anything else is the node handler's 500. */
function guarded(services: Services, handler: Handler): Route['handle'] {
  return async (req, res) => {
    try {
      await handler(req, res, services);
    } catch (error) {
      if (res.headersSent) throw error;
      if (error instanceof AccessError)
        return fail(res, error.code === 'UNAUTHENTICATED' ? 401 : 403, error.code, error.message);
      if (error instanceof NotFoundError) return fail(res, 404, 'NOT_FOUND', error.message);
      if (error instanceof ConflictError) return fail(res, 409, 'CONFLICT', error.message);
      if (error instanceof ValidationError)
        return sendJson(res, 400, { error: { code: 'BAD_REQUEST', message: error.message, issues: error.issues } });
      if (error instanceof BodyTooLargeError) return fail(res, 413, 'PAYLOAD_TOO_LARGE', error.message);
      throw error;
    }
  };
}

async function apiKeyActor(req: IncomingMessage, services: Services, role: RoleName): Promise<Actor> {
  return (await apiKeyViewer(req, services, role)).viewer.actor;
}

async function apiKeyViewer(
  req: IncomingMessage,
  services: Services,
  role: RoleName,
): Promise<{ viewer: Viewer; credentials: Credentials }> {
  const authorization = req.headers.authorization ?? null;
  const apiKey = typeof req.headers['x-api-key'] === 'string' ? req.headers['x-api-key'] : null;
  if (!authorization && !apiKey)
    throw new AccessError('UNAUTHENTICATED', 'send an API key as Authorization: Bearer <key>');
  // API keys only: these endpoints take no cookies, so they need no CSRF defence.
  const credentials = { authorization, apiKey };
  const viewer = await resolveViewer(services.prisma, credentials);
  if (!viewer) throw new AccessError('UNAUTHENTICATED', 'invalid API key');
  if (!hasRole(viewer.actor.role, role)) throw new AccessError('FORBIDDEN', `this needs the ${role} role`);
  return { viewer, credentials };
}

/** `empty`: what an empty body means, where one is allowed. */
async function jsonBody(
  req: IncomingMessage,
  services: Services,
  empty?: JsonValue,
): Promise<{ raw: string; body: JsonValue }> {
  const raw = await readRawBody(req, services.config.bodyLimitBytes);
  if (empty !== undefined && raw.trim() === '') return { raw, body: empty };
  return { raw, body: parseJson(raw) };
}

function parseJson(raw: string): JsonValue {
  let body: JsonValue;
  try {
    body = JSON.parse(raw) as JsonValue;
  } catch {
    throw new ValidationError([{ field: 'body', message: 'must be JSON' }]);
  }
  // Bodies wrap the tool arguments, which have their own limit: allow for the envelope.
  if (nestsDeeperThan(body, MAX_JSON_DEPTH + BODY_ENVELOPE_DEPTH))
    throw new ValidationError([{ field: 'body', message: JSON_DEPTH_MESSAGE }]);
  return body;
}

function runnerDeps(services: Services): RunnerDeps {
  return {
    engine: services.engine,
    acknowledgement: (row) => acknowledgementOf(services.prisma, row),
    onError: (error) => services.logger.error({ err: error }, 'tool call failed'),
  };
}

function segments(req: IncomingMessage, prefix: string): string[] {
  const path = (req.url ?? '/').split('?')[0] ?? '';
  return path
    .slice(prefix.length)
    .split('/')
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        throw new ValidationError([{ field: 'path', message: `malformed percent-escape in the path: ${part}` }]);
      }
    });
}

function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://localhost').searchParams;
}

/** `GET /v1/assistants/:id/export/:platform` (or `?format=`), with optional `base_url` and `secret_id`. */
async function assistantExport(req: IncomingMessage, services: Services, assistantId: string, platform?: string) {
  const actor = await apiKeyActor(req, services, 'VIEWER');
  const params = query(req);
  const baseUrl = params.get('base_url') ?? services.config.publicUrl ?? requestOrigin(req, services.config.trustProxy);
  if (!baseUrl) throw new ValidationError([{ field: 'base_url', message: 'is required: the request named no host' }]);
  return exportAssistantTools(
    services.prisma,
    actor.organizationId,
    assistantId,
    parseExportPlatform(platform ?? params.get('format') ?? '', platform ? 'platform' : 'format'),
    { baseUrl, secretId: params.get('secret_id') },
  );
}

/** `GET /v1/assistants/:id/tools?context=call` and `POST /v1/assistants/:id/tool-calls`. */
export function assistantsRoute(services: Services): Route {
  const prefix = '/v1/assistants';
  return {
    prefix,
    handle: guarded(services, async (req, res) => {
      const [assistantId, resource, ...rest] = segments(req, prefix);
      if (assistantId && resource === 'export' && rest.length <= 1) {
        if (req.method !== 'GET') return fail(res, 405, 'METHOD_NOT_ALLOWED', 'GET the export');
        return sendJson(res, 200, await assistantExport(req, services, assistantId, rest[0]));
      }
      if (!assistantId || rest.length) return fail(res, 404, 'NOT_FOUND', 'not found');
      if (resource === 'tools' && req.method === 'GET') {
        const actor = await apiKeyActor(req, services, 'VIEWER');
        const context = parseTriggerContext(query(req).get('context'));
        const definitions = await assistantToolDefinitions(services.prisma, actor.organizationId, assistantId, context);
        const messages = Object.fromEntries(
          definitions.filter((d) => d.messages).map((d) => [d.function.name, d.messages]),
        );
        const format = query(req).get('format') ?? 'chat';
        if (format !== 'chat' && format !== 'responses')
          throw new ValidationError([{ field: 'format', message: 'must be chat or responses' }]);
        const tools = format === 'responses' ? responsesTools(definitions) : openAITools(definitions);
        return sendJson(res, 200, { tools, messages });
      }
      if (resource === 'tool-calls' && req.method === 'POST') {
        const actor = await apiKeyActor(req, services, 'MEMBER');
        const { body } = await jsonBody(req, services);
        const object = body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {};
        const context =
          object.context !== null && typeof object.context === 'object' && !Array.isArray(object.context)
            ? object.context
            : {};
        const text = (key: string) => (typeof context[key] === 'string' ? (context[key] as string) : null);
        const { messages, inputItems } = await handleToolCalls(services.prisma, runnerDeps(services), {
          organizationId: actor.organizationId,
          actor: { userId: actor.userId, apiKeyId: actor.apiKeyId },
          assistantId,
          context: {
            triggerContext: parseTriggerContext(
              text('triggerContext') ?? text('trigger_context'),
              'context.triggerContext',
            ),
            callSid: text('callSid') ?? text('call_sid'),
            phoneNumber: text('phoneNumber') ?? text('phone_number'),
            from: text('from'),
            to: text('to'),
          },
          toolCalls: object.tool_calls ?? object.toolCalls,
          responseOutput: object.output,
        });
        return sendJson(res, 200, object.output === undefined ? { messages } : { input: inputItems });
      }
      return fail(res, resource === 'tools' || resource === 'tool-calls' ? 405 : 404, 'NOT_FOUND', 'not found');
    }),
  };
}

/** One answer for "no such assistant" and "wrong secret": the endpoint must not reveal which assistants exist. */
function refuse(res: ServerResponse): void {
  fail(res, 401, 'UNAUTHENTICATED', 'unknown assistant or invalid secret');
}

/** Any of Vapi's credential types: the server secret (Bearer / X-Vapi-Secret), an OAuth2 access token, HMAC. */
function vapiAuthenticated(
  services: Services,
  assistant: Assistant,
  headers: IncomingHttpHeaders,
  raw: string,
): boolean {
  const presented = presentedSecret(headers);
  if (presented && !isAccessToken(presented)) return secretMatches(assistant, presented);
  const secret = revealServerSecret(services.cipher, assistant);
  if (!secret) return false;
  if (presented) return verifyAccessToken(presented, assistant.id, secret);
  return verifyVapiHmac(headers, raw, secret);
}

/** `POST /v1/vapi/:assistantId` — Vapi's server URL for tool calls. */
export function vapiRoute(services: Services): Route {
  const prefix = '/v1/vapi';
  return {
    prefix,
    handle: guarded(services, async (req, res) => {
      const [assistantId, ...rest] = segments(req, prefix);
      if (!assistantId || rest.length) return fail(res, 404, 'NOT_FOUND', 'not found');
      if (req.method !== 'POST') return fail(res, 405, 'METHOD_NOT_ALLOWED', 'POST a Vapi server message');
      const assistant = await loadAssistant(services.prisma, assistantId);
      if (!assistant) return refuse(res);
      // Read before authenticating (HMAC signs the body), parsed only after.
      const raw = await readRawBody(req, services.config.bodyLimitBytes);
      if (!vapiAuthenticated(services, assistant, req.headers, raw)) return refuse(res);
      const body = parseJson(raw);
      const message = parseVapiMessage(body);
      if (message.kind === 'ignored') {
        await rememberControlUrl(services, assistant, body);
        return sendJson(res, 200, {});
      }
      if (message.kind === 'call-ended') {
        await endCall(services, {
          organizationId: assistant.organizationId,
          externalId: message.callSid,
          reason: message.reason,
          createAs: {
            platform: 'VAPI',
            assistantId: assistant.id,
            from: message.context.from ?? null,
            to: message.context.to ?? null,
          },
        });
        return sendJson(res, 200, {});
      }
      if (message.kind === 'transfer-destination-request') {
        await rememberControlUrl(services, assistant, body);
        return sendJson(
          res,
          200,
          await transferDestination(services.prisma, assistant, message.context.callSid ?? null),
        );
      }
      const batch = platformBatch(services, assistant, message.context);
      if (message.kind === 'function-call') {
        const [outcome] = await runToolCalls(runnerDeps(services), batch, [message.call]);
        await rememberControlUrl(services, assistant, body);
        return sendJson(res, 200, vapiFunctionCallResult(outcome!));
      }
      const outcomes = await runToolCalls(runnerDeps(services), batch, message.calls);
      // After the tools ran: a call's first tool call is what creates its row.
      await rememberControlUrl(services, assistant, body);
      return sendJson(res, 200, vapiResults(outcomes));
    }),
  };
}

/** Never fails the message: a control URL that cannot be stored only means results cannot be spoken. */
async function rememberControlUrl(services: Services, assistant: Assistant, body: JsonValue): Promise<void> {
  const monitor = vapiCallMonitor(body);
  if (!monitor) return;
  try {
    await storeControlUrl(
      services,
      { organizationId: assistant.organizationId, callSid: monitor.callSid },
      monitor.controlUrl,
    );
  } catch (error) {
    services.logger.warn({ err: error }, 'storing the Vapi control URL failed');
  }
}

function platformBatch(
  services: Services,
  assistant: Assistant,
  context: Parameters<typeof runToolCalls>[1]['context'],
) {
  return {
    organizationId: assistant.organizationId,
    assistantId: assistant.id,
    actor: { userId: null, apiKeyId: null },
    context,
    availableTools: async () =>
      (
        await assistantToolDefinitions(services.prisma, assistant.organizationId, assistant.id, context.triggerContext)
      ).map((d) => d.function.name),
  };
}

/** Retell's call webhook (`call_started`, `call_ended`, `call_analyzed`) for the assistant. */
async function retellCallEvent(services: Services, assistant: Assistant, event: RetellCallEvent): Promise<void> {
  const call = { externalId: event.callSid, organizationId: assistant.organizationId };
  if (event.event === 'call_started') {
    try {
      await startCall(services, {
        ...call,
        platform: 'RETELL',
        assistantId: assistant.id,
        from: event.from,
        to: event.to,
      });
    } catch (error) {
      // A start delivered after the end (webhooks are retried out of order) changes nothing.
      if (!(error instanceof ConflictError)) throw error;
    }
    return;
  }
  await endCall(services, {
    ...call,
    reason: event.reason,
    createAs: { platform: 'RETELL', assistantId: assistant.id, from: event.from, to: event.to },
  });
}

/**
 * `POST /v1/retell/:assistantId/:toolName` — a Retell custom function URL;
 * `POST /v1/retell/:assistantId/webhook` with a call event body is the agent's webhook URL.
 */
export function retellRoute(services: Services): Route {
  const prefix = '/v1/retell';
  return {
    prefix,
    handle: guarded(services, async (req, res) => {
      const [assistantId, toolName, ...rest] = segments(req, prefix);
      if (!assistantId || !toolName || rest.length) return fail(res, 404, 'NOT_FOUND', 'not found');
      if (req.method !== 'POST') return fail(res, 405, 'METHOD_NOT_ALLOWED', 'POST the function call');
      const assistant = await loadAssistant(services.prisma, assistantId);
      if (!assistant) return refuse(res);
      const { raw, body } = await jsonBody(req, services);
      const signature =
        typeof req.headers['x-retell-signature'] === 'string' ? req.headers['x-retell-signature'] : null;
      const retellKey = assistant.retellApiKey
        ? services.cipher.decrypt(assistant.organizationId, assistant.retellApiKey)
        : null;
      const digest = retellKey !== null ? verifiedRetellDigest(raw, retellKey, signature) : null;
      if (!digest && !secretMatches(assistant, presentedSecret(req.headers))) return refuse(res);
      const event = toolName === RETELL_WEBHOOK ? parseRetellCallEvent(body) : null;
      if (event) {
        await retellCallEvent(services, assistant, event);
        return sendJson(res, 200, {});
      }
      const call = parseRetellBody(body, toolName);
      // Retell sends no tool call id: a signed request delivered again (same body, same timestamp) is the
      // same function call, so its digest stands in for the id and the engine answers it with the first run.
      const toolCallId = call.toolCallId ?? (digest ? `retell:${digest}` : null);
      const [outcome] = await runToolCalls(runnerDeps(services), platformBatch(services, assistant, call.context), [
        { toolCallId, name: call.name, arguments: call.arguments },
      ]);
      return sendJson(res, 200, retellResponse(outcome!));
    }),
  };
}

/** `POST /v1/elevenlabs/:assistantId/:toolName` — an ElevenLabs webhook tool's URL; the body is the tool's arguments. */
export function elevenLabsRoute(services: Services): Route {
  const prefix = '/v1/elevenlabs';
  return {
    prefix,
    handle: guarded(services, async (req, res) => {
      const [assistantId, toolName, ...rest] = segments(req, prefix);
      if (!assistantId || !toolName || rest.length) return fail(res, 404, 'NOT_FOUND', 'not found');
      if (req.method !== 'POST') return fail(res, 405, 'METHOD_NOT_ALLOWED', "POST the tool's arguments");
      const assistant = await loadAssistant(services.prisma, assistantId);
      if (!assistant || !secretMatches(assistant, elevenLabsSecret(req.headers))) return refuse(res);
      // A tool without parameters may come with no body at all.
      const { body } = await jsonBody(req, services, {});
      const context = elevenLabsCallContext(req.headers);
      const [outcome] = await runToolCalls(runnerDeps(services), platformBatch(services, assistant, context), [
        { toolCallId: null, name: toolName, arguments: body },
      ]);
      return sendJson(res, 200, elevenLabsResponse(outcome!));
    }),
  };
}

/** `/mcp/:assistantId` — MCP over Streamable HTTP (stateless), OAuth access token or API key. */
export function mcpRoute(services: Services): Route {
  const prefix = '/mcp';
  return {
    prefix,
    handle: guarded(services, async (req, res) => {
      const [assistantId, ...rest] = segments(req, prefix);
      if (!assistantId || rest.length) return fail(res, 404, 'NOT_FOUND', 'not found');
      const actor = await mcpActor(req, res, services, assistantId, () => apiKeyActor(req, services, 'VIEWER'));
      const context = parseTriggerContext(query(req).get('context'));
      // Resolves the assistant first, so another organization's id is a plain 404.
      await assistantToolDefinitions(services.prisma, actor.organizationId, assistantId, context);
      await handleMcpRequest(req, res, { services, actor, assistantId, context, runner: runnerDeps(services) });
    }),
  };
}

/**
 * `POST /v1/calls/:callId/end` — ends a call by the platform's call id (LiveKit, Pipecat, custom agents);
 * `GET /v1/calls/:callId/events` — the call's live events (SSE). API key.
 */
export function callsRoute(services: Services): Route {
  const prefix = '/v1/calls';
  return {
    prefix,
    handle: guarded(services, async (req, res) => {
      const [callId, action, ...rest] = segments(req, prefix);
      if (callId && action === 'events' && !rest.length) {
        if (req.method !== 'GET') return fail(res, 405, 'METHOD_NOT_ALLOWED', 'GET the call events');
        const { viewer, credentials } = await apiKeyViewer(req, services, 'VIEWER');
        return streamCallEvents(res, services, viewer, credentials, callId);
      }
      if (!callId || action !== 'end' || rest.length) return fail(res, 404, 'NOT_FOUND', 'not found');
      if (req.method !== 'POST') return fail(res, 405, 'METHOD_NOT_ALLOWED', 'POST to end the call');
      const actor = await apiKeyActor(req, services, 'MEMBER');
      const raw = await readRawBody(req, services.config.bodyLimitBytes);
      let reason: string | null = null;
      if (raw.trim()) {
        const body = parseJson(raw);
        const given = body !== null && typeof body === 'object' && !Array.isArray(body) ? body.reason : undefined;
        if (given !== undefined && given !== null && typeof given !== 'string')
          throw new ValidationError([{ field: 'reason', message: 'must be a string' }]);
        reason = given ?? null;
      }
      const call = await endCall(services, { organizationId: actor.organizationId, externalId: callId, reason });
      return sendJson(res, 200, {
        call: {
          id: call.id,
          externalId: call.callSid,
          platform: call.platform,
          status: call.status,
          startedAt: call.startedAt.toISOString(),
          endedAt: call.endedAt?.toISOString() ?? null,
          endReason: call.endReason,
        },
      });
    }),
  };
}

/** A progress report is one short line; its body needs no more than this. */
const PROGRESS_BODY_LIMIT_BYTES = 16 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The execution's token from `Authorization: Bearer`; one answer for a bad token and an unknown id. */
function checkExecutionToken(req: IncomingMessage, services: Services, executionId: string, action: string): void {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const presented = match?.[1] ?? '';
  const { tokens } = services;
  const valid =
    UUID.test(executionId) &&
    // The callback token (a Lambda function's only one) also opens its progress URL.
    (tokens.verify(executionId, 'callback', presented) ||
      (action === 'progress' && tokens.verify(executionId, 'progress', presented)));
  if (!valid) throw new AccessError('UNAUTHENTICATED', 'unknown execution or invalid token');
}

/**
 * `POST /v1/executions/:executionId/progress` (`{"message": "…"}`) and
 * `POST /v1/executions/:executionId/callback` (`{"status", "result", "error"}`), with the
 * execution's own token as `Authorization: Bearer` (sent to endpoint tools and in Lambda Event payloads).
 */
export function executionsRoute(services: Services): Route {
  const prefix = '/v1/executions';
  return {
    prefix,
    handle: guarded(services, async (req, res) => {
      const [executionId, action, ...rest] = segments(req, prefix);
      if (!executionId || (action !== 'progress' && action !== 'callback') || rest.length)
        return fail(res, 404, 'NOT_FOUND', 'not found');
      if (req.method !== 'POST') return fail(res, 405, 'METHOD_NOT_ALLOWED', `POST the ${action}`);
      checkExecutionToken(req, services, executionId, action);
      if (action === 'callback') {
        const { body } = await jsonBody(req, services);
        const row = await services.engine.completeCallback(executionId, body);
        return sendJson(res, 200, { execution: { id: row.id, status: row.status } });
      }
      const body = parseJson(await readRawBody(req, PROGRESS_BODY_LIMIT_BYTES));
      const message = body !== null && typeof body === 'object' && !Array.isArray(body) ? body.message : undefined;
      if (typeof message !== 'string' || message.trim() === '')
        throw new ValidationError([{ field: 'message', message: 'must be a non-empty string' }]);
      const verdict = await services.engine.reportProgress(executionId, message);
      // Over-limit reports are dropped, not refused: the tool goes on either way.
      return sendJson(res, 202, { accepted: verdict === 'accepted' });
    }),
  };
}

export function integrationRoutes(services: Services): Route[] {
  return [
    executionsRoute(services),
    assistantsRoute(services),
    vapiRoute(services),
    oauthTokenRoute(services),
    retellRoute(services),
    elevenLabsRoute(services),
    mcpRoute(services),
    oauthWellKnownRoute(services),
    oauthRoute(services),
    callsRoute(services),
  ];
}
