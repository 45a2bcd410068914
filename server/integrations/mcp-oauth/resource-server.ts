/**
 * Who is calling the MCP server: an OAuth access token issued for this
 * assistant's resource, or (as before) an API key. Refusals carry the
 * `WWW-Authenticate` challenge that starts an MCP client's OAuth flow.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Actor } from '../../actor.ts';
import { AccessError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { accessTokenActor, isOAuthAccessToken } from './grants.ts';
import { bearerChallenge, oauthBase } from './metadata.ts';

export async function mcpActor(
  req: IncomingMessage,
  res: ServerResponse,
  services: Services,
  assistantId: string,
  apiKeyActor: () => Promise<Actor>,
): Promise<Actor> {
  const challenge = (invalidToken: boolean) => {
    const base = oauthBase(req, services);
    if (base) res.setHeader('www-authenticate', bearerChallenge(base, assistantId, invalidToken));
  };
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (bearer && isOAuthAccessToken(bearer)) {
    const actor = await accessTokenActor(services.prisma, bearer, assistantId);
    if (actor) return actor;
    challenge(true);
    throw new AccessError('UNAUTHENTICATED', 'invalid, expired or revoked access token');
  }
  try {
    return await apiKeyActor();
  } catch (error) {
    if (error instanceof AccessError && error.code === 'UNAUTHENTICATED')
      challenge(Boolean(req.headers.authorization ?? req.headers['x-api-key']));
    throw error;
  }
}
