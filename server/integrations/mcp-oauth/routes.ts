/**
 * Switchboard as the OAuth 2.1 authorization server for its MCP endpoints:
 * discovery documents, dynamic client registration, the authorization
 * endpoint (the dashboard session signs the user in; a consent page with
 * CSRF protection) and the token endpoint (authorization code with PKCE,
 * refresh token rotation).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolveViewer } from '../../auth/viewer.ts';
import type { OAuthClient } from '../../db/generated/prisma/client.ts';
import { clientConnection } from '../../http/client-address.ts';
import { BodyTooLargeError, readRawBody } from '../../http/request-body.ts';
import { sendJson, type Route } from '../../http/node-handler.ts';
import type { Services } from '../../services.ts';
import { answer, parameters } from '../oauth-token.ts';
import { createClientRegistry, RegistrationError } from './clients.ts';
import { consentPage, errorPage } from './consent-page.ts';
import { exchangeCode, GrantError, issueCode, refreshTokens, sameText, validChallenge } from './grants.ts';
import { assistantOfResource, authorizationServerMetadata, oauthBase, protectedResourceMetadata } from './metadata.ts';
import type { RoleName } from '../../security/roles.ts';

const FORM_LIMIT_BYTES = 64 * 1024;
const MAX_PARAMETER_LENGTH = 2048;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AUTHORIZATION_PARAMETERS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'code_challenge',
  'code_challenge_method',
  'state',
  'scope',
  'resource',
] as const;
/** Metadata and token endpoints take no cookies, so browser-based MCP clients may call them from any origin. */
const OPEN_CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, authorization, mcp-protocol-version',
};

function path(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

function preflight(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, OPEN_CORS).end();
  return true;
}

function json(res: ServerResponse, status: number, body: object): void {
  for (const [name, value] of Object.entries(OPEN_CORS)) res.setHeader(name, value);
  answer(res, status, body);
}

function html(res: ServerResponse, status: number, page: string): void {
  res
    .writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    })
    .end(page);
}

/** `/.well-known/oauth-protected-resource/mcp/:assistantId` and `/.well-known/oauth-authorization-server`. */
export function oauthWellKnownRoute(services: Services): Route {
  return {
    prefix: '/.well-known',
    handle: async (req, res) => {
      if (preflight(req, res)) return;
      const base = oauthBase(req, services);
      const resource = /^\/\.well-known\/oauth-protected-resource\/mcp\/([^/]+)$/.exec(path(req));
      if (req.method !== 'GET' || !base || (!resource && path(req) !== '/.well-known/oauth-authorization-server'))
        return sendJson(res, 404, { error: 'not found' });
      let assistantId: string | null;
      try {
        assistantId = resource?.[1] ? decodeURIComponent(resource[1]) : null;
      } catch {
        return sendJson(res, 404, { error: 'not found' });
      }
      json(res, 200, assistantId ? protectedResourceMetadata(base, assistantId) : authorizationServerMetadata(base));
    },
  };
}

class PageError extends Error {}

/** An error the client hears about at its redirect URI (RFC 6749 §4.1.2.1). */
class RedirectError extends Error {
  readonly error: string;

  constructor(error: string, message: string) {
    super(message);
    this.error = error;
  }
}

interface AuthorizationRequest {
  client: OAuthClient;
  redirectUri: string;
  state: string | null;
  fields: Record<string, string>;
}

/** Client and redirect URI first: until both are known good, nothing may be redirected anywhere. */
async function authorizationClient(services: Services, params: URLSearchParams): Promise<AuthorizationRequest> {
  const fields: Record<string, string> = {};
  for (const name of AUTHORIZATION_PARAMETERS) {
    const value = params.get(name);
    if (value === null) continue;
    if (value.length > MAX_PARAMETER_LENGTH) throw new PageError(`${name} is too long`);
    fields[name] = value;
  }
  const client = fields.client_id
    ? await services.prisma.oAuthClient.findUnique({ where: { clientId: fields.client_id } })
    : null;
  if (!client) throw new PageError('Unknown client_id: register the client first.');
  const redirectUri = fields.redirect_uri ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (!redirectUri || !client.redirectUris.includes(redirectUri))
    throw new PageError('redirect_uri is not one this client registered.');
  return { client, redirectUri, state: fields.state ?? null, fields };
}

