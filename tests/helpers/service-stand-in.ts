/**
 * A receiver on 127.0.0.1 standing in for a third-party API (Twilio, Cal.com, HubSpot …): it records each
 * request (method, path, headers, raw body) and answers with the JSON reply the test set last.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ServiceStandIn {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  seen: SeenRequest[];
  reply(status: number, body: unknown): void;
  close(): Promise<void>;
}

export async function startServiceStandIn(): Promise<ServiceStandIn> {
  const seen: SeenRequest[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    reply(status, body) {
      answer = { status, body };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
