/**
 * A load generator and an upstream for the benchmarks that cost next to no CPU:
 * keep-alive sockets writing prepared HTTP/1.1 bytes and reading just enough of
 * the answer to find its end. On a 2-core machine whatever the client and the
 * upstream spend is taken from the server being measured; fetch and node:http
 * would spend more than half a millisecond per request between them.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const HEADER_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('0\r\n\r\n');

/** A canned JSON answer to every request on the socket; GET/HEAD requests only (no bodies to skip). */
export function startRawUpstream(body: string): Promise<{ server: Server; port: number }> {
  const payload = Buffer.from(body);
  const response = Buffer.concat([
    Buffer.from(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${payload.length}\r\nconnection: keep-alive\r\n\r\n`,
    ),
    payload,
  ]);
  const server = createServer((socket) => {
    let pending = '';
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let end = pending.indexOf('\r\n\r\n');
      while (end !== -1) {
        socket.write(response);
        pending = pending.slice(end + 4);
        end = pending.indexOf('\r\n\r\n');
      }
    });
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    }),
  );
}

export interface RawLoadResult {
  latencies: number[];
  seconds: number;
  failures: number;
}

/** One keep-alive connection: sends a request, resolves with the response body once it is complete. */
class RawConnection {
  private readonly socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: ((body: string) => void) | null = null;

  constructor(port: number) {
    this.socket = connect({ port, host: '127.0.0.1', noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  request(bytes: Buffer): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const headerEnd = this.buffer.indexOf(HEADER_END);
    if (headerEnd === -1) return;
    const head = this.buffer.subarray(0, headerEnd).toString('latin1').toLowerCase();
    const bodyStart = headerEnd + HEADER_END.length;
    const length = /\r\ncontent-length: *(\d+)/.exec(head);
    let body: string;
    if (length) {
      const end = bodyStart + Number(length[1]);
      if (this.buffer.length < end) return;
      body = this.buffer.subarray(bodyStart, end).toString('utf8');
      this.buffer = this.buffer.subarray(end);
    } else {
      // Chunked: the answers are small, so the chunk framing is left in the text (only searched, not parsed).
      const end = this.buffer.indexOf(CHUNKED_END, bodyStart);
      if (end === -1) return;
      body = this.buffer.subarray(bodyStart, end).toString('utf8');
      this.buffer = this.buffer.subarray(end + CHUNKED_END.length);
    }
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.(`${head}\r\n\r\n${body}`);
  }
}

/**
 * `requests` POSTs of `body(n)` over `concurrency` keep-alive connections, spread
 * round-robin over `ports`; a request counts as failed unless `ok(response)`.
 */
export async function rawPostLoad(options: {
  ports: number[];
  path: string;
  headers: Record<string, string>;
  body: (sequence: number) => string;
  ok: (response: string) => boolean;
  requests: number;
  concurrency: number;
}): Promise<RawLoadResult> {
  const headerText = Object.entries(options.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const connections = Array.from(
    { length: options.concurrency },
    (_, index) => new RawConnection(options.ports[index % options.ports.length] as number),
  );
  const latencies: number[] = [];
  let failures = 0;
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    connections.map(async (connection) => {
      while (issued < options.requests) {
        issued += 1;
        const body = Buffer.from(options.body(issued));
        const bytes = Buffer.concat([
          Buffer.from(
            `POST ${options.path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${headerText}content-length: ${body.length}\r\n\r\n`,
          ),
          body,
        ]);
        const t0 = performance.now();
        const response = await connection.request(bytes);
        latencies.push(performance.now() - t0);
        if (!options.ok(response)) failures += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const connection of connections) connection.close();
  return { latencies: latencies.sort((a, b) => a - b), seconds, failures };
}