function redirectTo(res: ServerResponse, request: AuthorizationRequest, base: string, outcome: Record<string, string>) {
  const url = new URL(request.redirectUri);
  for (const [name, value] of Object.entries(outcome)) url.searchParams.set(name, value);
  if (request.state !== null) url.searchParams.set('state', request.state);
  url.searchParams.set('iss', base);
  res.writeHead(303, { location: url.toString(), 'cache-control': 'no-store' }).end();
}

async function authorizationTarget(services: Services, request: AuthorizationRequest, base: string) {
  const { fields } = request;
  if (fields.response_type !== 'code')
    throw new RedirectError('unsupported_response_type', 'response_type must be code');
  if (fields.code_challenge_method !== 'S256' || !fields.code_challenge || !validChallenge(fields.code_challenge))
    throw new RedirectError('invalid_request', 'PKCE is required: code_challenge with code_challenge_method S256');
  if (!fields.resource) throw new RedirectError('invalid_target', 'resource (the MCP server URL) is required');
  const assistantId = assistantOfResource(base, fields.resource);
  const assistant =
    assistantId && UUID.test(assistantId)
      ? await services.prisma.assistant.findUnique({ where: { id: assistantId }, include: { organization: true } })
      : null;
  if (!assistant) throw new RedirectError('invalid_target', `resource is not an MCP server of ${base}`);
  return { assistant, resource: fields.resource, codeChallenge: fields.code_challenge };
}

async function authorize(services: Services, req: IncomingMessage, res: ServerResponse, base: string): Promise<void> {
  const posted = req.method === 'POST';
  const params = posted
    ? new URLSearchParams(await readRawBody(req, FORM_LIMIT_BYTES))
    : new URL(req.url ?? '/', 'http://localhost').searchParams;
  let request: AuthorizationRequest;
  try {
    request = await authorizationClient(services, params);
  } catch (error) {
    if (error instanceof PageError) return html(res, 400, errorPage(error.message));
    throw error;
  }
  try {
    const target = await authorizationTarget(services, request, base);
    const viewer = await resolveViewer(services.prisma, { cookie: req.headers.cookie ?? null });
    if (!viewer?.user || !viewer.csrfToken) {
      if (posted) return html(res, 401, errorPage('Your session has ended: start again from the application.'));
      res.writeHead(302, { location: `/login?next=${encodeURIComponent(req.url ?? '/')}` }).end();
      return;
    }
    const membership = await services.prisma.membership.findUnique({
      where: { userId_organizationId: { userId: viewer.user.id, organizationId: target.assistant.organizationId } },
    });
    if (!membership)
      throw new RedirectError('access_denied', 'you are not a member of the organization of this assistant');
    if (!posted)
      return html(
        res,
        200,
        consentPage({
          clientName: request.client.name,
          redirectHost: new URL(request.redirectUri).host,
          organizationName: target.assistant.organization.name,
          assistantName: target.assistant.name,
          userEmail: viewer.user.email,
          role: membership.role,
          fields: { ...request.fields, redirect_uri: request.redirectUri },
          csrfToken: viewer.csrfToken,
        }),
      );
    if (!sameText(params.get('csrf_token') ?? '', viewer.csrfToken))
      return html(res, 403, errorPage('The form has expired: start again from the application.'));
    if (params.get('decision') !== 'approve') throw new RedirectError('access_denied', 'the user denied access');
    const code = await issueCode(
      services.prisma,
      {
        clientId: request.client.id,
        userId: viewer.user.id,
        organizationId: target.assistant.organizationId,
        assistantId: target.assistant.id,
        role: membership.role as RoleName,
        resource: target.resource,
        redirectUri: request.redirectUri,
        codeChallenge: target.codeChallenge,
      },
      request.client.name,
    );
    redirectTo(res, request, base, { code });
  } catch (error) {
    if (error instanceof RedirectError)
      return redirectTo(res, request, base, { error: error.error, error_description: error.message });
    throw error;
  }
}

