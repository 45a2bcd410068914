/**
 * Dynamic client registration (RFC 7591) for MCP clients: public clients only
 * (PKCE, no secret), redirect URIs over https or to the loopback interface
 * (OAuth 2.1 §8.4.2 for native apps), bounded in number and length, and
 * registrations limited per client address and overall.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Prisma } from '../../db/database.ts';
import type { OAuthClient } from '../../db/generated/prisma/client.ts';
import { randomToken } from '../../security/tokens.ts';

export const MAX_REDIRECT_URIS = 5;
export const MAX_REDIRECT_URI_LENGTH = 2000;
const MAX_CLIENT_NAME_LENGTH = 200;
export const REGISTRATIONS_PER_ADDRESS_PER_HOUR = 20;
export const REGISTRATIONS_PER_HOUR = 500;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export class RegistrationError extends Error {
  readonly error: 'invalid_client_metadata' | 'invalid_redirect_uri' | 'rate_limited';

  constructor(error: 'invalid_client_metadata' | 'invalid_redirect_uri' | 'rate_limited', message: string) {
    super(message);
    this.error = error;
  }
}

export interface ClientRegistration {
  client_id: string;
  client_id_issued_at: number;
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: 'none';
}

function redirectUri(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_REDIRECT_URI_LENGTH)
    throw new RegistrationError(
      'invalid_redirect_uri',
      `each redirect URI is a string of at most ${MAX_REDIRECT_URI_LENGTH} characters`,
    );
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RegistrationError('invalid_redirect_uri', `not an absolute URL: ${value}`);
  }
  if (url.hash) throw new RegistrationError('invalid_redirect_uri', 'redirect URIs carry no fragment');
  const loopback = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !loopback)
    throw new RegistrationError(
      'invalid_redirect_uri',
      'redirect URIs use https, or http to 127.0.0.1, [::1] or localhost',
    );
  return value;
}

function subsetOf(value: unknown, allowed: string[], field: string): string[] | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || !allowed.includes(item)))
    throw new RegistrationError('invalid_client_metadata', `${field} may only contain ${allowed.join(', ')}`);
  return value as string[];
}

export function parseClientMetadata(body: unknown): { name: string; redirectUris: string[]; grantTypes: string[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new RegistrationError('invalid_client_metadata', 'the body must be a JSON object');
  const metadata = body as Record<string, unknown>;
  const uris = metadata.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0 || uris.length > MAX_REDIRECT_URIS)
    throw new RegistrationError('invalid_redirect_uri', `redirect_uris must list 1 to ${MAX_REDIRECT_URIS} URIs`);
  const method = metadata.token_endpoint_auth_method;
  if (method !== undefined && method !== 'none')
    throw new RegistrationError(
      'invalid_client_metadata',
      'only public clients (token_endpoint_auth_method "none") are supported',
    );
  subsetOf(metadata.response_types, ['code'], 'response_types');
  const grantTypes = subsetOf(metadata.grant_types, ['authorization_code', 'refresh_token'], 'grant_types');
  const name = metadata.client_name;
  if (name !== undefined && (typeof name !== 'string' || name.length > MAX_CLIENT_NAME_LENGTH))
    throw new RegistrationError(
      'invalid_client_metadata',
      `client_name is a string of at most ${MAX_CLIENT_NAME_LENGTH} characters`,
    );
  return {
    name: typeof name === 'string' && name.trim() ? name.trim() : 'MCP client',
    redirectUris: [...new Set(uris.map(redirectUri))],
    grantTypes: grantTypes ?? ['authorization_code', 'refresh_token'],
  };
}

export function presentClient(
  client: OAuthClient,
  grantTypes = ['authorization_code', 'refresh_token'],
): ClientRegistration {
  return {
    client_id: client.clientId,
    client_id_issued_at: Math.floor(client.createdAt.getTime() / 1000),
    client_name: client.name,
    redirect_uris: client.redirectUris,
    grant_types: grantTypes,
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}

export interface ClientRegistry {
  register(prisma: Prisma, body: unknown, address: string): Promise<ClientRegistration>;
}

export function createClientRegistry(): ClientRegistry {
  const hour = 3600;
  const perAddress = new RateLimiterMemory({
    keyPrefix: 'oauth-register',
    points: REGISTRATIONS_PER_ADDRESS_PER_HOUR,
    duration: hour,
  });
  const overall = new RateLimiterMemory({
    keyPrefix: 'oauth-register-all',
    points: REGISTRATIONS_PER_HOUR,
    duration: hour,
  });
  return {
    async register(prisma, body, address) {
      const metadata = parseClientMetadata(body);
      try {
        await perAddress.consume(address);
        await overall.consume('all');
      } catch (error) {
        if (error instanceof RateLimiterRes)
          throw new RegistrationError('rate_limited', 'too many client registrations; try again later');
        throw error;
      }
      const client = await prisma.oAuthClient.create({
        data: { clientId: `mcp_client_${randomToken(18)}`, name: metadata.name, redirectUris: metadata.redirectUris },
      });
      return presentClient(client, metadata.grantTypes);
    },
  };
}
