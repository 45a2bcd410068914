/**
 * Live-monitor clients over real connections: graphql-ws (through the
 * graphql-ws client and a raw `ws` socket for protocol-level tests) and
 * GraphQL over SSE (fetch with Accept: text/event-stream, parsed by hand).
 * Everything opened is registered for disposal.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { buildApp, type App } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { TEST_MASTER_KEY, type TestApp } from './app.ts';

export interface LiveResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface LiveSubscription<T> {
  results: Array<LiveResult<T>>;
  /** Set when the stream ended (complete, error or closed). */
  ended: boolean;
  error: unknown;
  waitFor(count: number, timeoutMs?: number): Promise<Array<LiveResult<T>>>;
  close(): void;
}

export interface Closed {
  code: number;
  reason: string;
}

const leftovers: Array<() => unknown> = [];

/** Disposes every client, socket and extra app the live helpers opened. */
export async function disposeLive(): Promise<void> {
  while (leftovers.length) {
    try {
      await leftovers.pop()?.();
    } catch {
      // best effort: the server may already be gone
    }
  }
}

export async function until(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Open subscriptions of `field` on `app`, from the live-subscription gauge. */
export async function openSubscriptions(app: App, field: string): Promise<number> {
  const metric = await app.services.metrics.prometheus.liveSubscriptions.get();
  return metric.values.find((value) => value.labels.field === field)?.value ?? 0;
}

/** Waits until the gauge of `field` satisfies `check` (e.g. a subscription is attached). */
export async function gaugeReaches(app: App, field: string, check: (open: number) => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check(await openSubscriptions(app, field))) {
    if (Date.now() > deadline) throw new Error(`the ${field} gauge never got there`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function subscriptionState<T>(close: () => void): LiveSubscription<T> {
  const state: LiveSubscription<T> = {
    results: [],
    ended: false,
    error: undefined,
    async waitFor(count, timeoutMs = 5_000) {
      await until(() => state.results.length >= count || state.ended, timeoutMs, `${count} results`);
      if (state.results.length < count)
        throw new Error(`stream ended after ${state.results.length} results: ${JSON.stringify(state.error)}`);
      return state.results;
    },
    close,
  };
  return state;
}

export interface WsClient {
  client: Client;
  closed: Promise<Closed>;
  subscribe<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): LiveSubscription<T>;
}

export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/graphql`;
}

export function connectWs(
  httpUrl: string,
  connectionParams: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): WsClient {
  let resolveClosed: (closed: Closed) => void = () => {};
  const closed = new Promise<Closed>((resolve) => (resolveClosed = resolve));
  class HeaderWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: HeaderWebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {},
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        resolveClosed({ code, reason: String(reason) });
      },
    },
  });
  leftovers.push(() => client.dispose());
  return {
    client,
    closed,
    subscribe<T>(query: string, variables: Record<string, unknown> = {}) {
      const state = subscriptionState<T>(() => unsubscribe());
      const unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (result) => state.results.push(result as LiveResult<T>),
          error: (error) => {
            state.error = error;
            state.ended = true;
          },
          complete: () => {
            state.ended = true;
          },
        },
      );
      return state;
    },
  };
}

/** GraphQL over SSE ("distinct connections" mode): one POST per subscription. */
export function subscribeSse<T = Record<string, unknown>>(
  httpUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): LiveSubscription<T> & { status: Promise<number> } {
  const controller = new AbortController();
  const state = subscriptionState<T>(() => controller.abort());
  let resolveStatus: (status: number) => void = () => {};
  const status = new Promise<number>((resolve) => (resolveStatus = resolve));
  leftovers.push(() => controller.abort());
  void (async () => {
    try {
      const response = await fetch(`${httpUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify({ query, variables }),
        signal: controller.signal,
      });
      resolveStatus(response.status);
      if (!response.body) return;
      for await (const { event, data } of sseFrames(response.body)) {
        if (event === 'next' && data) state.results.push(JSON.parse(data) as LiveResult<T>);
        if (event === 'complete') state.ended = true;
      }
    } catch (error) {
      state.error = error;
    } finally {
      state.ended = true;
      resolveStatus(0);
    }
  })();
  return Object.assign(state, { status });
}

/** A raw graphql-transport-ws socket, for close codes and a consumer that stops reading. */
export async function rawSocket(
  httpUrl: string,
  connectionParams: Record<string, unknown>,
): Promise<{
  socket: WebSocket;
  closed: Promise<Closed>;
  acked: Promise<boolean>;
}> {
  const socket = new WebSocket(wsUrl(httpUrl), 'graphql-transport-ws');
  leftovers.push(() => socket.terminate());
  const closed = new Promise<Closed>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const acked = new Promise<boolean>((resolve) => {
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve(true);
    });
    socket.on('close', () => resolve(false));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: connectionParams }));
  return { socket, closed, acked };
}

/** Another instance over the same database, as a second process behind a load balancer would be. */
export async function startSecondInstance(
  first: TestApp,
  env: Record<string, string>,
): Promise<{ app: App; url: string }> {
  const config = loadConfig({
    NODE_ENV: 'test',
    SWITCHBOARD_DATA_DIR: first.app.services.config.dataDir,
    SWITCHBOARD_MASTER_KEY: TEST_MASTER_KEY,
    SWITCHBOARD_JS_POOL_SIZE: '0',
    SWITCHBOARD_PYTHON_POOL_SIZE: '0',
    ...env,
  });
  const app = await buildApp(config, { database: first.db.database });
  const url = await app.start(0, '127.0.0.1');
  leftovers.push(() => app.stop());
  return { app, url };
}

export interface SseFrameText {
  event: string | undefined;
  data: string;
  comments: string[];
}

/** The frames of a Server-Sent Events body as they arrive: `event:`, joined `data:` lines, `:` comments. */
export async function* sseFrames(body: AsyncIterable<unknown>): AsyncGenerator<SseFrameText> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      yield {
        event: lines
          .find((line) => line.startsWith('event:'))
          ?.slice(6)
          .trim(),
        data: lines
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('\n'),
        comments: lines.filter((line) => line.startsWith(':')),
      };
    }
  }
}
