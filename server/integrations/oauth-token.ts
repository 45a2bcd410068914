/**
 * `POST /v1/oauth/token` — the OAuth2 client-credentials token endpoint Vapi's
 * `OAuth2AuthenticationPlan` calls (RFC 6749 §4.4): client id = the assistant
 * id, client secret = its server secret, in the form body or HTTP Basic.
 * Answers and errors are shaped as RFC 6749 §5 says, never cached.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readRawBody } from '../http/request-body.ts';
import type { Route } from '../http/node-handler.ts';
import type { Services } from '../services.ts';
import { loadAssistant, secretMatches } from './assistant-secrets.ts';
import { issueAccessToken, revealServerSecret } from './vapi-credentials.ts';

type OAuthError = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type';

export function answer(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      ...headers,
    })
    .end(JSON.stringify(body));
}

function refuse(res: ServerResponse, error: OAuthError, description: string): void {
  const status = error === 'invalid_client' ? 401 : 400;
  const headers: Record<string, string> =
    error === 'invalid_client' ? { 'www-authenticate': 'Basic realm="switchboard"' } : {};
  answer(res, status, { error, error_description: description }, headers);
}

/** Form-encoded (as RFC 6749 specifies) or JSON (some clients send it). */
export function parameters(req: IncomingMessage, raw: string): URLSearchParams | null {
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/json')) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
      const entries = Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
      return new URLSearchParams(entries);
    } catch {
      return null;
    }
  }
  return new URLSearchParams(raw);
}

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | null {
  const match = req.headers.authorization?.match(/^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i);
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
  return {
    id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
    secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
  };
}

async function handle(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const raw = await readRawBody(req, services.config.bodyLimitBytes);
  const form = parameters(req, raw);
  if (!form) return refuse(res, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  const grant = form.get('grant_type');
  if (!grant) return refuse(res, 'invalid_request', 'grant_type is required');
  if (grant !== 'client_credentials')
    return refuse(res, 'unsupported_grant_type', 'only client_credentials is supported');
  const basic = basicCredentials(req);
  const clientId = basic?.id ?? form.get('client_id');
  const clientSecret = basic?.secret ?? form.get('client_secret');
  if (!clientId || !clientSecret) return refuse(res, 'invalid_client', 'client authentication failed');
  const assistant = await loadAssistant(services.prisma, clientId);
  const secret = assistant ? revealServerSecret(services.cipher, assistant) : null;
  // One answer for an unknown client, a wrong secret and a secret set before it was kept sealed.
  if (!assistant || !secret || !secretMatches(assistant, clientSecret))
    return refuse(res, 'invalid_client', 'client authentication failed');
  answer(res, 200, issueAccessToken(assistant.id, secret));
}

export function oauthTokenRoute(services: Services): Route {
  return {
    prefix: '/v1/oauth/token',
    handle: async (req, res) => {
      try {
        await handle(services, req, res);
      } catch (error) {
        if (error instanceof BodyTooLargeError && !res.headersSent)
          return refuse(res, 'invalid_request', error.message);
        throw error;
      }
    },
  };
}
