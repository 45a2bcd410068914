/**
 * Vetting a destination and opening a socket to exactly the vetted address.
 * The name is resolved once, every address is checked, and the socket connects
 * to an IP (so no second lookup can be rebound); the peer address is checked
 * again once connected, before a single byte of the request is written.
 */
import { lookup } from 'node:dns/promises';
import { isIP, connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { ExecutionErrorCode } from '../executors/types.ts';
import { canonicalIp } from './ip-address.ts';
import { isForbiddenHostname, normalizeHostname, PRIVATE_HOSTS_SETTING, type SsrfPolicy } from './ssrf.ts';

export class GuardedFetchError extends Error {
  readonly code: ExecutionErrorCode;

  constructor(code: ExecutionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GuardedFetchError';
    this.code = code;
  }
}

/** Resolves a hostname to every address it has; tests substitute their own. */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, order: 'verbatim' })).map((entry) => entry.address);

export interface Destination {
  url: URL;
  /** URL host without brackets or trailing dot. */
  hostname: string;
  /** Every address the name resolved to, all vetted; tried in order. */
  addresses: string[];
  port: number;
  secure: boolean;
}

export function abortError(signal: AbortSignal): GuardedFetchError {
  const reason: unknown = signal.reason;
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
  return timedOut
    ? new GuardedFetchError('TIMEOUT', 'The request timed out', { cause: reason })
    : new GuardedFetchError('CANCELLED', 'The request was cancelled', { cause: reason });
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Checks scheme, credentials, hostname and every resolved address. `redirect`
 * marks a hop chosen by the upstream server, which is refused as SSRF rather
 * than blamed on the tool's configuration.
 */
export async function vetDestination(
  url: URL,
  options: { policy: SsrfPolicy; signal: AbortSignal; resolve: Resolver; redirect: boolean },
): Promise<Destination> {
  const refuse = (message: string): GuardedFetchError =>
    new GuardedFetchError(options.redirect ? 'SSRF_BLOCKED' : 'INVALID_CONFIGURATION', message);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refuse(`Only http and https URLs are allowed, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw refuse('URLs must not contain credentials; use the auth settings instead');
  }
  const secure = url.protocol === 'https:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const hostname = normalizeHostname(url.hostname);
  const allowListed = options.policy.isAllowListedHost(hostname, port);
  if (!allowListed && isForbiddenHostname(hostname)) {
    throw new GuardedFetchError('SSRF_BLOCKED', `Requests to ${hostname} are not allowed`);
  }

  let addresses: string[];
  if (isIP(hostname) !== 0) {
    addresses = [hostname];
  } else {
    try {
      addresses = await raceAbort(options.resolve(hostname), options.signal);
    } catch (error) {
      if (error instanceof GuardedFetchError) throw error;
      throw new GuardedFetchError('CONNECT_ERROR', `Could not resolve ${hostname}`, { cause: error });
    }
  }
  if (addresses.length === 0) throw new GuardedFetchError('CONNECT_ERROR', `${hostname} has no addresses`);
  for (const address of addresses) {
    if (!options.policy.isAllowedDestination(hostname, address, port)) {
      throw new GuardedFetchError(
        'SSRF_BLOCKED',
        `Requests to ${hostname} are not allowed: it resolves to a private or reserved address (the operator can allow it in ${PRIVATE_HOSTS_SETTING})`,
      );
    }
  }
  return { url, hostname, addresses, port, secure };
}

function checkPeer(
  socket: Socket,
  address: string,
  destination: Destination,
  policy: SsrfPolicy,
): GuardedFetchError | null {
  const peer = socket.remoteAddress;
  if (
    peer === undefined ||
    canonicalIp(peer) !== canonicalIp(address) ||
    !policy.isAllowedDestination(destination.hostname, peer, destination.port)
  ) {
    return new GuardedFetchError('SSRF_BLOCKED', `Connected peer for ${destination.hostname} failed the address check`);
  }
  return null;
}

interface SocketOptions {
  policy: SsrfPolicy;
  signal: AbortSignal;
  ca?: string | Buffer;
}

/**
 * Connects (and for https, completes TLS with SNI = hostname) to the first
 * vetted address that accepts, so a dual-stack name still works where IPv6
 * (or IPv4) is unreachable.
 */
export async function openGuardedSocket(destination: Destination, options: SocketOptions): Promise<Socket> {
  let lastError: GuardedFetchError | undefined;
  for (const address of destination.addresses) {
    try {
      return await connectTo(address, destination, options);
    } catch (error) {
      if (!(error instanceof GuardedFetchError) || error.code !== 'CONNECT_ERROR') throw error;
      lastError = error;
    }
  }
  throw lastError ?? new GuardedFetchError('CONNECT_ERROR', `${destination.hostname} has no addresses`);
}

function connectTo(address: string, destination: Destination, options: SocketOptions): Promise<Socket> {
  const { signal } = options;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<Socket>((resolve, reject) => {
    let current: Socket = connectTcp({ host: address, port: destination.port, noDelay: true });
    const fail = (error: GuardedFetchError): void => {
      signal.removeEventListener('abort', onAbort);
      current.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(abortError(signal));
    const onError = (error: Error): void =>
      fail(
        new GuardedFetchError('CONNECT_ERROR', `Could not connect to ${destination.hostname}: ${error.message}`, {
          cause: error,
        }),
      );
    const done = (): void => {
      signal.removeEventListener('abort', onAbort);
      current.off('error', onError);
      resolve(current);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    current.once('error', onError);
    current.once('connect', () => {
      const refused = checkPeer(current, address, destination, options.policy);
      if (refused) return fail(refused);
      if (!destination.secure) return done();
      current.off('error', onError);
      current = connectTls({
        socket: current,
        host: destination.hostname,
        servername: isIP(destination.hostname) === 0 ? destination.hostname : undefined,
        ALPNProtocols: ['http/1.1'],
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      });
      current.once('error', onError);
      current.once('secureConnect', done);
    });
  });
}
