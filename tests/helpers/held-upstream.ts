/** A loopback upstream that holds requests until the test answers, to watch a caller hang up on it. */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An upstream that holds every request until the test answers it, and reports when a client hangs up on it. */
export interface HeldUpstream {
  url: string;
  /** Resolves with the held response when a request for `path` arrives. */
  arrival(path: string): Promise<{ res: ServerResponse; closed: Promise<void> }>;
  close(): Promise<void>;
}

export async function startHeldUpstream(): Promise<HeldUpstream> {
  const waiting = new Map<string, (held: { res: ServerResponse; closed: Promise<void> }) => void>();
  const arrived = new Map<string, { res: ServerResponse; closed: Promise<void> }>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const closed = once(res, 'close').then(() => undefined);
    req.resume();
    const held = { res, closed };
    const waiter = waiting.get(path);
    waiting.delete(path);
    if (waiter) waiter(held);
    else arrived.set(path, held);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrival: (path) => {
      const early = arrived.get(path);
      arrived.delete(path);
      if (early) return Promise.resolve(early);
      return new Promise((resolve) => waiting.set(path, resolve));
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
