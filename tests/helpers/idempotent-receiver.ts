/**
 * A loopback upstream that behaves like a careful API behind an async tool:
 * it dedupes by Idempotency-Key (a repeat of a completed key gets the stored
 * answer and is not counted again) and counts completions per key. Each path
 * follows a plan: per request, hold it until released, or answer a status.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Step = 'hold' | number;

export interface ReceivedRequest {
  path: string;
  key: string | null;
}

export interface IdempotentReceiver {
  url: string;
  /** Steps for the next requests to `path`; the last one repeats. Default: answer 200. */
  plan(path: string, steps: Step[]): void;
  /** Resolves once `count` requests to `path` arrived. */
  arrived(path: string, count?: number): Promise<ReceivedRequest[]>;
  /** Answers the held requests of `path` with 200 (each key completes once). */
  release(path: string): void;
  requests(path: string): ReceivedRequest[];
  /** Whether the effect for `key` happened: 1 once it did, whatever the repeats; 0 before. */
  completions(key: string): number;
  close(): Promise<void>;
}

export async function startIdempotentReceiver(): Promise<IdempotentReceiver> {
  const plans = new Map<string, Step[]>();
  const received: ReceivedRequest[] = [];
  const held = new Map<string, Array<{ res: ServerResponse; key: string | null }>>();
  const completed = new Map<string, number>();
  const waiters: Array<() => void> = [];

  function complete(res: ServerResponse, path: string, key: string | null): void {
    if (res.destroyed) return;
    // A repeat of a completed key gets the same answer without doing the work again.
    if (key !== null && !completed.has(key)) completed.set(key, 1);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ done: path, key }));
  }

  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const header = req.headers['idempotency-key'];
    const key = typeof header === 'string' ? header : null;
    req.resume();
    received.push({ path, key });
    for (const wake of waiters.splice(0)) wake();
    const steps = plans.get(path) ?? [200];
    const step = steps.length > 1 ? steps.shift()! : steps[0]!;
    if (step === 'hold') {
      const list = held.get(path) ?? [];
      list.push({ res, key });
      held.set(path, list);
      return;
    }
    if (step === 200) complete(res, path, key);
    else res.writeHead(step, { 'content-type': 'application/json' }).end('{"error":"try again"}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const requests = (path: string) => received.filter((request) => request.path === path);

  return {
    url: `http://127.0.0.1:${port}`,
    plan: (path, steps) => plans.set(path, [...steps]),
    async arrived(path, count = 1) {
      while (requests(path).length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return requests(path);
    },
    release(path) {
      for (const { res, key } of held.get(path) ?? []) complete(res, path, key);
      held.delete(path);
    },
    requests,
    completions: (key) => completed.get(key) ?? 0,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
