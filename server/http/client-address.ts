/**
 * What the client's connection was: its address and whether it used TLS.
 * `X-Forwarded-For` / `X-Forwarded-Proto` are believed only when the peer is a
 * proxy listed in `SWITCHBOARD_TRUST_PROXY`; anyone else could forge them.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { canonicalIp } from '../security/ip-address.ts';

export interface ClientConnection {
  address: string;
  tls: boolean;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function clientConnection(req: IncomingMessage, trustedProxies: string[]): ClientConnection {
  const peer = canonicalIp(req.socket.remoteAddress ?? '') ?? 'unknown';
  const tls = (req.socket as Partial<TLSSocket>).encrypted === true;
  if (!trustedProxies.includes(peer)) return { address: peer, tls };
  // The nearest hop not run by us is the client; everything left of it could be forged.
  const hops = (header(req, 'x-forwarded-for') ?? '')
    .split(',')
    .map((hop) => canonicalIp(hop.trim()))
    .filter((hop): hop is string => hop !== null);
  let address = peer;
  while (hops.length > 0 && trustedProxies.includes(address)) address = hops.pop()!;
  const proto = header(req, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return { address, tls: proto === undefined ? tls : proto === 'https' };
}