async function token(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = parameters(req, await readRawBody(req, FORM_LIMIT_BYTES));
  if (!form) return json(res, 400, { error: 'invalid_request', error_description: 'the body must be a form' });
  const clientId = form.get('client_id');
  const grant = form.get('grant_type');
  try {
    if (!clientId) throw new GrantError('invalid_client', 'client_id is required');
    const resource = form.get('resource');
    let tokens;
    if (grant === 'authorization_code') {
      const code = form.get('code');
      const codeVerifier = form.get('code_verifier');
      if (!code || !codeVerifier) throw new GrantError('invalid_request', 'code and code_verifier are required');
      tokens = await exchangeCode(services.prisma, {
        clientId,
        code,
        codeVerifier,
        redirectUri: form.get('redirect_uri'),
        resource,
      });
    } else if (grant === 'refresh_token') {
      const refreshToken = form.get('refresh_token');
      if (!refreshToken) throw new GrantError('invalid_request', 'refresh_token is required');
      tokens = await refreshTokens(services.prisma, { clientId, refreshToken, resource });
    } else {
      return json(res, 400, {
        error: 'unsupported_grant_type',
        error_description: 'grant_type must be authorization_code or refresh_token',
      });
    }
    json(res, 200, tokens);
  } catch (error) {
    if (!(error instanceof GrantError)) throw error;
    json(res, error.error === 'invalid_client' ? 401 : 400, { error: error.error, error_description: error.message });
  }
}

async function register(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  registry: ReturnType<typeof createClientRegistry>,
) {
  let body: unknown;
  try {
    body = JSON.parse(await readRawBody(req, FORM_LIMIT_BYTES));
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw error;
    return json(res, 400, { error: 'invalid_client_metadata', error_description: 'the body must be JSON' });
  }
  try {
    const { address } = clientConnection(req, services.config.trustProxy);
    json(res, 201, await registry.register(services.prisma, body, address));
  } catch (error) {
    if (!(error instanceof RegistrationError)) throw error;
    const status = error.error === 'rate_limited' ? 429 : 400;
    json(res, status, {
      error: error.error === 'rate_limited' ? 'invalid_client_metadata' : error.error,
      error_description: error.message,
    });
  }
}

/** `/oauth/authorize` (GET shows consent, POST decides), `/oauth/token`, `/oauth/register`. */
export function oauthRoute(services: Services): Route {
  const registry = createClientRegistry();
  return {
    prefix: '/oauth',
    handle: async (req, res) => {
      try {
        const endpoint = path(req);
        if (endpoint === '/oauth/authorize') {
          if (req.method !== 'GET' && req.method !== 'POST')
            return void res.writeHead(405, { allow: 'GET, POST' }).end();
          const base = oauthBase(req, services);
          if (!base) return html(res, 400, errorPage('The request named no host.'));
          return await authorize(services, req, res, base);
        }
        if (endpoint !== '/oauth/token' && endpoint !== '/oauth/register')
          return sendJson(res, 404, { error: 'not found' });
        if (preflight(req, res)) return;
        if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST, OPTIONS' }).end();
        if (endpoint === '/oauth/token') return await token(services, req, res);
        return await register(services, req, res, registry);
      } catch (error) {
        if (error instanceof BodyTooLargeError && !res.headersSent)
          return json(res, 413, { error: 'invalid_request', error_description: error.message });
        throw error;
      }
    },
  };
}
