/**
 * Kept-alive connections for tool traffic, one pool per vetted (address,
 * port, TLS servername). Every socket in a pool is opened by
 * `openGuardedSocket` to exactly that address, so its peer was checked once
 * connected; a request only reaches a pool after `vetDestination` has just
 * allowed that address under the caller's policy, and pools are never shared
 * between policies. A pooled socket therefore carries nothing a fresh one would not.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { Pool } from 'undici';
import { openGuardedSocket, type Destination } from './guarded-connection.ts';
import type { SsrfPolicy } from './ssrf.ts';

/** Below the usual 5 s server keep-alive, so we rarely reuse a socket the server is closing. */
const IDLE_TIMEOUT_MS = 4_000;
const CONNECTIONS_PER_DESTINATION = 64;
const MAX_POOLS_PER_POLICY = 256;
/** The connect itself; the request's own deadline still ends the wait for the response. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface GuardedPool {
  pool: Pool;
  /** The peer address the pool's sockets are connected to, as the socket reports it. */
  peer(): string;
}

const byPolicy = new WeakMap<SsrfPolicy, Map<string, GuardedPool>>();

function poolsOf(policy: SsrfPolicy): Map<string, GuardedPool> {
  let pools = byPolicy.get(policy);
  if (!pools) {
    pools = new Map();
    byPolicy.set(policy, pools);
  }
  return pools;
}

function origin(destination: Destination, address: string): string {
  const host = isIP(address) === 6 ? `[${address}]` : address;
  return `${destination.secure ? 'https' : 'http'}://${host}:${destination.port}`;
}

/** The pool for `address` (one of `destination.addresses`, just vetted under `policy`). */
export function guardedPool(
  destination: Destination,
  address: string,
  options: { policy: SsrfPolicy; ca?: string | Buffer },
): GuardedPool {
  const { policy, ca } = options;
  const caKey = ca === undefined ? '' : createHash('sha256').update(ca).digest('hex');
  const servername = destination.secure ? destination.hostname : '';
  const key = `${address}|${destination.port}|${destination.secure ? 'tls' : 'tcp'}|${servername}|${caKey}`;
  const pools = poolsOf(policy);
  const existing = pools.get(key);
  if (existing) {
    pools.delete(key);
    pools.set(key, existing);
    return existing;
  }
  let peer = address;
  const target: Destination = { ...destination, addresses: [address] };
  const pool = new Pool(origin(destination, address), {
    connections: CONNECTIONS_PER_DESTINATION,
    pipelining: 1,
    keepAliveTimeout: IDLE_TIMEOUT_MS,
    keepAliveMaxTimeout: IDLE_TIMEOUT_MS,
    connect: (_connectOptions, callback) => {
      openGuardedSocket(target, {
        policy,
        signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
        ...(ca === undefined ? {} : { ca }),
      }).then(
        (socket) => {
          peer = socket.remoteAddress ?? peer;
          callback(null, socket);
        },
        (error: Error) => callback(error, null),
      );
    },
  });
  const entry: GuardedPool = { pool, peer: () => peer };
  pools.set(key, entry);
  if (pools.size > MAX_POOLS_PER_POLICY) {
    const [oldestKey, oldest] = pools.entries().next().value as [string, GuardedPool];
    pools.delete(oldestKey);
    void oldest.pool.close().catch(() => {});
  }
  return entry;
}
