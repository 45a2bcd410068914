/**
 * A receiver on loopback standing in for Vapi's control URL or a webhook
 * consumer: it records every request (raw body and headers) and answers what
 * the test scripts per path (default 200); `hold(path)` keeps requests to a
 * path unanswered until released, so a test can stop the sender mid-request.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface DeliveryReceiver {
  url: string;
  requests: ReceivedRequest[];
  to(path: string): ReceivedRequest[];
  /** The statuses to answer on `path`, in order; the last one repeats. */
  script(path: string, statuses: number[]): void;
  hold(path: string): { arrived: Promise<void>; release(): void };
  close(): Promise<void>;
}

export async function startDeliveryReceiver(host = '127.0.0.1'): Promise<DeliveryReceiver> {
  const requests: ReceivedRequest[] = [];
  const scripts = new Map<string, number[]>();
  const holds = new Map<string, { arrive: () => void; parked: ServerResponse[] }>();
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push({ path, headers: req.headers, body });
      const held = holds.get(path);
      if (held) {
        held.parked.push(res);
        held.arrive();
        return;
      }
      const script = scripts.get(path) ?? [200];
      const status = script.length > 1 ? script.shift()! : script[0]!;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    requests,
    to: (path) => requests.filter((request) => request.path === path),
    script: (path, statuses) => scripts.set(path, [...statuses]),
    hold(path) {
      let arrive!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const entry = { arrive, parked: [] as ServerResponse[] };
      holds.set(path, entry);
      return {
        arrived,
        release() {
          holds.delete(path);
          for (const res of entry.parked) if (!res.destroyed) res.writeHead(200).end('{}');
        },
      };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
