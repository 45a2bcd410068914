/**
 * One Lambda client per (region, endpoint, credentials identity): clients own
 * keep-alive sockets and a resolved credential chain, so building one per call
 * would cost a TLS handshake every time.
 */
import { createHash } from 'node:crypto';
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { LambdaClientConfig } from '@aws-sdk/client-lambda';

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ClientKey {
  region: string;
  endpoint: string | undefined;
  /** Absent = the SDK's default credential chain (environment, profile, container/instance role). */
  credentials: StaticCredentials | undefined;
  /** Builds the connection agents for a per-tool endpoint (lambda-policy.ts); such clients are never shared with others. */
  agents?: () => { httpAgent: HttpAgent; httpsAgent: HttpsAgent };
}

export type LambdaClientFactory = (config: LambdaClientConfig) => LambdaClient;

const DEFAULT_MAX_CLIENTS = 100;

export class LambdaClientCache {
  readonly #clients = new Map<string, LambdaClient>();
  readonly #factory: LambdaClientFactory;
  readonly #maxClients: number;

  constructor(factory: LambdaClientFactory = (config) => new LambdaClient(config), maxClients = DEFAULT_MAX_CLIENTS) {
    this.#factory = factory;
    this.#maxClients = maxClients;
  }

  get(key: ClientKey): LambdaClient {
    const id = cacheId(key);
    const cached = this.#clients.get(id);
    if (cached) {
      // Re-insert so Map order doubles as least-recently-used order.
      this.#clients.delete(id);
      this.#clients.set(id, cached);
      return cached;
    }
    const client = this.#factory({
      region: key.region,
      ...(key.endpoint !== undefined && { endpoint: key.endpoint }),
      ...(key.credentials !== undefined && { credentials: key.credentials }),
      ...(key.agents !== undefined && { requestHandler: key.agents() }),
      // The engine retries with its own backoff and deadline; SDK retries would multiply attempts.
      maxAttempts: 1,
      // 'auto' may probe the instance metadata service; 'standard' never does.
      defaultsMode: 'standard',
    });
    this.#clients.set(id, client);
    if (this.#clients.size > this.#maxClients) {
      // Not destroyed: a concurrent call may still be using it, and its idle
      // keep-alive sockets are unref'd and time out by themselves.
      const oldestId = this.#clients.keys().next().value;
      if (oldestId !== undefined) this.#clients.delete(oldestId);
    }
    return client;
  }

  get size(): number {
    return this.#clients.size;
  }

  close(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }
}

/** Secrets are hashed so the cache key never holds them in plain text. */
function cacheId({ region, endpoint, credentials, agents }: ClientKey): string {
  const identity = credentials
    ? `${credentials.accessKeyId}:${createHash('sha256')
        .update(`${credentials.secretAccessKey}\0${credentials.sessionToken ?? ''}`)
        .digest('hex')}`
    : 'default-chain';
  return JSON.stringify([region, endpoint ?? null, identity, agents !== undefined]);
}
