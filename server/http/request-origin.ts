/**
 * The scheme and host a client used to reach Switchboard, for URLs handed back
 * to it (tool exports). `X-Forwarded-Host` and `-Proto` count only from a proxy
 * listed in `SWITCHBOARD_TRUST_PROXY`, as in client-address.ts.
 */
import type { IncomingMessage } from 'node:http';
import { canonicalIp } from '../security/ip-address.ts';
import { clientConnection } from './client-address.ts';

const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const HOST_MAX_LENGTH = 255;

function first(value: string | string[] | undefined): string | undefined {
  return (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
}

/** `https://host[:port]`, or null when the request names no usable host. */
export function requestOrigin(req: IncomingMessage, trustedProxies: string[]): string | null {
  const { tls } = clientConnection(req, trustedProxies);
  const peer = canonicalIp(req.socket.remoteAddress ?? '');
  const forwarded = peer !== null && trustedProxies.includes(peer) ? first(req.headers['x-forwarded-host']) : undefined;
  const host = forwarded || first(req.headers.host);
  if (!host || host.length > HOST_MAX_LENGTH || !HOST.test(host)) return null;
  return `${tls ? 'https' : 'http'}://${host}`;
}
