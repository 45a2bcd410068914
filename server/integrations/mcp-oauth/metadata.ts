/**
 * The discovery documents of the MCP authorization spec (2025-11-25): protected
 * resource metadata per assistant (RFC 9728), authorization server metadata
 * (RFC 8414), and the `WWW-Authenticate` challenge that points a client at them.
 */
import type { IncomingMessage } from 'node:http';
import { requestOrigin } from '../../http/request-origin.ts';
import type { Services } from '../../services.ts';

export const MCP_SCOPE = 'mcp';

/** `SWITCHBOARD_PUBLIC_URL` when set, else the origin the client used; null when neither is known. */
export function oauthBase(req: IncomingMessage, services: Services): string | null {
  return services.config.publicUrl?.replace(/\/+$/, '') ?? requestOrigin(req, services.config.trustProxy);
}

export function mcpResource(base: string, assistantId: string): string {
  return `${base}/mcp/${encodeURIComponent(assistantId)}`;
}

export function resourceMetadataUrl(base: string, assistantId: string): string {
  return `${base}/.well-known/oauth-protected-resource/mcp/${encodeURIComponent(assistantId)}`;
}

/** RFC 6750 §3: no `error` when the request carried no credentials, `invalid_token` when they were bad. */
export function bearerChallenge(base: string, assistantId: string, invalidToken: boolean): string {
  const parts = [`resource_metadata="${resourceMetadataUrl(base, assistantId)}"`, `scope="${MCP_SCOPE}"`];
  if (invalidToken) parts.push('error="invalid_token"');
  return `Bearer ${parts.join(', ')}`;
}

export function protectedResourceMetadata(base: string, assistantId: string) {
  return {
    resource: mcpResource(base, assistantId),
    authorization_servers: [base],
    bearer_methods_supported: ['header'],
    scopes_supported: [MCP_SCOPE],
    resource_name: 'Switchboard MCP server',
  };
}

export function authorizationServerMetadata(base: string) {
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    registration_endpoint: `${base}/oauth/register`,
    scopes_supported: [MCP_SCOPE],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    authorization_response_iss_parameter_supported: true,
  };
}

/** The assistant id a resource indicator (RFC 8707) names, when it is this server's `/mcp/<id>`. */
export function assistantOfResource(base: string, resource: string): string | null {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    return null;
  }
  if (url.origin !== new URL(base).origin || url.search || url.hash) return null;
  const match = /^\/mcp\/([^/]+)\/?$/.exec(url.pathname);
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}
